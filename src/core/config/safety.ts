import type { Config } from './schema';

/**
 * The known-unsafe settings a prod start refuses, each with the name that
 * `accept_risks` (TANDEM_ACCEPT_RISKS) takes to run with it anyway.
 */
export const RISKS = ['mysql_root', 'mysql_no_password', 'metrics_open', 'thrift_open'] as const;
export type Risk = (typeof RISKS)[number];

/** What `make config ENV=prod` writes where a value must come from the deployment. */
export const CHANGE_ME = 'CHANGE ME';

interface Finding {
  risk: Risk;
  /** The keys the finding is about: one still at CHANGE ME is said as that instead. */
  keys: string[];
  line: string;
}

function findings(config: Config): Finding[] {
  const found: Finding[] = [];
  if (config.mysql.user === 'root') {
    found.push({
      risk: 'mysql_root',
      keys: ['mysql.user'],
      line: 'Configuration key mysql.user is root: a prod server connects as a user with only the grants tandem needs (scripts/create-mysql-user.sh, docs/operations.md).',
    });
  }
  if (config.mysql.password === '') {
    found.push({
      risk: 'mysql_no_password',
      keys: ['mysql.password'],
      line: 'Configuration key mysql.password is empty: set it in config.ts or TANDEM_MYSQL_PASSWORD.',
    });
  }
  if (config.metrics.port === null && config.metrics.allowed_networks.length === 0) {
    found.push({
      risk: 'metrics_open',
      keys: ['metrics.port', 'metrics.allowed_networks'],
      line: 'Configuration keys metrics.port and metrics.allowed_networks leave /metrics open to anyone on the public HTTP port: give it a port of its own (metrics.port) or list the networks that may read it.',
    });
  }
  const { thrift } = config;
  if (thrift.callers === null && thrift.allowed_networks.length === 0 && !thrift.tls.require_client_cert) {
    found.push({
      risk: 'thrift_open',
      keys: ['thrift.callers', 'thrift.allowed_networks', 'thrift.tls.require_client_cert'],
      line: 'Configuration keys thrift.callers, thrift.allowed_networks and thrift.tls.require_client_cert leave the Thrift port open to any caller for any method: set at least one of them.',
    });
  }
  return found;
}

/** Every string (key or value) of a config input that still holds the CHANGE ME marker, as key paths. */
export function changeMeKeys(input: unknown, at: string[] = []): string[] {
  if (typeof input === 'string') return input.includes(CHANGE_ME) ? [at.join('.')] : [];
  if (Array.isArray(input)) return input.some((item) => changeMeKeys(item).length > 0) ? [at.join('.')] : [];
  if (typeof input !== 'object' || input === null) return [];
  return Object.entries(input).flatMap(([key, value]) =>
    key.includes(CHANGE_ME) ? [at.join('.')] : changeMeKeys(value, [...at, key]),
  );
}

/** A copy of `input` without the keys that hold the marker: they take their defaults, to check the rest. */
export function withoutMarkers(input: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const copy = structuredClone(input);
  for (const key of keys) {
    const parts = key.split('.');
    let node: unknown = copy;
    for (const part of parts.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node === 'object' && node !== null) delete (node as Record<string, unknown>)[parts.at(-1) as string];
  }
  return copy;
}

/** One line per key that still holds the CHANGE ME marker. */
export function markerLines(keys: string[]): string[] {
  return keys.map(
    (key) =>
      `Configuration key ${key} still holds the '${CHANGE_ME}' marker that make config ENV=prod writes; set it for this deployment.`,
  );
}

/**
 * One line per known-unsafe value of a prod configuration that `accept_risks`
 * does not name. Empty when the configuration may start.
 */
export function refusalLines(config: Config, markers: string[] = []): string[] {
  if (config.env !== 'prod') return [];
  return findings(config)
    .filter((finding) => !config.accept_risks.includes(finding.risk))
    .filter((finding) => !finding.keys.some((key) => markers.includes(key)))
    .map(
      (finding) =>
        `${finding.line} A prod start refuses this unless accept_risks (TANDEM_ACCEPT_RISKS) names '${finding.risk}'.`,
    );
}

/** The accepted risks that the configuration really takes, for the one warning a start writes about them. */
export function acceptedRisks(config: Config): Risk[] {
  if (config.env !== 'prod') return [];
  return findings(config)
    .map((f) => f.risk)
    .filter((risk) => config.accept_risks.includes(risk));
}
