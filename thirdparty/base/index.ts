export {
  ThriftServiceClient,
  type BreakerOptions,
  type BreakerState,
  type CallOptions,
  type MetricsSink,
  type ThriftServiceOptions,
} from './thrift-service-client';
export type { PoolStats } from './connection-pool';
export { ReplyDataError } from './third-party-errors';
