import { type Answer, OpenApiResponseCheck } from './openapi-check';

/**
 * `fetch` with every answer of a tandem server held to the OpenAPI document
 * that server serves: an answer the document does not allow rejects the
 * call with the reasons, so the test that received it fails there.
 *
 * A tandem server is recognised by the X-Request-Id every one of its
 * answers carries; the answers of other servers (a bare Express app in a
 * test) are counted and passed through. Its document is read once per
 * origin; when an answer does not fit, the document is read again before
 * failing, since a port can be reused by another app in the same file.
 */

export interface CheckCounts {
  /** Answers held to a document and found allowed. */
  checked: number;
  /** Answers of servers that are not tandem's (no X-Request-Id). */
  others: number;
  /** Answers whose server was gone before its document could be read, or whose body did not arrive. */
  unchecked: number;
}

export const counts: CheckCounts = { checked: 0, others: 0, unchecked: 0 };

type Fetch = typeof globalThis.fetch;

/** What an origin serves at /openapi.json: its document, `none` (another answer), or undefined (unreachable). */
type Served = OpenApiResponseCheck | { none: number } | undefined;

const documents = new Map<string, Promise<Served>>();

/** The fetch that the check wraps, for reading documents without checking them. */
let unchecked: Fetch | undefined;

async function loadDocument(realFetch: Fetch, origin: string): Promise<Served> {
  let res: Response;
  try {
    res = await realFetch(`${origin}/openapi.json`);
  } catch {
    return undefined;
  }
  const text = await res.text().catch(() => undefined);
  if (text === undefined) return undefined;
  if (res.status !== 200) return { none: res.status };
  return new OpenApiResponseCheck(JSON.parse(text) as Record<string, unknown>);
}

/**
 * Reads the document of a server that has just started (test/helpers/app.ts
 * does), so that its answers are checked even when the first one arrives
 * while it stops and can no longer serve the document.
 */
export async function preloadDocument(origin: string): Promise<void> {
  if (unchecked) await documentOf(unchecked, origin, true);
}

function documentOf(realFetch: Fetch, origin: string, fresh: boolean): Promise<Served> {
  let doc = documents.get(origin);
  if (!doc || fresh) {
    doc = loadDocument(realFetch, origin);
    documents.set(origin, doc);
  }
  return doc;
}

function methodOf(input: Parameters<Fetch>[0], init: Parameters<Fetch>[1]): string {
  if (init?.method) return init.method.toUpperCase();
  if (typeof input === 'object' && 'method' in input) return input.method.toUpperCase();
  return 'GET';
}

function urlOf(input: Parameters<Fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/** Holds one answer to its server's document; throws with every reason when it is not allowed. */
async function check(realFetch: Fetch, method: string, url: URL, res: Response): Promise<void> {
  if (!res.headers.has('x-request-id')) {
    counts.others += 1;
    return;
  }
  let body: string | undefined;
  if (method !== 'HEAD' && res.status !== 204 && res.status !== 304) {
    try {
      body = await res.clone().text();
    } catch {
      // The connection ended mid-body (a test that stops the server under a request): only the status is checked.
      body = undefined;
    }
  }
  const answer: Answer = {
    method,
    path: url.pathname,
    status: res.status,
    contentType: res.headers.get('content-type'),
    body,
    headers: new Set([...res.headers.keys()].map((name) => name.toLowerCase())),
  };
  let doc = await documentOf(realFetch, url.origin, false);
  let problems = doc instanceof OpenApiResponseCheck ? doc.violations(answer) : undefined;
  if (!doc || !(doc instanceof OpenApiResponseCheck) || (problems && problems.length > 0)) {
    const fresh = await documentOf(realFetch, url.origin, true);
    // A server gone since it answered keeps the verdict of the document it served.
    if (fresh) {
      doc = fresh;
      problems = fresh instanceof OpenApiResponseCheck ? fresh.violations(answer) : undefined;
    }
  }
  if (doc && !(doc instanceof OpenApiResponseCheck)) {
    throw new Error(
      `${url.origin} answers with X-Request-Id like a tandem server, but GET /openapi.json answered ${doc.none}: ` +
        'serve the document (mountOpenApi) so that its answers can be checked.',
    );
  }
  if (!doc || !problems) {
    counts.unchecked += 1;
    return;
  }
  if (problems.length > 0) {
    throw new Error(`The answer does not match the OpenAPI document it serves:\n- ${problems.join('\n- ')}`);
  }
  counts.checked += 1;
}

/**
 * Checks an answer read without fetch (node:http, for a test that needs the
 * socket or the agent), as the fetch wrapper checks every other one.
 */
export async function checkAnswer(
  method: string,
  url: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): Promise<void> {
  if (!unchecked) return;
  const flat = Object.entries(headers).flatMap(([name, value]): [string, string][] =>
    value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
  );
  const noBody = method.toUpperCase() === 'HEAD' || status === 204 || status === 304;
  await check(
    unchecked,
    method.toUpperCase(),
    new URL(url),
    new Response(noBody ? null : body, { status, headers: flat }),
  );
}

/** Wraps a fetch so that every answer is checked before the caller sees it. */
export function checkingFetch(realFetch: Fetch): Fetch {
  unchecked = realFetch;
  const wrapped = async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]): Promise<Response> => {
    const res = await realFetch(input, init);
    const url = new URL(res.url || urlOf(input));
    await check(realFetch, methodOf(input, init), url, res);
    return res;
  };
  return wrapped;
}
