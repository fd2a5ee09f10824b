import type { TandemError } from '../exception';
import {
  AuthException,
  ServerException,
  ThirdPartyException,
  UserException,
} from '../../thrift/gen-nodejs/tandem_types';

/**
 * Our error classes as the IDL exceptions of tandem.thrift. DevError never
 * gets here: the RPC core turns it into TApplicationException(INTERNAL_ERROR).
 */
export function toIdlException(err: TandemError): Error {
  const fields = { code: err.code, message: err.message };
  switch (err.kind) {
    case 'UserError':
      return new UserException(fields);
    case 'AuthError':
      return new AuthException(fields);
    case 'ServerError':
      return new ServerException(fields);
    case 'ThirdPartyError':
      return new ThirdPartyException(fields);
    case 'DevError':
      return new ServerException({ code: err.code, message: 'Internal error' });
  }
}
