import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { appWithOwnData, eventBody } from '../helpers/cs';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { type LoggedIn, loginAs } from '../helpers/staff';

/**
 * A body that arrives too slowly, or too much of it, is the caller's
 * fault: 408 or 413 in the envelope, the connection closed, no dependency
 * alarm. And what Node's own HTTP parser refuses (not HTTP, headers too
 * large, headers too slow) is answered in the envelope with X-Request-Id.
 * Everything here goes over raw sockets: fetch cannot send a body slowly.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function figure(text: string): void {
  process.stderr.write(`  [figures] ${text}\n`);
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: { code: number; msg: string; data: unknown; request_id: string } | undefined;
  /** Whether the server closed the connection before the test gave up. */
  closed: boolean;
  /** Bytes of the request the client wrote, flushed to the kernel, before the connection ended. */
  written: number;
  /** From the first body byte written to the first byte of the reply, when both happened. */
  answeredAfterMs: number | undefined;
}

function parse(raw: string): Pick<Reply, 'status' | 'headers' | 'body'> {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const text = end < 0 ? '' : raw.slice(end + 4);
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0),
    headers,
    body: text ? (JSON.parse(text) as Reply['body']) : undefined,
  };
}

/**
 * Opens a connection, writes `head`, waits `startAfterMs`, then calls
 * `next()` for each piece of the body every `everyMs` (0: as fast as the
 * socket takes them; undefined from `next`: stop sending) until the server
 * answers and closes, or `giveUpMs` passes.
 */
function exchange(
  port: number,
  head: string,
  next: (() => Buffer | undefined) | undefined,
  everyMs: number,
  giveUpMs: number,
  startAfterMs = 0,
): Promise<Reply> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let raw = '';
    let written = 0;
    let firstBodyAt: number | undefined;
    let answeredAt: number | undefined;
    let done = false;
    let pump: NodeJS.Timeout | undefined;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(pump);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({
        ...parse(raw),
        closed,
        written,
        answeredAfterMs: firstBodyAt !== undefined && answeredAt !== undefined ? answeredAt - firstBodyAt : undefined,
      });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    const send = (): void => {
      if (done || socket.destroyed) return;
      const piece = next?.();
      if (!piece) return;
      firstBodyAt ??= Date.now();
      const flushed = socket.write(piece, (err) => {
        if (!err) written += piece.length;
      });
      if (everyMs > 0) pump = setTimeout(send, everyMs);
      else if (flushed) setImmediate(send);
      else socket.once('drain', send);
    };
    socket.on('data', (chunk: Buffer) => {
      answeredAt ??= Date.now();
      raw += chunk.toString('utf8');
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(head, () => {
      written += Buffer.byteLength(head);
      pump = setTimeout(send, startAfterMs);
    });
  });
}

function deadlineAlarms(logs: LogCapture): Record<string, unknown>[] {
  return logs.lines.filter((l) => String(l.message).includes('a dependency is slow'));
}

function postHead(who: LoggedIn, extra: string): string {
  return `POST /api/cs/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${who.token}\r\nContent-Type: application/json\r\n${extra}\r\n`;
}

/** One byte of a JSON string at a time, forever. */
function trickle(): () => Buffer {
  let first = true;
  return () => {
    if (first) {
      first = false;
      return Buffer.from('{"user_type":"user","source":"phone","content":"');
    }
    return Buffer.from('a');
  };
}

describe('with http.body_timeout_ms 1000 and http.request_timeout_ms 4000', () => {
  const BODY_MS = 1000;
  const app = appWithOwnData({
    http: { body_timeout_ms: BODY_MS, headers_timeout_ms: 1000, request_timeout_ms: 4000, body_limit: '64kb' },
  });
  let logs: LogCapture;
  let agent: LoggedIn;
  const port = (): number => app().http.port;

  beforeAll(async () => {
    logs = captureLogs();
    agent = await loginAs(app(), ['cs_agent']);
  });

  it('when a logged-in create trickles its body a byte every 100 ms, then 408 (1012) in the envelope at body_timeout_ms from the first body byte, the connection closed, and no dependency alarm', async () => {
    const reply = await exchange(port(), postHead(agent, 'Content-Length: 5000\r\n'), trickle(), 100, 10_000);

    figure(`trickled body: answered ${reply.status} after ${reply.answeredAfterMs} ms from its first byte`);
    expect({ status: reply.status, code: reply.body?.code, closed: reply.closed }).toEqual({
      status: 408,
      code: 1012,
      closed: true,
    });
    expect(reply.body?.msg).toBe(
      `The request did not arrive within ${BODY_MS} ms; send it again, whole and without pauses.`,
    );
    expect(reply.headers['x-request-id']).toBe(reply.body?.request_id);
    expect(reply.headers.connection).toBe('close');
    expect(reply.answeredAfterMs as number).toBeGreaterThanOrEqual(BODY_MS - 50);
    expect(deadlineAlarms(logs)).toEqual([]);
  });

  it('when the headers come, then a pause longer than body_timeout_ms, then the whole body at once, then the event is created: the body is timed from its first byte', async () => {
    const body = Buffer.from(JSON.stringify(eventBody({ content: 'sent after a pause' })));
    let sent = false;
    const head = postHead(agent, `Content-Length: ${body.length}\r\n`);
    const once = (): Buffer | undefined => {
      if (sent) return undefined;
      sent = true;
      return body;
    };
    const reply = await exchange(port(), head, once, 0, BODY_MS + 1500, BODY_MS + 500);

    expect({ status: reply.status, content: (reply.body?.data as { content?: string } | undefined)?.content }).toEqual({
      status: 201,
      content: 'sent after a pause',
    });
  });

  it('when a chunked body goes on past http.body_limit (64kb), then 413 (1004) and the connection is closed: the rest is not read', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    const TOTAL = 64 * 1024 * 1024;
    let offered = 0;
    const reply = await exchange(
      port(),
      postHead(agent, 'Transfer-Encoding: chunked\r\n'),
      () => {
        if (offered >= TOTAL) return undefined;
        offered += framed.length;
        return framed;
      },
      0,
      20_000,
    );

    figure(`chunked body past the limit: the client could write ${(reply.written / 1e6).toFixed(1)} MB of 67.1 MB`);
    expect({ status: reply.status, code: reply.body?.code, closed: reply.closed }).toEqual({
      status: 413,
      code: 1004,
      closed: true,
    });
    expect(reply.headers.connection).toBe('close');
    expect(reply.written).toBeLessThan(TOTAL / 2);
    expect(deadlineAlarms(logs)).toEqual([]);
  });

  describe("answers of Node's own parser", () => {
    it('when the request is not HTTP, then 400 (1000) in the envelope with a new X-Request-Id and the security headers', async () => {
      const reply = await exchange(port(), 'HELLO THERE\r\n\r\n', undefined, 0, 5000);

      expect({ status: reply.status, code: reply.body?.code, closed: reply.closed }).toEqual({
        status: 400,
        code: 1000,
        closed: true,
      });
      expect(reply.body?.msg).toBe('The request is invalid: it is not well-formed HTTP/1.1.');
      expect(reply.headers['x-request-id']).toMatch(UUID);
      expect(reply.body?.request_id).toBe(reply.headers['x-request-id']);
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    });

    it('when the headers are larger than Node accepts (32 KB), then 431 (1013) in the envelope', async () => {
      const reply = await exchange(
        port(),
        `GET /ping HTTP/1.1\r\nHost: t\r\nX-Big: ${'b'.repeat(32 * 1024)}\r\n\r\n`,
        undefined,
        0,
        5000,
      );

      expect({ status: reply.status, code: reply.body?.code }).toEqual({ status: 431, code: 1013 });
      expect(reply.body?.msg).toBe('The request headers are larger than the server accepts.');
      expect(reply.headers['x-request-id']).toMatch(UUID);
    });

    it('when the headers stop arriving, then 408 (1012) in the envelope naming headers_timeout_ms', async () => {
      const reply = await exchange(port(), 'GET /ping HTTP/1.1\r\nHost: t\r\nX-Slow: ', undefined, 0, 8000);

      expect({ status: reply.status, code: reply.body?.code, closed: reply.closed }).toEqual({
        status: 408,
        code: 1012,
        closed: true,
      });
      expect(reply.body?.msg).toContain('1000 ms');
      expect(reply.headers['x-request-id']).toMatch(UUID);
    });
  });
});

describe('with http.request_timeout_ms 1500 under http.body_timeout_ms 5000', () => {
  const app: () => RunningApp = appWithOwnData({
    http: { body_timeout_ms: 5000, headers_timeout_ms: 1000, request_timeout_ms: 1500 },
  });
  let logs: LogCapture;
  let agent: LoggedIn;

  beforeAll(async () => {
    logs = captureLogs();
    agent = await loginAs(app(), ['cs_agent']);
  });

  it('when a body is still trickling at the request deadline, then 408 (1012) naming 1500 ms, not 503 (103), and no dependency alarm', async () => {
    const reply = await exchange(app().http.port, postHead(agent, 'Content-Length: 5000\r\n'), trickle(), 100, 10_000);

    figure(`trickled body past the request deadline: ${reply.status} after ${reply.answeredAfterMs} ms`);
    expect({ status: reply.status, code: reply.body?.code, closed: reply.closed }).toEqual({
      status: 408,
      code: 1012,
      closed: true,
    });
    expect(reply.body?.msg).toContain('1500 ms');
    expect(reply.headers['retry-after']).toBeUndefined();
    expect(deadlineAlarms(logs)).toEqual([]);
  });
});
