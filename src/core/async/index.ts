export { isPromiseLike } from './promise';
export {
  Queues,
  defineQueue,
  type QueueDef,
  type JobEnvelope,
  type JobInfo,
  type Processor,
  type FailedJob,
} from './queues';
