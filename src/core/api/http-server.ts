import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';
import { type TandemError, UserError } from '../../exception';
import { prom } from '../monitor';
import { errorEnvelope } from '../response/envelope';
import { httpStatusOf } from '../response/http-status';

/** The error of what Node's HTTP parser or its deadlines refused, as the envelope says it. */
function errorOfClient(err: NodeJS.ErrnoException, timeoutMs: number): TandemError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new UserError('HEADERS_TOO_LARGE', { cause: err });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new UserError('REQUEST_TIMEOUT', { params: { timeout_ms: timeoutMs }, cause: err });
    default:
      return new UserError('BAD_REQUEST', { params: { reason: 'it is not well-formed HTTP/1.1.' }, cause: err });
  }
}

/**
 * Node's private field for the response being written on a socket, which
 * its own clientError answer checks the same way: an answer already under
 * way must not be followed by another on the same bytes.
 */
type SocketWithResponse = Duplex & { _httpMessage?: (http.ServerResponse & { req?: express.Request }) | null };

/**
 * Answers what Node's HTTP parser refuses (a request that is not HTTP, 400;
 * headers over maxHeaderSize, 431) and its deadlines (408) in the envelope,
 * with X-Request-Id and the security headers, as every other answer: by
 * default Node writes a bare status line. The request id is the in-flight
 * request's, when the parser had made one, else a new one. Then the
 * connection is closed, as Node does.
 */
function clientErrorAnswer(server: http.Server, headers: readonly string[]) {
  return (err: NodeJS.ErrnoException, duplex: Duplex): void => {
    const socket = duplex as SocketWithResponse;
    const inFlight = socket._httpMessage ?? undefined;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    // With a request in flight its headers arrived: the request deadline passed; without, the headers'.
    const timeoutMs = inFlight ? server.requestTimeout : server.headersTimeout;
    const error = errorOfClient(err, timeoutMs);
    const status = httpStatusOf(error);
    const requestId = inFlight?.req?.tandem?.requestId ?? randomUUID();
    prom.errorsTotal.inc({ protocol: 'http', kind: error.kind });
    const payload = JSON.stringify(errorEnvelope(error, requestId));
    const lines = [
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`,
      `X-Request-Id: ${requestId}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(payload)}`,
      'Connection: close',
    ];
    for (let i = 0; i + 1 < headers.length; i += 2) lines.push(`${headers[i] as string}: ${headers[i + 1] as string}`);
    socket.end(`${lines.join('\r\n')}\r\n\r\n${payload}`, () => socket.destroy());
  };
}

/** Node's request and response constructors are plain functions (not classes) that a subclass calls with `this`. */
type NodeInit = (this: object, first: unknown, second?: unknown) => void;

function isPlainFunction(fn: unknown): fn is NodeInit {
  return typeof fn === 'function' && !Function.prototype.toString.call(fn).startsWith('class');
}

/**
 * A constructor that runs `base` on objects whose prototype is `prototype`
 * from the start, or undefined when `base` is a class (which cannot be
 * called that way; a later Node could make it one).
 *
 * It must call `base` rather than use Reflect.construct(base, args, Derived):
 * V8 then makes a new hidden class for every object built, the very cost
 * this avoids.
 */
function constructorWithPrototype<T>(base: T, prototype: object): T | undefined {
  if (!isPlainFunction(base)) return undefined;
  const init: NodeInit = base;
  function Derived(this: object, first: unknown, second?: unknown): void {
    init.call(this, first, second);
  }
  Derived.prototype = prototype;
  return Derived as unknown as T;
}

/**
 * The HTTP server of an Express app, whose requests and responses are born
 * with the app's own prototypes (`app.request`, `app.response`).
 *
 * Express gives every request and response those prototypes with
 * Object.setPrototypeOf when it starts handling them. In V8 each such change
 * makes a new hidden class that the old one's transition table keeps (weakly)
 * until the next full collection: every one outlives two scavenges and is
 * promoted. Measured with --trace-gc-nvp on a bare Express app at 3000
 * requests/s: about 3 MB promoted per scavenge, which fills the old
 * generation and makes full collections run over tandem's whole heap again
 * and again. Born with the right prototype, Express's call changes nothing:
 * under 100 bytes promoted per scavenge, and 40% less allocated per request.
 */
export function createHttpServer(
  app: express.Express,
  deadlines?: RequestDeadlines,
  headers: readonly string[] = [],
): http.Server {
  const IncomingMessage = constructorWithPrototype(http.IncomingMessage, app.request);
  const ServerResponse = constructorWithPrototype(http.ServerResponse, app.response);
  const timing = deadlines ? serverTiming(deadlines) : {};
  const server =
    !IncomingMessage || !ServerResponse
      ? http.createServer(timing, app)
      : http.createServer({ IncomingMessage, ServerResponse, ...timing }, app);
  server.on('clientError', clientErrorAnswer(server, headers));
  return server;
}

/** How long a client may take to send a request. */
export interface RequestDeadlines {
  /** The headers must have arrived within this (http.headers_timeout_ms). */
  headersMs: number;
  /** The body, from its first byte (http.body_timeout_ms); the route reading it enforces this itself. */
  bodyMs: number;
}

/**
 * Node's own deadlines: past them it answers 408 (in the envelope, by
 * clientErrorAnswer) and closes the connection (a slow or stalled sender
 * holds a socket and a parser, nothing more). The whole request may take
 * the headers' time plus the body's: a route that reads a body answers 408
 * itself at http.body_timeout_ms from the body's first byte (http-app.ts),
 * and Node's bound only catches a body no route reads (a 404, a body sent to
 * a GET). Node checks them on a sweep, every 30 s by default, which would
 * stretch a 10 s deadline to 40 s: the sweep runs every second here, or more
 * often for deadlines under 4 s.
 */
function serverTiming(d: RequestDeadlines): http.ServerOptions {
  const requestTimeout = d.headersMs + d.bodyMs;
  const headersTimeout = d.headersMs;
  return {
    requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}
