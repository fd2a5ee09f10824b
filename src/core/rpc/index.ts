export { ThriftServer } from './server';
export { InFlight } from './in-flight';
export { wrapHandler } from './handler';
export { decimalToI64, i64ToDecimal, i64ToNumber, i64ToSafeNumber, numberToI64 } from './int64';
export { detectFraming, type ThriftProcessor } from './connection';
export { callerName, setConnectionCaller } from './connection-state';
export { checkArguments } from './arguments';
export { checkCallers } from './callers';
export { readIdl } from './idl';
