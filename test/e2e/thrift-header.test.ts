import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { RunningApp } from '../../src/core/app/app';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { tandemClient } from '../helpers/thrift-client';

/**
 * Apache Thrift's header protocol (THeader) on the autodetecting port, with
 * a real Python client (Debian's python3-thrift, THeaderProtocol): the
 * caller's request id and service name reach the call, and the reply carries
 * the request id back.
 */

const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(__dirname, '..', 'fixtures', 'python', 'theader_client.py');

/** Why the Python client cannot run here, or undefined when it can. */
function pythonMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import thrift.protocol.THeaderProtocol'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0)
    return `${PYTHON} has no thrift library with THeaderProtocol (install python3-thrift: bash deploy/local-services.sh does on Debian as root)`;
  return undefined;
}

const missing = pythonMissing();
if (missing) process.stderr.write(`thrift-header.test.ts: skipping the Python THeader tests: ${missing}.\n`);
const withPython = missing ? it.skip : it;

interface Answer {
  type: number;
  seqid: number;
  success?: string;
  exception?: { field: number; code: number; message: string };
  headers: Record<string, string>;
}

function runClient(
  port: number,
  requestId: string,
  service: string,
  compact: boolean,
): Promise<Record<string, Answer>> {
  const args = [CLIENT, String(port), requestId, service, ...(compact ? ['compact'] : [])];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the Python client failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as Record<string, Answer>);
    });
  });
}

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let logs: LogCapture;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    log: { level: 'info', access: true },
  });
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

describe.each([
  ['binary', false],
  ['compact', true],
])('a Python THeaderProtocol client (%s inside)', (_name, compact) => {
  withPython(
    'when it sends its request id and service name, then replies carry the id and the access lines name both',
    async () => {
      const requestId = `order-svc-${compact ? 'c' : 'b'}-${Date.now()}`;

      const out = await runClient(app.thrift.port, requestId, 'order-service', compact);

      expect(out.ping).toMatchObject({ type: 2, seqid: 1, success: 'pong' });
      expect(out.ping?.headers['request-id']).toBe(requestId);
      // get_cs_event(999999999): not found, a UserException (result field 1), answered in the same protocol.
      expect(out.get_cs_event?.exception).toMatchObject({ field: 1, code: 1100 });
      expect(out.get_cs_event?.headers['request-id']).toBe(requestId);
      for (const method of ['ping', 'get_cs_event']) {
        const line = await logs.find(
          (l) => l.message === 'thrift access' && l.method === method && l.request_id === requestId,
        );
        expect(line.caller).toBe('order-service');
      }
    },
  );
});

withPython('when its request id is not a safe token, then a new id is used, logged and sent back instead', async () => {
  const out = await runClient(app.thrift.port, 'bad id with spaces', 'order-service', false);

  const sent = out.ping?.headers['request-id'];
  expect(sent).toBeDefined();
  expect(sent).not.toBe('bad id with spaces');
  await logs.find((l) => l.message === 'thrift access' && l.method === 'ping' && l.request_id === sent);
});

it('when a framed binary client without headers calls on the same port, then it is served as before', async () => {
  const client = await tandemClient(app.thrift.port);
  try {
    expect(await client.client.ping()).toBe('pong');
  } finally {
    client.close();
  }
});
