export { ERROR_CODES, classOfCode, type ErrorName, type ErrorClassName } from './error_code';
export {
  TandemError,
  UserError,
  AuthError,
  ServerError,
  ThirdPartyError,
  DevError,
  asTandemError,
  registerErrorClassifier,
  type ErrorClassifier,
  type FieldError,
  type ErrorOptions,
} from './errors';
