import { csSeed, rewarmCsSeed } from './cs-seed';
import type { Goal, HttpTarget, Scenario, ThriftTarget } from './scenarios';
import { type ServerId, TANDEM_SERVICE } from './servers';

/** A server that is tandem (logged in), rather than a bare baseline (which reads without a session). */
const isTandem = (server: ServerId): boolean => server.startsWith('tandem');

/**
 * GET /api/cs/events/:id answered from the Redis cache, on `first` beside
 * `second` (tandem logged in, a bare baseline without a session): the seeded
 * event, its cache entry warmed again before each run.
 */
export function cachedHttpRead(name: string, first: ServerId, second: ServerId, goal?: Goal): Scenario {
  const tandem: HttpTarget = { server: first, method: 'GET', path: '' };
  const bare: HttpTarget = { server: second, method: 'GET', path: '' };
  return {
    name,
    kind: 'http',
    tandem,
    bare,
    ...(goal ? { goal } : {}),
    beforeRun: rewarmCsSeed,
    setup: async (servers) => {
      const { token, eventId } = await csSeed(servers);
      for (const target of [tandem, bare]) {
        target.path = `/api/cs/events/${eventId}`;
        if (isTandem(target.server)) target.headers = { authorization: `Bearer ${token}` };
      }
    },
  };
}

/** Thrift get_cs_event(id) from the cache, on `first` beside `second`. */
export function cachedThriftRead(name: string, first: ServerId, second: ServerId, goal?: Goal): Scenario {
  const tandem: ThriftTarget = { server: first, serviceModule: TANDEM_SERVICE, method: 'get_cs_event', args: [] };
  const bare: ThriftTarget = { server: second, serviceModule: TANDEM_SERVICE, method: 'get_cs_event', args: [] };
  return {
    name,
    kind: 'thrift',
    tandem,
    bare,
    ...(goal ? { goal } : {}),
    beforeRun: rewarmCsSeed,
    setup: async (servers) => {
      const { eventId } = await csSeed(servers);
      tandem.args = [eventId];
      bare.args = [eventId];
    },
  };
}
