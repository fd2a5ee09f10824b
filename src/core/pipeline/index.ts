export { type Door, type FailureScope, recordFailure } from './failure';
