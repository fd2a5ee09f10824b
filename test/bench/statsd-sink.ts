import dgram from 'node:dgram';

/**
 * A UDP socket that plays statsd for the run: it counts the metric lines
 * tandem sends, which shows the metrics were on while it was measured.
 */
export class StatsdSink {
  private readonly socket = dgram.createSocket('udp4');
  lines = 0;

  async listen(): Promise<number> {
    // Counted with indexOf (native), not byte by byte in JS: the sink shares the machine's cores with the
    // server it measures.
    this.socket.on('message', (msg: Buffer) => {
      for (let at = msg.indexOf(0x0a); at !== -1; at = msg.indexOf(0x0a, at + 1)) this.lines += 1;
      if (msg.length > 0 && msg[msg.length - 1] !== 0x0a) this.lines += 1;
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
