import type { RunningApp } from '../../src/core/app/app';
import { startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { tandemClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

let app: RunningApp;
let logs: LogCapture;

beforeAll(async () => {
  app = await startTestApp({ log: { level: 'info', access: true } });
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
});

const COMBINATIONS = [
  { name: 'framed binary (Java, Go)', framed: true, compact: false },
  { name: 'framed compact', framed: true, compact: true },
  { name: 'unframed binary (thriftpy defaults)', framed: false, compact: false },
  { name: 'unframed compact', framed: false, compact: true },
];

describe.each(COMBINATIONS)('ping() over $name', ({ framed, compact }) => {
  it('when called, then "pong"', async () => {
    const { client, close } = await tandemClient(app.thrift.port, { framed, compact });
    try {
      const answer = await within(client.ping(), 5000, 'ping()');

      expect(answer).toBe('pong');
    } finally {
      close();
    }
  });

  it('when many calls are in flight on one connection, then each gets its answer', async () => {
    const { client, close } = await tandemClient(app.thrift.port, { framed, compact });
    try {
      const answers = await within(Promise.all(Array.from({ length: 25 }, () => client.ping())), 5000, '25 pings');

      expect(answers).toEqual(Array.from({ length: 25 }, () => 'pong'));
    } finally {
      close();
    }
  });
});

describe('access log of Thrift calls', () => {
  it('when ping() is called, then one access line names the method, outcome and request id', async () => {
    const before = logs.lines.filter((l) => l.message === 'thrift access').length;
    const { client, close } = await tandemClient(app.thrift.port);

    try {
      await within(client.ping(), 5000, 'ping()');
    } finally {
      close();
    }

    const line = await logs.find((l) => l.message === 'thrift access' && logs.lines.indexOf(l) >= before);
    expect(line).toMatchObject({ method: 'ping', outcome: 'ok', level: 'info' });
    expect(typeof line.request_id).toBe('string');
    expect(typeof line.duration_ms).toBe('number');
  });
});
