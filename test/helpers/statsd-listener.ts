import dgram from 'node:dgram';

/** A real statsd endpoint for tests: a UDP socket on a free loopback port collecting every line. */
export interface StatsdListener {
  readonly port: number;
  readonly lines: string[];
  close: () => Promise<void>;
}

export async function listenStatsd(): Promise<StatsdListener> {
  const socket = dgram.createSocket('udp4');
  const lines: string[] = [];
  socket.on('message', (packet: Buffer) => lines.push(...packet.toString('utf8').split('\n').filter(Boolean)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    lines,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
