import { spawnServer, type ServerProcess } from '../helpers/process';
import { tandemClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

/** Every process a test spawned, killed after the file if a test left it running. */
const spawned: ServerProcess[] = [];

function start(entry: string, env: Record<string, string> = {}): ServerProcess {
  const server = spawnServer(entry, env);
  spawned.push(server);
  return server;
}

afterAll(async () => {
  for (const server of spawned) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
});

describe('src/main.ts', () => {
  it('when it serves and gets SIGTERM, then it answers HTTP and Thrift, stops, and exits 0', async () => {
    const server = start('src/main.ts');
    const ports = await server.serving();
    const ping = await fetch(`http://127.0.0.1:${ports.http}/ping`);
    const thrift = await tandemClient(ports.thrift);
    const pong = await within(thrift.client.ping(), 5000, 'Thrift ping()');
    thrift.close();

    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 20000, 'the process exiting');

    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ code: 0, msg: 'ok', data: 'pong' });
    expect(pong).toBe('pong');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.logs.map((l) => l.message)).toEqual(expect.arrayContaining(['stop signal received', 'stopped']));
  });

  it('when the environment has bad keys, then it exits 78 with one stderr line per bad key naming it', async () => {
    const server = start('src/main.ts', { TANDEM_HTTP_PORT: 'abc', TANDEM_SERVER_WORKERS: '0' });

    const exit = await within(server.exited, 20000, 'the process exiting');

    expect(exit.code).toBe(78);
    const lines = server.stderr().trim().split('\n');
    const keyLines = lines.filter((l) => l.startsWith('Configuration key '));
    expect(keyLines).toHaveLength(2);
    expect(keyLines.find((l) => l.includes('http.port'))).toContain('TANDEM_HTTP_PORT');
    expect(keyLines.find((l) => l.includes('server.workers'))).toContain('TANDEM_SERVER_WORKERS');
    expect(server.logs.find((l) => l.message === 'tandem is serving')).toBeUndefined();
  });
});

describe('a server with a request in flight', () => {
  it('when it gets SIGTERM, then the request finishes with success and the process exits 0', async () => {
    const server = start('test/fixtures/probe-main.ts', { PROBE_SLOW_AFTER_SIGNAL_MS: '300' });
    const ports = await server.serving();
    const slow = fetch(`http://127.0.0.1:${ports.http}/probe/slow`);
    await server.logged('probe slow request started');

    server.child.kill('SIGTERM');
    const res = await within(slow, 20000, 'the slow request');
    const exit = await within(server.exited, 20000, 'the process exiting');

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 0, msg: 'ok', data: 'slept' });
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('when a second SIGTERM arrives while it drains, then it exits at once without waiting', async () => {
    const server = start('test/fixtures/probe-main.ts', { PROBE_SLOW_AFTER_SIGNAL_MS: '60000' });
    const ports = await server.serving();
    const slow = fetch(`http://127.0.0.1:${ports.http}/probe/slow`).then(
      (res) => res.status,
      () => 'connection lost',
    );
    await server.logged('probe slow request started');

    server.child.kill('SIGTERM');
    await server.logged('stop signal received');
    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 10000, 'the process exiting');

    expect(exit.code).toBe(130);
    expect(await slow).toBe('connection lost');
  });
});
