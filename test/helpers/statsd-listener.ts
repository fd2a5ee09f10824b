import dgram from 'node:dgram';

/** A real statsd endpoint for tests: a UDP socket on a free loopback port collecting every line. */
export interface StatsdListener {
  readonly port: number;
  readonly lines: string[];
  /** Each packet received, in order. */
  readonly packets: Buffer[];
  close: () => Promise<void>;
}

export async function listenStatsd(): Promise<StatsdListener> {
  const socket = dgram.createSocket('udp4');
  const lines: string[] = [];
  const packets: Buffer[] = [];
  socket.on('message', (packet: Buffer) => {
    packets.push(packet);
    lines.push(...packet.toString('utf8').split('\n').filter(Boolean));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    lines,
    packets,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
