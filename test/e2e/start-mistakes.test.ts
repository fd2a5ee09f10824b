import net from 'node:net';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { within } from '../helpers/wait';

/**
 * The real server process (src/main.ts) started the way a newcomer gets it
 * wrong: a port another process holds, a misspelled TANDEM_* variable. Each
 * is answered with one plain sentence on stderr, not a JSON stack.
 */

const spawned: ServerProcess[] = [];
let holder: net.Server;
let taken: number;

function start(env: Record<string, string>): ServerProcess {
  const server = spawnServer('src/main.ts', env);
  spawned.push(server);
  return server;
}

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

beforeAll(async () => {
  holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  taken = (holder.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const server of spawned) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  await new Promise<void>((resolve) => holder.close(() => resolve()));
});

it.each([
  ['HTTP', 'http.port', 'TANDEM_HTTP_PORT'],
  ['Thrift', 'thrift.port', 'TANDEM_THRIFT_PORT'],
  ['metrics', 'metrics.port', 'TANDEM_METRICS_PORT'],
])(
  'when the %s port is already taken, then the process exits 1 with one line naming the port and %s',
  async (name, key, variable) => {
    const server = start({ [variable]: String(taken) });

    const { code } = await within(server.exited, 30000, 'the server to exit');

    expect(code).toBe(1);
    const stderr = server.stderr().trim();
    expect(stderr.split('\n')).toEqual([
      `The ${name} port ${taken} on 127.0.0.1 is already in use by another process; stop that process or set ${key} in config.ts (or ${variable}) to a free port.`,
    ]);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(server.logs.filter((l) => l.message === 'tandem failed to start' || 'stack' in l)).toEqual([]);
  },
);

it('when a TANDEM_ variable is misspelled in dev or test, then the server starts and warns once with the nearest name', async () => {
  const server = start({ TANDEM_HTTP_PROT: '8001' });

  await server.serving();
  server.child.kill('SIGTERM');
  await within(server.exited, 30000, 'the server to stop');

  expect(server.stderr()).toContain(
    'Warning: Environment variable TANDEM_HTTP_PROT is not a configuration key; did you mean TANDEM_HTTP_PORT (http.port)?\n',
  );
  expect(server.stderr().split('TANDEM_HTTP_PROT')).toHaveLength(2);
});
