import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server that plays the OTLP receiver for the run: it takes the
 * traced server's POST /v1/traces and answers an empty success, counting
 * the exports and their bytes without decoding them (it shares the cores
 * with the server it measures). The tests decode what they receive.
 */
export class OtlpSink {
  private readonly server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
    req.on('end', () => {
      this.exports += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  exports = 0;
  bytes = 0;

  /** Listens on a free port and resolves with the URL to export to. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
