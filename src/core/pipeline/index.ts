export { type Door, type FailureScope, recordFailure } from './failure';
export { Admission, type AdmissionConfig, type AdmissionLimits, admissionFor, type ShedReason } from './admission';
export { closeExchange, openExchange, OperationMetrics, type OutcomeMetrics } from './exchange';
export {
  type AnyOperation,
  defineOperation,
  type Operation,
  operationInput,
  type OperationSpec,
  type Permission,
} from './operation';
