import type Int64 from 'node-int64';
import { isServiceName, SERVICE_NAME_RULE, setConnectionCaller } from '../core/rpc';
import { UserError } from '../exception';
import type { CsDomain } from '../service/cs';
import type {
  CreateCsEventRequest,
  CsEvent,
  CsEventPage,
  CsEventsByUserRequest,
  RiskVerdict,
} from '../../thrift/gen-nodejs/tandem_types';
import type { RiskDomain } from '../service/risk';
import { riskThriftMethods } from './risk';
import { csThriftMethods } from './cs';
// make domain: new domains' imports go above this line.

/**
 * The typed handler of `service Tandem` in thrift/tandem.thrift. The
 * generated `.d.ts` types the processor's handler as `object`; this interface
 * is what the compiler checks our implementation against. Each method
 * decodes IDL input, calls a service, and encodes the result.
 *
 * A method returns its result or a promise of it. Arity matters: declare
 * exactly the IDL's arguments (no defaults, no rest); wrapHandler adds the
 * callback the generated processor's callback style expects.
 */
export interface TandemHandler {
  ping(): string;
  hello(serviceName: string): void;
  create_cs_event(request: CreateCsEventRequest): Promise<CsEvent> | CsEvent;
  get_cs_event(id: Int64): Promise<CsEvent> | CsEvent;
  list_cs_events_by_user(userId: Int64, page: number, pageSize: number): Promise<CsEventPage>;
  list_cs_events_by_user_cursor(request: CsEventsByUserRequest): Promise<CsEventPage>;
  get_risk_verdict(orderId: Int64): Promise<RiskVerdict> | RiskVerdict;
  // make domain: new methods go above this line.
}

/** The domains whose methods service Tandem serves. */
export interface TandemDomains {
  cs: CsDomain;
  risk: RiskDomain;
  // make domain: new domains go above this line.
}

export function createTandemHandler(domains: TandemDomains): TandemHandler {
  return {
    ping: () => 'pong',
    hello: (serviceName: string) => {
      if (!isServiceName(serviceName)) {
        throw new UserError('BAD_REQUEST', {
          params: { reason: SERVICE_NAME_RULE },
        });
      }
      setConnectionCaller(serviceName);
    },
    ...csThriftMethods(domains.cs),
    ...riskThriftMethods(domains.risk),
    // make domain: new domains' methods go above this line.
  };
}
