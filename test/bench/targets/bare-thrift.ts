import thrift from 'thrift';
import { Processor as TandemProcessor } from '../../../thrift/gen-nodejs/Tandem';

/**
 * The bare `thrift` baseline: the library's own server, framed transport and
 * binary protocol, with the generated processor and a handler that answers
 * at once. Later scenarios add their bare method here. Listens on
 * 127.0.0.1:BENCH_PORT.
 */
const handler = {
  ping: (): Promise<string> => Promise.resolve('pong'),
};

const server = thrift.createServer(TandemProcessor, handler, {
  transport: thrift.TFramedTransport,
  protocol: thrift.TBinaryProtocol,
});
// The bare server re-emits each client's socket error (a loader closing its
// sockets); unhandled, that would end the baseline mid-run.
server.on('error', () => undefined);
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
