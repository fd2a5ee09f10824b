export {
  ThriftServiceClient,
  type BreakerState,
  type CallOptions,
  type InstanceView,
  type ThriftServiceOptions,
} from './thrift-service-client';
export type { BreakerOptions, EjectionOptions } from './service-instance';
export type { MetricsSink } from './service-reporter';
export type { InstanceSource, Resolver } from './instance-set';
export type { RetryBudgetStats } from './retry-budget';
export { serviceOptions, type ServiceConfig } from './service-options';
export type { PoolStats } from './connection-pool';
export { ReplyDataError } from './third-party-errors';
export { serviceHealthCheck, type InstancesView } from './service-health';
