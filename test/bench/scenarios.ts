import { cachedHttpRead, cachedThriftRead } from './read-pairs';
import { type RunningServer, type ServerId, TANDEM_SERVICE } from './servers';
import { WORKER_SCENARIOS } from './worker-scenarios';
import { TRACE_SCENARIOS } from './trace-scenarios';
import { WRITE_SCENARIOS } from './write-scenarios';

/** One HTTP request, sent again and again by the HTTP loader. */
export interface HttpTarget {
  server: ServerId;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Request n goes to `path` with ':id' replaced by ids[n % ids.length] and
   * the body bodies[floor(n / ids.length) % bodies.length]: each id in turn,
   * with the bodies alternating per pass (a transition back and forth).
   */
  rotate?: { ids: number[]; bodies: string[] };
}

/** One Thrift call (framed, binary), sent again and again by the Thrift loader. */
export interface ThriftTarget {
  server: ServerId;
  /** The generated service module, from the project root. */
  serviceModule: string;
  method: string;
  /** Arguments in IDL order; they travel as JSON (numbers are fine for i64). */
  args?: unknown[];
}

/** What the full stack must reach, as a share of the bare baseline's requests/s. */
export interface Goal {
  minRatio: number;
  /** At most this many times the bare target's server CPU per request. */
  maxCpuRatio?: number;
  /** A p99 at most this many times the bare target's. */
  maxP99Ratio?: number;
  text: string;
}

interface ScenarioBase {
  name: string;
  goal?: Goal;
  /**
   * Runs once before the scenario is measured, with every server up: seed
   * the rows or cache entries both targets read.
   */
  setup?: (servers: ReadonlyMap<ServerId, RunningServer>) => Promise<void>;
  /** Runs before each measured run of either target (e.g. to refill a cache entry that may have expired). */
  beforeRun?: (servers: ReadonlyMap<ServerId, RunningServer>) => Promise<void>;
}

export type Scenario =
  | (ScenarioBase & { kind: 'http'; tandem: HttpTarget; bare: HttpTarget })
  | (ScenarioBase & { kind: 'thrift'; tandem: ThriftTarget; bare: ThriftTarget });

/**
 * The benchmark scenarios: each pairs a tandem request with the same work
 * done by a bare baseline. Add a scenario here, and its bare handler to
 * targets/bare-express.ts or targets/bare-thrift.ts.
 */
export const SCENARIOS: Scenario[] = [
  {
    name: 'GET /ping',
    kind: 'http',
    tandem: { server: 'tandem', method: 'GET', path: '/ping' },
    bare: { server: 'bare-express', method: 'GET', path: '/ping' },
    goal: { minRatio: 0.9, text: 'full HTTP stack >= 90% of bare Express' },
  },
  {
    // No goal: what the contract's per-request work (context, request id, helmet, access line,
    // statsd) costs in a plain Express app written with the libraries' defaults; beside bare
    // Express's figure above, it shows what the 90% goal leaves for that work.
    name: 'GET /ping vs the contract floor',
    kind: 'http',
    tandem: { server: 'tandem', method: 'GET', path: '/ping' },
    bare: { server: 'floor-express', method: 'GET', path: '/ping' },
  },
  {
    name: 'thrift ping()',
    kind: 'thrift',
    tandem: { server: 'tandem', serviceModule: TANDEM_SERVICE, method: 'ping' },
    bare: { server: 'bare-thrift', serviceModule: TANDEM_SERVICE, method: 'ping' },
    goal: { minRatio: 1.5, text: 'full Thrift stack >= 150% of bare thrift (framed, binary)' },
  },
  {
    // The floor server answers with canned bytes and no Thrift code: what it does beyond bare thrift
    // is the most any server can gain over bare thrift here, and tandem keeps at least 70% of it.
    name: 'thrift ping() vs the socket floor',
    kind: 'thrift',
    tandem: { server: 'tandem', serviceModule: TANDEM_SERVICE, method: 'ping' },
    bare: { server: 'floor-thrift', serviceModule: TANDEM_SERVICE, method: 'ping' },
    goal: { minRatio: 0.7, text: 'thrift ping() >= 70% of the raw socket floor' },
  },
  csHttpRead(),
  csThriftRead(),
  ...WRITE_SCENARIOS,
  ...WORKER_SCENARIOS,
  ...TRACE_SCENARIOS,
];

/**
 * GET /api/cs/events/:id answered from the Redis cache, logged in (the
 * session comes from the in-process session cache after the first request,
 * auth.session_cache_ms), beside a bare Express handler doing the same cache
 * read of the event (issues 3 and 4: >= 80%).
 */
function csHttpRead(): Scenario {
  return cachedHttpRead('GET /api/cs/events/:id (cache hit, logged in)', 'tandem', 'bare-express', {
    minRatio: 0.8,
    text: 'authenticated cached read >= 80% of a bare Express Redis read',
  });
}

/** Thrift get_cs_event(id) from the cache, beside a bare thrift handler doing the same Redis read (>= 80%). */
function csThriftRead(): Scenario {
  return cachedThriftRead('thrift get_cs_event(id) (cache hit)', 'tandem', 'bare-thrift', {
    minRatio: 0.8,
    maxP99Ratio: 1.5,
    text: 'get_cs_event >= 80% of a bare thrift Redis read, p99 <= 1.5x',
  });
}
