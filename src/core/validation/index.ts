export { fieldErrors, validationFailed } from './errors';
export { cursorParam, decimalId, decimalInt, decimalU64, decimalUpTo, MAX_PAGE, pageSchema, U64_MAX } from './ids';
