import type { Goal, HttpTarget, Scenario, ThriftTarget } from './scenarios';
import { TANDEM_SERVICE } from './servers';
import { csSeed } from './cs-seed';
import { resetTransitions, writeSeed } from './write-seed';

/** What every write must reach beside its bare peer (issue 23). */
const WRITE_GOAL = (what: string): Goal => ({
  minRatio: 0.8,
  maxCpuRatio: 1.25,
  maxP99Ratio: 1.5,
  text: `${what} >= 80% of the bare peer's req/s, <= 1.25x its CPU per request, p99 <= 1.5x`,
});

const CREATE_BODY = {
  user_type: 'merchant',
  source: 'phone',
  phone: '13800000000',
  order_id: '9007199254740993',
  content: 'benchmark create',
};

/**
 * POST /api/cs/events, logged in, beside a bare Express handler with a
 * mysql2 pool doing the same transaction (START, INSERT the event, INSERT
 * its first record, COMMIT) on twin tables.
 */
function httpCreate(): Scenario {
  const body = JSON.stringify(CREATE_BODY);
  const headers = { 'content-type': 'application/json' };
  const tandem: HttpTarget = { server: 'tandem', method: 'POST', path: '/api/cs/events', body, headers };
  const bare: HttpTarget = { server: 'bare-express', method: 'POST', path: '/api/cs/events', body, headers };
  return {
    name: 'POST /api/cs/events (create, logged in)',
    kind: 'http',
    tandem,
    bare,
    goal: WRITE_GOAL('HTTP create'),
    setup: async (servers) => {
      const { token } = await csSeed(servers);
      tandem.headers = { ...headers, authorization: `Bearer ${token}` };
      await writeSeed(servers);
    },
  };
}

/**
 * POST /api/cs/events/:id/transition over TRANSITION_EVENTS events in turn,
 * each moved pending -> remain -> pending, beside a bare Express handler
 * doing START, SELECT ... FOR UPDATE, UPDATE, INSERT the record, COMMIT.
 */
function httpTransition(): Scenario {
  const headers = { 'content-type': 'application/json' };
  const path = '/api/cs/events/:id/transition';
  const bodies = [JSON.stringify({ to: 'remain', note: 'bench' }), JSON.stringify({ to: 'pending', note: 'bench' })];
  const tandem: HttpTarget = { server: 'tandem', method: 'POST', path, headers, rotate: { ids: [], bodies } };
  const bare: HttpTarget = { server: 'bare-express', method: 'POST', path, headers, rotate: { ids: [], bodies } };
  return {
    name: 'POST /api/cs/events/:id/transition (logged in)',
    kind: 'http',
    tandem,
    bare,
    goal: WRITE_GOAL('HTTP transition'),
    beforeRun: resetTransitions,
    setup: async (servers) => {
      const { token } = await csSeed(servers);
      const { eventIds } = await writeSeed(servers);
      tandem.headers = { ...headers, authorization: `Bearer ${token}` };
      tandem.rotate = { ids: eventIds, bodies };
      bare.rotate = { ids: eventIds, bodies };
    },
  };
}

/** Thrift create_cs_event on behalf of the bench's staff member, beside a bare thrift handler doing the same SQL. */
function thriftCreate(): Scenario {
  const request = { user_type: 1, source: 1, phone: '13800000000', content: 'benchmark create', creator_id: 0 };
  const tandem: ThriftTarget = { server: 'tandem', serviceModule: TANDEM_SERVICE, method: 'create_cs_event', args: [] };
  const bare: ThriftTarget = {
    server: 'bare-thrift',
    serviceModule: TANDEM_SERVICE,
    method: 'create_cs_event',
    args: [],
  };
  return {
    name: 'thrift create_cs_event',
    kind: 'thrift',
    tandem,
    bare,
    goal: WRITE_GOAL('Thrift create'),
    setup: async (servers) => {
      const { actorId } = await writeSeed(servers);
      tandem.args = [{ ...request, creator_id: actorId }];
      bare.args = [{ ...request, creator_id: actorId }];
    },
  };
}

export const WRITE_SCENARIOS: Scenario[] = [httpCreate(), httpTransition(), thriftCreate()];
