/**
 * `make zeus-stub`: serves the stub zeus with its fixture orders on
 * the first of thirdparty.zeus.instances (127.0.0.1:9190 by default), for
 * development. Faults are switched on by environment variables:
 *
 *   ZEUS_STUB_LATENCY_MS=300  delay every answer
 *   ZEUS_STUB_FAIL=1          answer every call with ZeusServerException
 *   ZEUS_STUB_RESET=1         reset the connection as each call arrives
 *   ZEUS_STUB_HANG=1          never answer
 *
 * Only src/core/config reads process.env inside src/; this is a development
 * tool outside src/, and its switches are not configuration of the service,
 * so it reads them itself.
 */
import { formatHostPort, loadConfigOrExit, parseHostPort } from '../../../src/core/config';
import { FIXTURE_ORDERS } from './fixtures';
import { ZeusStub } from './zeus-stub';

function flag(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function latencyMs(): number {
  const raw = process.env.ZEUS_STUB_LATENCY_MS ?? '';
  if (raw === '') return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    process.stderr.write(`ZEUS_STUB_LATENCY_MS must be a whole number of milliseconds, not '${raw}'.\n`);
    process.exit(2);
  }
  return ms;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const stub = new ZeusStub({
    onCall: (call) =>
      process.stdout.write(
        `${new Date().toISOString()} ${call.method} request_id=${call.request_id} caller=${call.caller}` +
          `${call.headers.traceparent ? ` traceparent=${call.headers.traceparent}` : ''}` +
          `${call.fault ? ` fault=${call.fault}` : ''}\n`,
      ),
  });
  const latency = latencyMs();
  stub.setLatency(latency);
  if (flag('ZEUS_STUB_FAIL')) stub.failCalls();
  if (flag('ZEUS_STUB_RESET')) stub.resetCalls();
  if (flag('ZEUS_STUB_HANG')) stub.hangCalls();

  const { host, port } = parseHostPort(
    config.thirdparty.zeus.instances[0] ?? '127.0.0.1:9190',
    'thirdparty.zeus.instances[0]',
  );
  await stub.start(port, host);
  const faults = ['FAIL', 'RESET', 'HANG'].filter((f) => flag(`ZEUS_STUB_${f}`)).map((f) => f.toLowerCase());
  process.stdout.write(
    `The stub zeus serves ${FIXTURE_ORDERS.length} fixture orders on ${formatHostPort({ host, port })} (framed transport, binary protocol)` +
      `${latency > 0 ? `, ${latency} ms late` : ''}${faults.length > 0 ? `, faults: ${faults.join(', ')}` : ''}. ` +
      'Stop it with Ctrl-C.\n',
  );

  const stop = (): void => {
    stub.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const code = (err as { code?: unknown }).code;
  const reason =
    code === 'EADDRINUSE'
      ? 'the port is in use (is another stub or zeus running?)'
      : err instanceof Error
        ? err.message
        : String(err);
  process.stderr.write(`The stub zeus could not start: ${reason}\n`);
  process.exit(1);
});
