import type { z } from 'zod';
import type { FieldError } from '../../exception';
import { fieldErrors, validationFailed } from '../validation';
import type { RequestContext } from '../ctx';
import type { Operation, Permission } from '../pipeline';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: an operation's permission (core/pipeline/operation.ts). */
export type RoutePermission = Permission;

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

/** How the HTTP door serves an operation: its method and path, and where in the request its input is. */
export interface OperationBinding<I, A> {
  method: HttpMethod;
  path: string;
  /**
   * Where the operation's input is: the JSON body, checked by the
   * operation's own schema; or the path, whose text `params` checks and
   * turns into the operation's input (`/api/cs/events/:id`).
   */
  input: 'body' | { params: z.ZodType<I> };
  /** Who acts, from the request's context (the logged-in staff member). */
  actor: (ctx: RequestContext) => A;
  tags?: string[];
  status?: 200 | 201;
  example?: unknown;
  noStore?: boolean;
}

/**
 * The route of an operation (core/pipeline/operation.ts): its summary,
 * permission, output and error codes are the operation's, and a body is
 * checked by the operation's input schema, so the route, its validation and
 * its OpenAPI entry follow the one declaration.
 */
export function operationRoute<I, O, A>(operation: Operation<I, O, A>, binding: OperationBinding<I, A>): Route {
  const { handler } = operation;
  const inBody = binding.input === 'body';
  return defineRoute<I, Record<string, never>, I, O>({
    method: binding.method,
    path: binding.path,
    summary: operation.summary,
    tags: binding.tags,
    permission: operation.permission,
    params: inBody ? undefined : (binding.input as { params: z.ZodType<I> }).params,
    body: inBody ? operation.input : undefined,
    response: operation.output,
    status: binding.status,
    example: binding.example,
    noStore: binding.noStore,
    errors: [...operation.errors],
    handler: (request) => handler(binding.actor(request.ctx), inBody ? request.body : request.params),
  });
}
