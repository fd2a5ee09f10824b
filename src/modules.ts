import type { AppModules } from './core/app/app';
import { wrapHandler } from './core/rpc';
import { Processor as TandemProcessor } from '../thrift/gen-nodejs/Tandem';
import { toIdlException } from './thrift/errors';
import { createTandemHandler } from './thrift/tandem-handler';

/**
 * The composition root: the one place that puts the domains' routes and
 * Thrift handlers into the core app.
 */
export function appModules(): AppModules {
  return {
    routes: () => [],
    thriftProcessor: (resources, inFlight) =>
      new TandemProcessor(
        wrapHandler(createTandemHandler(), {
          toIdlException,
          inFlight,
          accessLog: resources.config.log.access,
        }),
      ),
  };
}
