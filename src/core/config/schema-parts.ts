import cron from 'node-cron';
import { z } from 'zod';
import { parseCidr } from './cidr';

/**
 * The building blocks the config sections are written with: a section
 * (strict, defaulted as a whole), ports and hosts, a timed job's switch,
 * lists of networks.
 */

/** A TCP or UDP port number. */
export const port = z.number().int().min(0).max(65535);

/** A config section: unknown keys are errors, and a missing section takes its defaults. */
export function section<T extends z.ZodRawShape>(shape: T) {
  // Every key of a section has a default, so {} is a valid input; generics cannot prove it.
  return z.strictObject(shape).prefault({} as never);
}
/** A host name or address to bind or reach. */
export const host = z.string().min(1);

/** One timed job's switch: whether its ticks run in this environment, and when it ticks. */
export function jobSwitch(defaultCron: string, what: string) {
  return section({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        `Run ${what} on its schedule; off, its ticks are skipped (skipped_disabled) and npm run job needs --force.`,
      ),
    cron: z
      .string()
      .refine(
        (expression) => cron.validate(expression),
        'must be a node-cron expression (six fields put seconds first)',
      )
      .default(defaultCron)
      .describe(`When ${what} ticks: a node-cron expression (six fields put seconds first).`),
  });
}

/** A list of IP networks in CIDR form (allow-lists, trusted proxies). */
export function cidrList() {
  return z
    .array(z.string())
    .refine(
      (networks) => networks.every((cidr) => parseCidr(cidr) !== undefined),
      'each entry must be an IP network in CIDR form, e.g. 10.0.0.0/8',
    );
}

/** `TANDEM_HTTP_TRUST_PROXY` as text: `false`, a number of hops, or networks separated by commas. */
export function trustProxyFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
