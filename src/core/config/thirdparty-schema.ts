import { z } from 'zod';
import { hostPortText } from './host-port';

/**
 * The configuration of sibling services, one section per service under
 * `thirdparty.<name>`, all with the same keys, read by
 * `thirdparty/base/service-options.ts`. zeus's section is declared (its
 * keys have defaults and `TANDEM_THIRDPARTY_ZEUS_*` variables); any other
 * name is accepted with the same keys, set in config.ts.
 */

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const hostPort = hostPortText();

const ms = (min: number) => z.number().int().min(min);

/** The keys of one service; `instances` defaults to `defaultInstances`. */
function serviceShape(defaultInstances: string[]) {
  return {
    instances: z
      .array(hostPort)
      .default(defaultInstances)
      .describe('The instances to call, as host:port; ignored when dns is set.'),
    dns: z
      .union([z.literal(''), hostPort])
      .default('')
      .describe('A DNS name and port (name:port) whose every address is an instance; empty uses instances.'),
    dns_refresh_ms: ms(1000).default(30_000).describe('How often the dns name is resolved again.'),
    timeout_ms: ms(1).default(2000).describe('Deadline of one attempt, connecting included.'),
    pool_size: ms(1).default(8).describe('Most open connections to each instance.'),
    idle_ms: ms(0).default(30000).describe('An idle pooled connection is closed after this.'),
    retries: ms(0)
      .default(2)
      .describe('Most extra tries of an idempotent call after a timeout or a dropped connection, on another instance.'),
    retry_backoff_ms: ms(0)
      .default(100)
      .describe('Wait before retrying on an instance already tried (no other available); doubles each time.'),
    retry_budget_percent: z
      .number()
      .min(0)
      .max(100)
      .default(20)
      .describe('Retries allowed as a share (%) of the calls over the last 10 s.'),
    retry_budget_min_per_second: z
      .number()
      .min(0)
      .default(3)
      .describe('Retries allowed per second beyond that share, so a quiet client can still retry.'),
    eject_after_failures: ms(1)
      .default(5)
      .describe('Timeouts or refusals in a row after which an instance gets no calls for a while.'),
    eject_base_ms: ms(10).default(1000).describe('First ejection of an instance; doubles for each one in a row.'),
    eject_max_ms: ms(10).default(30_000).describe('Longest ejection of an instance.'),
    breaker_error_percent: z
      .number()
      .min(1)
      .max(100)
      .default(50)
      .describe('Failure share of an instance over the last 10 s at which its circuit opens (calls stop).'),
    breaker_volume: ms(1).default(5).describe('Calls to an instance in the window before its breaker may open.'),
    breaker_reset_ms: ms(100).default(10000).describe('How long a circuit stays open before one probe call.'),
    transport: z
      .enum(['framed', 'header'])
      .default('framed')
      .describe(
        "framed: framed transport, binary protocol. header: Apache Thrift's THeader (binary inside), whose headers carry the request id, our name and the W3C traceparent, so the service can continue the trace; only for a service that speaks THeader.",
      ),
  };
}

type ServiceShape = ReturnType<typeof serviceShape>;

function checked<T extends z.ZodType<z.infer<z.ZodObject<ServiceShape>>>>(schema: T): T {
  return schema.superRefine((service, ctx) => {
    if (service.dns === '' && service.instances.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['instances'], message: 'list at least one host:port, or set dns' });
    }
    if (service.eject_max_ms < service.eject_base_ms) {
      ctx.addIssue({ code: 'custom', path: ['eject_max_ms'], message: 'must be at least eject_base_ms' });
    }
  });
}

/** A service other than zeus: the same keys, its instances (or dns) required. */
export const serviceSchema = checked(z.strictObject(serviceShape([])));

export const thirdpartySchema = z
  .object({
    zeus: checked(z.strictObject(serviceShape(['127.0.0.1:9190'])).prefault({} as never)).describe(
      'zeus, the order platform (Thrift, framed, binary); make zeus-stub serves a stub on 127.0.0.1:9190.',
    ),
  })
  .catchall(serviceSchema)
  .prefault({} as never);

export type ServiceConfig = z.infer<typeof serviceSchema>;

/** The keys of the former `zeus` section (one host:port), still read and moved under thirdparty.zeus. */
const LEGACY_ZEUS_KEYS = [
  'host',
  'port',
  'timeout_ms',
  'pool_size',
  'idle_ms',
  'retries',
  'retry_backoff_ms',
  'breaker_error_percent',
  'breaker_volume',
  'breaker_reset_ms',
] as const;

/**
 * Reads a config of the former shape (a top-level `zeus` section with one
 * host and port, or `TANDEM_ZEUS_*` variables) as `thirdparty.zeus`, so a
 * host's config keeps working across the upgrade, and says once how to
 * write it now. Keys set under thirdparty.zeus win. Returns the input as
 * the schema reads it, the warning, and the variables it consumed.
 */
export function migrateLegacyZeus(
  input: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { input: Record<string, unknown>; warning: string | undefined; usedEnv: string[] } {
  const fromFile = input.zeus;
  const usedEnv = LEGACY_ZEUS_KEYS.map((key) => `TANDEM_ZEUS_${key.toUpperCase()}`).filter((v) => env[v] !== undefined);
  if (fromFile === undefined && usedEnv.length === 0) return { input, warning: undefined, usedEnv };
  const legacy: Record<string, unknown> =
    typeof fromFile === 'object' && fromFile !== null && !Array.isArray(fromFile) ? { ...fromFile } : {};
  for (const key of LEGACY_ZEUS_KEYS) {
    const raw = env[`TANDEM_ZEUS_${key.toUpperCase()}`];
    if (raw === undefined) continue;
    const n = Number(raw);
    legacy[key] = key === 'host' || raw.trim() === '' || Number.isNaN(n) ? raw : n;
  }
  const { host, port, ...rest } = legacy;
  const moved: Record<string, unknown> = { ...rest };
  if (host !== undefined || port !== undefined) {
    const name = typeof host === 'string' ? host : '127.0.0.1';
    const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
    const number = typeof port === 'number' || typeof port === 'string' ? port : 9190;
    moved.instances = [`${bracketed}:${number}`];
  }
  const out: Record<string, unknown> = { ...input };
  delete out.zeus;
  const thirdparty = (
    typeof input.thirdparty === 'object' && input.thirdparty !== null ? input.thirdparty : {}
  ) as Record<string, unknown>;
  const current = (thirdparty.zeus ?? {}) as Record<string, unknown>;
  out.thirdparty = { ...thirdparty, zeus: { ...moved, ...current } };
  const source = [fromFile !== undefined ? 'the key zeus' : '', ...usedEnv].filter((s) => s !== '').join(', ');
  const warning =
    `Configuration ${source} is of the former shape and was read as thirdparty.zeus; write zeus.host and zeus.port as ` +
    "thirdparty.zeus.instances: ['host:port'] (TANDEM_THIRDPARTY_ZEUS_INSTANCES=host:port,...) and the other keys " +
    'under thirdparty.zeus (TANDEM_THIRDPARTY_ZEUS_TIMEOUT_MS, ...), see docs/thirdparty.md.';
  return { input: out, warning, usedEnv };
}
