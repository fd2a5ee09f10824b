import net from 'node:net';
import { FrameCutter } from '../../helpers/thrift-wire';

/**
 * The socket floor for Thrift ping(): a raw TCP server that cuts framed
 * messages from the stream and answers each with a reply to ping() built by
 * hand from fixed bytes (only the sequence id is copied from the call). No
 * Thrift library, handler, context, log or metrics: what answering a call
 * costs this machine in reads, writes and event-loop turns alone, so the
 * best any Node Thrift server can reach here. Listens on 127.0.0.1:BENCH_PORT.
 */
const NAME = Buffer.from('ping');
const RESULT = Buffer.from('pong');
const REPLY_HEADER = 0x80010002; // strict binary version 1, message type REPLY
const T_STRING = 11;

/** Frame length, message header, seqid (patched per call), field 0 (success) as a string, STOP. */
function replyTemplate(): { bytes: Buffer; seqidAt: number } {
  const size = 4 + 4 + NAME.length + 4 + 1 + 2 + 4 + RESULT.length + 1;
  const bytes = Buffer.alloc(4 + size);
  let at = bytes.writeInt32BE(size, 0);
  at = bytes.writeUInt32BE(REPLY_HEADER, at);
  at = bytes.writeInt32BE(NAME.length, at);
  at += NAME.copy(bytes, at);
  const seqidAt = at;
  at += 4;
  at = bytes.writeInt8(T_STRING, at);
  at = bytes.writeInt16BE(0, at);
  at = bytes.writeInt32BE(RESULT.length, at);
  at += RESULT.copy(bytes, at);
  bytes.writeInt8(0, at);
  return { bytes, seqidAt };
}

const template = replyTemplate();

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  const frames = new FrameCutter((buf, start) => {
    // Call: frame length, version word, name length, name, seqid.
    const nameLength = buf.readInt32BE(start + 8);
    const seqid = buf.readInt32BE(start + 12 + nameLength);
    const reply = Buffer.from(template.bytes);
    reply.writeInt32BE(seqid, template.seqidAt);
    socket.write(reply);
  });
  socket.on('data', (chunk: Buffer) => frames.push(chunk));
});
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
