import { csSeed } from './cs-seed';
import { cachedHttpRead } from './read-pairs';
import type { Goal, HttpTarget, Scenario } from './scenarios';
import { writeSeed } from './write-seed';

/**
 * server.workers: 2 against one worker (issue 23): the same built server,
 * once as a cluster of two workers ('tandem-2w') and once alone ('tandem'),
 * on the same requests. On this two-core machine the load generator and
 * MariaDB share the cores with the workers, so two workers cannot double
 * the rate; the figures say what a second worker gains and what it costs per
 * request (the primary, the cluster's connection hand-off).
 */
const NO_REGRESSION: Goal = {
  minRatio: 1.0,
  text: 'two workers serve at least as many requests/s as one',
};

function pair(name: string, target: Omit<HttpTarget, 'server'>): { two: HttpTarget; one: HttpTarget; name: string } {
  return { name, two: { server: 'tandem-2w', ...target }, one: { server: 'tandem', ...target } };
}

function ping(): Scenario {
  const { name, two, one } = pair('GET /ping, 2 workers vs 1', { method: 'GET', path: '/ping' });
  return { name, kind: 'http', tandem: two, bare: one, goal: NO_REGRESSION };
}

function cachedRead(): Scenario {
  return cachedHttpRead('GET /api/cs/events/:id (cache hit), 2 workers vs 1', 'tandem-2w', 'tandem', NO_REGRESSION);
}

function create(): Scenario {
  const body = JSON.stringify({ user_type: 'merchant', source: 'phone', phone: '13800000000', content: 'bench 2w' });
  const { name, two, one } = pair('POST /api/cs/events (create), 2 workers vs 1', {
    method: 'POST',
    path: '/api/cs/events',
    body,
  });
  return {
    name,
    kind: 'http',
    tandem: two,
    bare: one,
    goal: NO_REGRESSION,
    setup: async (servers) => {
      const { token } = await csSeed(servers);
      await writeSeed(servers);
      for (const target of [two, one])
        target.headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    },
  };
}

export const WORKER_SCENARIOS: Scenario[] = [ping(), cachedRead(), create()];
