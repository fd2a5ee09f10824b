import thrift from 'thrift';
import { BinaryWriter } from './binary-writer';
import type { Framing } from './framing';

/** The protocol a connection's replies are written with, each message starting with nothing pending. */
export function replyProtocol(framing: Framing, write: (buf: Buffer) => void): thrift.TProtocol {
  if (framing.protocol === 'binary') {
    // Replies in the binary protocol, the common case, are encoded without the library's per-value buffers.
    return new BinaryWriter(framing.framed, write) as unknown as thrift.TProtocol;
  }
  const Transport = framing.framed ? thrift.TFramedTransport : thrift.TBufferedTransport;
  // The typings miss the constructor's (buffer, onFlush) form.
  const TransportCtor = Transport as unknown as new (
    buffer: Buffer | undefined,
    onFlush: (buf: Buffer) => void,
  ) => thrift.TTransport;
  const transport = new TransportCtor(undefined, write) as thrift.TTransport & {
    outBuffers: Buffer[];
    outCount: number;
  };
  const protocol = new thrift.TCompactProtocol(transport);
  const begin = protocol.writeMessageBegin.bind(protocol);
  // The library's transports keep what a reply that failed half-way wrote, and would send it in front
  // of the next message: each message starts afresh, as BinaryWriter's do. Its compact protocol also
  // never forgets the last message's seqid (its writeMessageEnd does nothing), and so printed
  // "thrift: [WARN] SeqId already set", a line that is not JSON, on stdout for every reply after a
  // connection's first.
  const state = protocol as unknown as { _seqid: number | null };
  protocol.writeMessageBegin = (name, type, seqid) => {
    transport.outBuffers = [];
    transport.outCount = 0;
    state._seqid = null;
    begin(name, type, seqid);
  };
  return protocol;
}
