import thrift from 'thrift';
import type { RunningApp } from '../../src/core/app/app';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { itWithPythonThrift, runCallClient } from '../helpers/python-thrift';

/**
 * Apache Thrift's Python library (Debian's python3-thrift) against the real
 * server on its one autodetecting port, with the transports a Python sibling
 * picks without THeader: TBufferedTransport (unframed: the library's usual
 * default) and TFramedTransport, each with the binary and the compact
 * protocol. THeader is in thrift-header.test.ts and thrift-header-work.test.ts;
 * the generated-code example of docs/thrift.md (framed binary) in
 * thrift-doc-clients.test.ts.
 *
 * Each client makes several calls on one connection, one of them about 2 MB
 * (a field the IDL does not have, which the server must skip), so an
 * unframed message arrives in many reads and the next one must still be read
 * from where it ends.
 */

const PAD_BYTES = 2 * 1024 * 1024;

const withPython = itWithPythonThrift(
  'thrift-python-clients.test.ts',
  'thrift.transport.TTransport, thrift.protocol.TCompactProtocol',
);

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let logs: LogCapture;
/** The library's log switch; its typings leave it out. */
const thriftLog = thrift as unknown as { setLogFunc: (fn: (line: string) => void) => void };
/** What the thrift library printed (on stdout, not as JSON, by default) while the server ran. */
const libraryLines: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    log: { level: 'info', access: true },
  });
  logs = captureLogs();
  thriftLog.setLogFunc((line: string) => libraryLines.push(line));
});

afterAll(async () => {
  thriftLog.setLogFunc(console.log);
  await app.stop();
  await db.drop();
});

describe.each([
  { transport: 'buffered', protocol: 'binary' },
  { transport: 'buffered', protocol: 'compact' },
  { transport: 'framed', protocol: 'binary' },
  { transport: 'framed', protocol: 'compact' },
])('a Python client with $transport transport and the $protocol protocol', ({ transport, protocol }) => {
  withPython(
    'when it calls ping, a 2 MB get_cs_event and ping again on one connection, then each is answered in order',
    async () => {
      const before = logs.lines.filter((l) => l.message === 'thrift access').length;
      const printedBefore = libraryLines.length;

      const out = await runCallClient(app.thrift.port, transport, protocol, [
        'ping',
        `get_cs_event:999999999+${PAD_BYTES}`,
        'ping',
      ]);

      expect(out).toHaveLength(3);
      expect(out[0]).toEqual({ type: 2, seqid: 1, success: 'pong' });
      // get_cs_event(999999999): not found, the IDL's UserException (result field 1), not an internal error.
      expect(out[1]).toMatchObject({ type: 2, seqid: 2, exception: { field: 1, code: 1100 } });
      expect(out[1]?.application_exception).toBeUndefined();
      expect(out[2]).toEqual({ type: 2, seqid: 3, success: 'pong' });
      // One access line a call: none was read twice or lost.
      await logs.find(() => logs.lines.filter((l) => l.message === 'thrift access').length >= before + 3);
      const access = logs.lines.filter((l) => l.message === 'thrift access').slice(before);
      expect(access.map((l) => [l.method, l.outcome, l.code])).toEqual([
        ['ping', 'ok', undefined],
        ['get_cs_event', 'UserError', 1100],
        ['ping', 'ok', undefined],
      ]);
      // Nothing beside the JSON log: the library's compact protocol used to print "SeqId already set" per reply.
      expect(libraryLines.slice(printedBefore)).toEqual([]);
    },
  );
});
