export { ThriftServer, buildAllowList } from './server';
export { InFlight } from './in-flight';
export { wrapHandler, internalError } from './handler';
export { i64ToNumber, numberToI64 } from './int64';
export { detectFraming, type ThriftProcessor } from './connection';
export { setConnectionCaller, currentConnection } from './connection-state';
