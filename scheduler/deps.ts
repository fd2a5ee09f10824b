import type { Config } from '../src/core/config';
import type { CsDomain } from '../src/service/cs';
import type { RiskDomain } from '../src/service/risk';

/** What timed jobs may use: services, never Express or Thrift. */
export interface JobDeps {
  config: Config;
  cs: CsDomain;
  risk: RiskDomain;
}
