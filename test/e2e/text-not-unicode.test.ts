import thrift from 'thrift';
import type { CsEvent } from '../../src/service/cs/cs-types';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import {
  CreateCsEventRequest,
  type CsEvent as IdlEvent,
  CsSource,
  CsUserType,
  UserException,
} from '../../thrift/gen-nodejs/tandem_types';
import { baseUrl } from '../helpers/app';
import { appWithOwnData, select } from '../helpers/cs';
import { type LoggedIn, loginAs } from '../helpers/staff';
import { tandemClient } from '../helpers/thrift-client';
import { decodeReply, encodeCall, FrameCutter, rawConnection } from '../helpers/thrift-wire';
import { within } from '../helpers/wait';

/**
 * Text fields take Unicode text only: bytes that are not UTF-8 (invalid,
 * overlong, a surrogate encoded as UTF-8) and lone surrogates are refused
 * with 1001 naming the field, over HTTP and Thrift, instead of being stored
 * as U+FFFD. A U+FFFD that was sent, correctly encoded, is kept.
 */

const app = appWithOwnData();
let agent: LoggedIn;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
});

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

async function postRaw(
  path: string,
  body: Buffer,
  method = 'POST',
): Promise<{ status: number; code: number; msg: string; data: unknown }> {
  const res = await fetch(`${baseUrl(app())}${path}`, { method, headers: agent.headers, body });
  const parsed = (await res.json()) as { code: number; msg: string; data: unknown };
  return { status: res.status, ...parsed };
}

async function rowsWithContent(marker: string): Promise<number> {
  const rows = await select<{ id: string }>(app(), 'SELECT id FROM cs_event WHERE content LIKE :like', {
    like: `%${marker}%`,
  });
  return rows.length;
}

describe('over HTTP', () => {
  const create = (content: Buffer): Buffer =>
    bytes('{"user_type":"user","source":"phone","content":"', [...content], '"}');

  it.each([
    ['a byte that starts no sequence (0xFF)', [0xff]],
    ['a sequence cut short (0xE2 0x82)', [0xe2, 0x82]],
    ['an overlong "/" (0xC0 0xAF)', [0xc0, 0xaf]],
    ['an overlong three-byte NUL (0xE0 0x80 0x80)', [0xe0, 0x80, 0x80]],
    ['a surrogate encoded as UTF-8 (0xED 0xA0 0x80)', [0xed, 0xa0, 0x80]],
    ['a code point past U+10FFFF (0xF4 0x90 0x80 0x80)', [0xf4, 0x90, 0x80, 0x80]],
  ])('when content holds %s, then 400 (1001) naming body.content, and nothing is stored', async (_what, bad) => {
    const marker = `bad-bytes-${bad.join('-')}`;

    const res = await postRaw('/api/cs/events', create(bytes(marker, bad)));

    expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 1001 });
    expect(res.msg).toBe(
      'Some fields are invalid: body.content (not valid UTF-8 text (an invalid or overlong byte sequence, or a lone surrogate)).',
    );
    expect(await rowsWithContent(marker)).toBe(0);
  });

  it.each([
    ['a lone high surrogate', '\\ud800'],
    ['a lone low surrogate', '\\udc00'],
    ['a low surrogate before a high one', '\\udc00\\ud800'],
  ])('when content holds %s, escaped in the JSON, then 400 (1001) naming body.content', async (_what, escape) => {
    const res = await postRaw('/api/cs/events', bytes(`{"user_type":"user","source":"phone","content":"x${escape}"}`));

    expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 1001 });
    expect(res.msg).toContain('body.content (not valid UTF-8 text');
  });

  it('when several fields hold bad bytes, then each is named, nested ones by their path', async () => {
    const admin = await loginAs(app(), ['cs_admin']);
    const body = bytes('{"nodes":[{"name":"ok"},{"name":"bad', [0xff], '"}]}');

    const res = await fetch(`${baseUrl(app())}/api/cs/categories`, { method: 'PUT', headers: admin.headers, body });
    const parsed = (await res.json()) as { code: number; msg: string };

    expect({ status: res.status, code: parsed.code }).toEqual({ status: 400, code: 1001 });
    expect(parsed.msg).toContain('body.nodes.1.name');
    expect(parsed.msg).not.toContain('body.nodes.0.name');
  });

  it('when a bad byte is outside any string, then 400 (1002): the body is not JSON', async () => {
    const res = await postRaw(
      '/api/cs/events',
      bytes('{"user_type":"user",', [0xff], '"source":"phone","content":"x"}'),
    );

    expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 1002 });
  });

  it('when content holds U+FFFD encoded right, escaped U+FFFD, and an emoji as a surrogate pair, then 201 and the text is stored as sent', async () => {
    const content = 'literal \ufffd, escaped \ufffd, pair \u{1F600}';
    const body = bytes(
      '{"user_type":"user","source":"phone","content":"literal \ufffd, escaped \\ufffd, pair \\ud83d\\ude00"}',
    );

    const res = await postRaw('/api/cs/events', body);

    expect(res.status).toBe(201);
    expect((res.data as CsEvent).content).toBe(content);
    const [row] = await select<{ content: string }>(app(), 'SELECT content FROM cs_event WHERE id = :id', {
      id: (res.data as CsEvent).id,
    });
    expect(row?.content).toBe(content);
  });
});

describe('over Thrift', () => {
  /** A create_cs_event call whose content's placeholder bytes are replaced with `bad` (same length). */
  function callWithBadContent(placeholder: string, bad: number[], compact = false): Buffer {
    const request = new CreateCsEventRequest({
      user_type: CsUserType.USER,
      source: CsSource.PHONE,
      content: `thrift ${placeholder} content`,
    });
    const Protocol = compact ? thrift.TCompactProtocol : undefined;
    const frame = encodeCall(TandemClient, 'create_cs_event', [request], 0, Protocol);
    const at = frame.indexOf(Buffer.from(placeholder));
    if (at < 0 || placeholder.length !== bad.length)
      throw new Error('the placeholder must be found and as long as the bad bytes');
    Buffer.from(bad).copy(frame, at);
    return frame;
  }

  async function send(frame: Buffer): Promise<{ result?: unknown; err?: unknown }> {
    const conn = await rawConnection(app().thrift.port);
    try {
      const reply = new Promise<Buffer>((resolve) => {
        const cutter = new FrameCutter((buf, start, end) => resolve(Buffer.from(buf.subarray(start, end))));
        conn.socket.on('data', (chunk: Buffer) => cutter.push(chunk));
      });
      conn.socket.write(frame);
      return decodeReply(TandemClient, 'create_cs_event', await within(reply, 5000, 'the reply'));
    } finally {
      conn.socket.destroy();
    }
  }

  it.each([
    ['0xFF', '#', [0xff]],
    ['an overlong "/" (0xC0 0xAF)', '##', [0xc0, 0xaf]],
    ['a surrogate encoded as UTF-8 (0xED 0xA0 0x80)', '###', [0xed, 0xa0, 0x80]],
  ])(
    'when create_cs_event content holds %s, then UserException 1001 naming request.content, and nothing is stored',
    async (_what, placeholder, bad) => {
      const { err } = await send(callWithBadContent(placeholder, bad));

      expect(err).toBeInstanceOf(UserException);
      expect({ code: (err as UserException).code, message: (err as UserException).message }).toEqual({
        code: 1001,
        message:
          'Some fields are invalid: request.content (not valid UTF-8 text (an invalid or overlong byte sequence, or a lone surrogate)).',
      });
      expect(await rowsWithContent('thrift ')).toBe(0);
    },
  );

  it('when the call comes in the compact protocol with 0xFF in content, then the reply is the same 1001 naming request.content', async () => {
    const conn = await rawConnection(app().thrift.port);
    try {
      conn.socket.write(callWithBadContent('#', [0xff], true));
      const reply = await within(
        new Promise<string>((resolve) => {
          let text = '';
          conn.socket.on('data', (chunk: Buffer) => {
            text += chunk.toString('latin1');
            if (text.includes('lone surrogate')) resolve(text);
          });
        }),
        5000,
        'the compact reply',
      );

      expect(reply).toContain('Some fields are invalid: request.content (not valid UTF-8 text');
      expect(await rowsWithContent('thrift ')).toBe(0);
    } finally {
      conn.socket.destroy();
    }
  });

  it('when create_cs_event content holds U+FFFD encoded right, then the event keeps it', async () => {
    const client = await tandemClient(app().thrift.port);
    try {
      const request = new CreateCsEventRequest({
        user_type: CsUserType.USER,
        source: CsSource.PHONE,
        content: 'sent as \ufffd on purpose',
      });

      const event: IdlEvent = await within(client.client.create_cs_event(request), 5000, 'create_cs_event');

      expect(event.content).toBe('sent as \ufffd on purpose');
    } finally {
      client.close();
    }
  });
});
