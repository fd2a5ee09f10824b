import net from 'node:net';
import zlib from 'node:zlib';
import { baseUrl } from '../helpers/app';
import { appWithOwnData } from '../helpers/cs';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { type LoggedIn, loginAs } from '../helpers/staff';

/**
 * What a caller without a token can make the server do: its body is not
 * read before the 401, a body it cannot decode is its own 400/415 (no 500,
 * no stack), and a request sent slowly is cut at the configured deadlines.
 * Plus the small things of a login: "bearer" in any case, and answers that
 * carry a token or a person's data are not to be cached.
 */

const BODY_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;

const app = appWithOwnData({ http: { body_timeout_ms: BODY_TIMEOUT_MS, headers_timeout_ms: HEADERS_TIMEOUT_MS } });
let logs: LogCapture;
let agent: LoggedIn;

beforeAll(async () => {
  logs = captureLogs();
  agent = await loginAs(app(), ['cs_agent']);
});

function figure(text: string): void {
  process.stderr.write(`  [figures] ${text}\n`);
}

async function post(
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; code: number; msg: string; text: string }> {
  const res = await fetch(`${baseUrl(app())}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  const parsed = JSON.parse(text) as { code: number; msg: string };
  return { status: res.status, code: parsed.code, msg: parsed.msg, text };
}

function errorLines(): Record<string, unknown>[] {
  return logs.lines.filter((l) => l.level === 'error');
}

describe('a body sent without a token', () => {
  it('when a route that needs a login gets malformed JSON without a token, then 401: the body was not parsed', async () => {
    const res = await post('/api/cs/events', '{bad');

    expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 900 });
  });

  it('when it gets a 0.9 MB JSON body without a token, then 401 with code 900, and a keep-alive connection still serves the next request', async () => {
    const big = JSON.stringify({
      items: Array.from({ length: 24_500 }, (_, i) => ({ key: i, value: 'abcdefghijkl' })),
    });
    expect(big.length).toBeGreaterThan(850_000);

    const first = await post('/api/cs/events', big);
    const next = await fetch(`${baseUrl(app())}/ping`);

    expect({ status: first.status, code: first.code }).toEqual({ status: 401, code: 900 });
    expect(next.status).toBe(200);
  });

  it('when the same route gets malformed JSON with a token, then 400 with code 1002 as before', async () => {
    const res = await post('/api/cs/events', '{bad', { authorization: agent.headers.authorization as string });

    expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 1002 });
  });
});

describe('a body that cannot be decoded', () => {
  const corruptGzip = Buffer.concat([
    zlib.gzipSync(Buffer.from('{"username":"a","password":"b"}')).subarray(0, 12),
    Buffer.from('not gzip at all'),
  ]);

  it('when a corrupt gzip body comes to the login (a public route, so it is read), then 400 with code 1010 in the envelope and no error line or stack in the log', async () => {
    const before = errorLines().length;

    const res = await post('/api/auth/login', corruptGzip, { 'content-encoding': 'gzip' });

    expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 1010 });
    expect(res.msg).toContain('gzip');
    expect(res.text).not.toMatch(/zlib|incorrect header|at .*\.js/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const written = errorLines().slice(before);
    figure(`corrupt gzip to the login: status ${res.status}, error log lines ${written.length}`);
    expect(written).toEqual([]);
  });

  it('when a corrupt gzip body comes to a route that needs a login, without a token, then 401; to no route, then 404', async () => {
    const guarded = await post('/api/cs/events', corruptGzip, { 'content-encoding': 'gzip' });
    const nowhere = await post('/api/nowhere', corruptGzip, { 'content-encoding': 'gzip' });

    expect(guarded.status).toBe(401);
    expect(nowhere.status).toBe(404);
    expect(errorLines()).toEqual([]);
  });

  it('when the Content-Encoding is one the server does not know, then 415 with code 1011 naming it', async () => {
    const res = await post('/api/auth/login', '{"username":"a","password":"b"}', { 'content-encoding': 'compress' });

    expect({ status: res.status, code: res.code }).toEqual({ status: 415, code: 1011 });
    expect(res.msg).toContain('compress');
  });

  it('when a well-formed gzip body comes to the login, then it is read as usual', async () => {
    const body = zlib.gzipSync(Buffer.from(JSON.stringify({ username: 'nobody-gzip', password: 'wrong password' })));

    const res = await post('/api/auth/login', body, { 'content-encoding': 'gzip' });

    expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 902 });
  });
});

/** Opens a raw connection, writes `text`, then nothing; resolves with what came back and when the server closed it. */
function stall(text: string, giveUpMs: number): Promise<{ reply: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port: app().http.port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closedAfterMs: undefined });
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closedAfterMs: Date.now() - started });
    });
    socket.write(text);
  });
}

describe('a request sent slowly', () => {
  it(`when a body stops arriving after the headers, then the server answers 408 and closes the connection by http.body_timeout_ms (${BODY_TIMEOUT_MS} ms) plus one check`, async () => {
    const { reply, closedAfterMs } = await stall(
      'POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user',
      10_000,
    );

    figure(`body stalled after the headers: closed after ${closedAfterMs} ms (deadline ${BODY_TIMEOUT_MS} ms)`);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeDefined();
    expect(closedAfterMs as number).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 100);
    expect(closedAfterMs as number).toBeLessThan(BODY_TIMEOUT_MS + 2000);
  });

  it(`when the headers stop arriving, then the connection is answered 408 and closed by http.headers_timeout_ms (${HEADERS_TIMEOUT_MS} ms) plus one check`, async () => {
    const { reply, closedAfterMs } = await stall('GET /ping HTTP/1.1\r\nHost: t\r\nX-Slow: ', 10_000);

    figure(`headers stalled: closed after ${closedAfterMs} ms (deadline ${HEADERS_TIMEOUT_MS} ms)`);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs as number).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(closedAfterMs as number).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
  });
});

describe('tokens and caches', () => {
  it.each(['bearer', 'BEARER', 'Bearer'])(
    'when the token comes as "%s <token>", then /api/auth/me answers 200',
    async (scheme) => {
      const res = await fetch(`${baseUrl(app())}/api/auth/me`, {
        headers: { authorization: `${scheme} ${agent.token}` },
      });

      expect(res.status).toBe(200);
    },
  );

  it('when the login answers with a token, then it says Cache-Control: no-store; so does /api/auth/me, and an ordinary route does not', async () => {
    const login = await fetch(`${baseUrl(app())}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody-at-all', password: 'wrong' }),
    });
    const fresh = await loginAs(app(), ['cs_agent']);
    const ok = await fetch(`${baseUrl(app())}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: await usernameOf(fresh), password: `pw-${await usernameOf(fresh)}-secret` }),
    });
    const me = await fetch(`${baseUrl(app())}/api/auth/me`, { headers: { authorization: `Bearer ${fresh.token}` } });
    const stats = await fetch(`${baseUrl(app())}/api/cs/stats`, {
      headers: { authorization: `Bearer ${fresh.token}` },
    });

    expect(login.status).toBe(401);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect(stats.headers.get('cache-control')).toBeNull();
  });
});

async function usernameOf(who: LoggedIn): Promise<string> {
  const res = await fetch(`${baseUrl(app())}/api/auth/me`, { headers: { authorization: `Bearer ${who.token}` } });
  return ((await res.json()) as { data: { username: string } }).data.username;
}
