import type { z } from 'zod';
import type { FieldError } from '../../exception';
import { fieldErrors, validationFailed } from '../validation';
import type { RequestContext } from '../ctx';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: `public` for anyone, `authenticated` for any
 * logged-in staff member, or a permission their roles must grant (one a
 * domain declares; the app refuses to start with a route that needs one
 * nobody declares).
 */
export type RoutePermission = 'public' | 'authenticated' | (string & {});

/** What a handler gets: validated input and the request's context, never Express objects. */
export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  ctx: RequestContext;
}

/**
 * A route, declared once: the declaration drives routing, validation and the
 * OpenAPI document.
 */
export interface RouteSpec<P, Q, B, R> {
  method: HttpMethod;
  /** Express-style path: `/api/cs/events/:id`. */
  path: string;
  summary: string;
  tags?: string[];
  permission: RoutePermission;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Describes `data` of the success envelope, for the OpenAPI document. */
  response?: z.ZodType<R>;
  /** What `data` of this route's error envelopes holds, when not null (GET /health's report). */
  errorData?: z.ZodType;
  /** A typical request body, shown in the OpenAPI document; the tests check it against `body`. */
  example?: unknown;
  /** The OpenAPI operationId (the method name in generated clients); derived from method and path when absent. */
  operationId?: string;
  /**
   * False for a route that reads no store (GET /ping): its document then
   * leaves out the codes of a failing database or cache. Default true.
   */
  usesDependencies?: boolean;
  /** Success status: 200, or 201 for a create. */
  status?: 200 | 201;
  /** Error codes this route may answer with, for the OpenAPI document. */
  errors?: string[];
  /** The answer carries a secret or a person's data: `Cache-Control: no-store`. */
  noStore?: boolean;
  /**
   * False for a route that must answer whatever the load (GET /ping,
   * GET /health): admission never sheds it. Default true: past the door's
   * limits it is answered 503 OVERLOADED (docs/resilience.md).
   */
  shed?: boolean;
  handler: (input: HandlerInput<P, Q, B>) => Promise<R> | R;
}

/** A declared route with its types erased, as the router and docs see it. */
export interface Route {
  method: HttpMethod;
  path: string;
  summary: string;
  tags: string[];
  permission: RoutePermission;
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  response: z.ZodType | undefined;
  errorData: z.ZodType | undefined;
  example: unknown;
  operationId: string | undefined;
  usesDependencies: boolean;
  status: 200 | 201;
  errors: string[];
  noStore: boolean;
  shed: boolean;
  handler: (input: HandlerInput<unknown, unknown, unknown>) => unknown;
}

/** Declares a route; the types of `handler`'s input follow from the schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown>(
  spec: RouteSpec<P, Q, B, R>,
): Route {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tags: spec.tags ?? [],
    permission: spec.permission,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    errorData: spec.errorData,
    example: spec.example,
    operationId: spec.operationId,
    usesDependencies: spec.usesDependencies ?? true,
    status: spec.status ?? 200,
    errors: spec.errors ?? [],
    noStore: spec.noStore ?? false,
    shed: spec.shed ?? true,
    handler: spec.handler as Route['handler'],
  };
}

/** Validates one part of the request; collects its bad fields instead of throwing. */
function check(
  part: 'params' | 'query' | 'body',
  schema: z.ZodType | undefined,
  value: unknown,
  bad: FieldError[],
): unknown {
  if (!schema) return part === 'body' ? undefined : {};
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  bad.push(...fieldErrors(part, result.error));
  return undefined;
}

/**
 * Parses params, query and body against the route's schemas. Every bad field
 * of every part is reported at once in one `VALIDATION_FAILED` UserError.
 */
export function validateInput(
  route: Route,
  raw: { params: unknown; query: unknown; body: unknown },
): { params: unknown; query: unknown; body: unknown } {
  const bad: FieldError[] = [];
  const params = check('params', route.params, raw.params, bad);
  const query = check('query', route.query, raw.query, bad);
  const body = check('body', route.body, raw.body ?? (route.body ? {} : undefined), bad);
  if (bad.length > 0) throw validationFailed(bad);
  return { params, query, body };
}
