import Ajv, { type ValidateFunction } from 'ajv-draft-04';

/**
 * Every HTTP answer the tests receive from a tandem server, held to the
 * OpenAPI document that server serves at /openapi.json: the status must be
 * one its operation documents, and the body must match that status's schema
 * (which lists the error codes of the route, and allows no undeclared
 * field). test/setup/openapi-responses.ts runs this on every `fetch` of
 * every test file, so a route cannot change what it answers without
 * changing its declaration.
 *
 * OpenAPI 3.0 schemas are JSON Schema draft 4/5 with `nullable`: ajv's
 * draft-04 class reads them as they are (boolean exclusiveMinimum,
 * nullable), with no conversion of our own.
 */

type JsonObject = Record<string, unknown>;

interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema?: unknown }>; headers?: Record<string, { required?: boolean }> } | undefined
  >;
}

interface PathEntry {
  template: string;
  pattern: RegExp;
  params: number;
  operations: Record<string, Operation | undefined>;
}

/** One answer as the client saw it. */
export interface Answer {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  /** The body's text; undefined when there is none to check (HEAD, 204, 304). */
  body: string | undefined;
  /** The names of the headers the answer carried, lower-cased. */
  headers?: ReadonlySet<string>;
}

/** A JSON pointer token (RFC 6901). */
function pointerToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function pathEntries(doc: JsonObject): PathEntry[] {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation | undefined>>;
  return (
    Object.entries(paths)
      .map(([template, operations]) => {
        const parts = template.split(/\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        return {
          template,
          // Express matches paths case-insensitively and with or without a trailing slash.
          pattern: new RegExp(`^${parts.join('([^/]+)')}/?$`, 'i'),
          params: parts.length - 1,
          operations,
        };
      })
      // A literal segment wins over a parameter, as Express's declaration order gives it here.
      .sort((a, b) => a.params - b.params)
  );
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaTypeOf(contentType: string | null): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

export class OpenApiResponseCheck {
  private readonly ajv: Ajv;
  private readonly entries: PathEntry[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: JsonObject) {
    // allErrors: a failing test names every wrong field at once. strict stays on: a keyword ajv
    // does not know in our schemas is a mistake in the document, not something to skip.
    this.ajv = new Ajv({ allErrors: true, strict: true });
    // The document's own fields are not schema keywords: ajv only resolves pointers through them.
    this.ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components', 'tags', 'security', 'externalDocs']);
    this.ajv.addSchema(document, 'openapi.json');
    this.entries = pathEntries(document);
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json#${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  private errorsOf(pointer: string, value: unknown): string[] {
    const validate = this.validator(pointer);
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  }

  /** The document's answer schemas for a path and method, or undefined when no operation serves them. */
  private operationOf(method: string, path: string): { template: string; operation: Operation } | undefined {
    // Express answers HEAD with the GET route, without a body.
    const key = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    for (const entry of this.entries) {
      if (!entry.pattern.test(path)) continue;
      const operation = entry.operations[key];
      if (operation) return { template: entry.template, operation };
    }
    return undefined;
  }

  /**
   * What is wrong with an answer, as sentences; empty when the document
   * allows it. A path and method no operation serves must answer a 4xx in
   * the error envelope (the 404 of an unknown route, or the body parser's
   * 400/413/415, which run before routing).
   */
  violations(answer: Answer): string[] {
    const where = `${answer.method} ${answer.path} answered ${answer.status}`;
    // A CORS preflight is answered by the CORS layer before routing (docs/http.md), with no body.
    if (answer.method === 'OPTIONS' && answer.status === 204 && !answer.body) return [];
    const found = this.operationOf(answer.method, answer.path);
    const json = (): { ok: true; value: unknown } | { ok: false; problem: string } => {
      if (mediaTypeOf(answer.contentType) !== 'application/json') {
        return { ok: false, problem: `${where} with Content-Type ${String(answer.contentType)}, not application/json` };
      }
      try {
        return { ok: true, value: JSON.parse(answer.body ?? '') as unknown };
      } catch {
        return { ok: false, problem: `${where} with a body that is not JSON: ${(answer.body ?? '').slice(0, 200)}` };
      }
    };

    if (!found) {
      if (answer.status < 400 || answer.status > 499) {
        return [`${where}, but the document has no ${answer.method} ${answer.path}: only a 4xx may answer there`];
      }
      if (answer.body === undefined) return [];
      const parsed = json();
      if (!parsed.ok) return [parsed.problem];
      return this.errorsOf('/components/schemas/ErrorEnvelope', parsed.value).map((e) => `${where}: ${e}`);
    }

    const { template, operation } = found;
    const response = operation.responses[String(answer.status)];
    if (!response) {
      const documented = Object.keys(operation.responses).join(', ');
      return [`${where}, a status the document does not list for ${template} (it lists ${documented})`];
    }
    const missing = Object.entries(response.headers ?? {})
      .filter(([name, header]) => header.required === true && answer.headers && !answer.headers.has(name.toLowerCase()))
      .map(([name]) => `${where} without the ${name} header the document requires`);
    if (missing.length > 0) return missing;
    if (answer.body === undefined) return [];
    const content = response.content ?? {};
    const mediaType = mediaTypeOf(answer.contentType);
    if (mediaType === undefined || content[mediaType] === undefined) {
      return [
        `${where} with Content-Type ${String(answer.contentType)}; the document says ${Object.keys(content).join(', ')}`,
      ];
    }
    const pointer = `/paths/${pointerToken(template)}/${answer.method.toLowerCase() === 'head' ? 'get' : answer.method.toLowerCase()}/responses/${answer.status}/content/${pointerToken(mediaType)}/schema`;
    if (mediaType !== 'application/json') {
      return this.errorsOf(pointer, answer.body).map((e) => `${where}: ${e}`);
    }
    const parsed = json();
    if (!parsed.ok) return [parsed.problem];
    return this.errorsOf(pointer, parsed.value).map((e) => `${where}: ${e} (schema ${template} ${answer.status})`);
  }

  /** Problems with a request body example against the operation's request schema. */
  requestExampleViolations(template: string, method: string): string[] {
    const pointer = `/paths/${pointerToken(template)}/${method}/requestBody/content/application~1json`;
    const media = this.mediaObject(template, method);
    if (media?.example === undefined) return [`${method.toUpperCase()} ${template} has no request body example`];
    return this.errorsOf(`${pointer}/schema`, media.example).map(
      (e) => `${method.toUpperCase()} ${template} example: ${e}`,
    );
  }

  private mediaObject(template: string, method: string): { example?: unknown } | undefined {
    const paths = this.document.paths as Record<string, Record<string, JsonObject>>;
    const requestBody = paths[template]?.[method]?.requestBody as
      { content?: Record<string, { example?: unknown }> } | undefined;
    return requestBody?.content?.['application/json'];
  }
}
