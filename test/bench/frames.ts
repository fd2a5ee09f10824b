/**
 * Cuts framed Thrift messages (a 4-byte big-endian length, then the
 * message) from a byte stream that arrives in arbitrary chunks. Each whole
 * frame is handed to `onFrame` as a range of `buf`, length prefix included;
 * the rest waits for the next chunk.
 */
export class FrameCutter {
  private pending: Buffer | undefined;

  constructor(private readonly onFrame: (buf: Buffer, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buf.length - offset >= 4) {
      const end = offset + 4 + buf.readInt32BE(offset);
      if (end > buf.length) break;
      this.onFrame(buf, offset, end);
      offset = end;
    }
    this.pending = offset < buf.length ? buf.subarray(offset) : undefined;
  }
}
