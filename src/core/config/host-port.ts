import net from 'node:net';
import { z } from 'zod';

/**
 * The one parser of `host:port` addresses: the config check at load
 * (`redis.sentinels`, `mysql.replicas`, `thirdparty.<name>.instances` and
 * `.dns`) and every place that connects to what those keys name. An IPv6
 * host is written in brackets (`[::1]:6379`), which are dropped from `host`.
 */
export interface HostPort {
  host: string;
  port: number;
}

/** How an address may be written where it is read. */
export interface HostPortRules {
  /** The port of an address written without one (`10.0.0.2`, or a bare IPv6 `fd00::2`); unset, a port is required. */
  defaultPort?: number;
  /**
   * An unbracketed address with several colons is split at its last one
   * (`::1:9190` is `::1` port 9190). Only for addresses the program wrote
   * itself as host and port joined; configuration must bracket IPv6, since
   * `fd00::1` could be either.
   */
  lastColon?: boolean;
}

/** What the refusal of a bad address says is expected. */
export const HOST_PORT_EXPECTED =
  'expected host:port with a port from 1 to 65535, e.g. 10.0.0.5:6379 or db-1.internal:3306 ([::1]:9190 for IPv6)';

/** A host name or IPv4 address: letters, digits, dots, hyphens and underscores (container names have them). */
const NAME = /^[A-Za-z0-9._-]+$/;

function isHost(host: string): boolean {
  if (!NAME.test(host)) return false;
  // Only digits and dots is meant as an IPv4 address, so it has to be one.
  return !/^[\d.]+$/.test(host) || net.isIPv4(host);
}

function portOf(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `host:port` split, the IPv6 brackets dropped; undefined when the text is not an address by `rules`. */
export function splitHostPort(text: string, rules: HostPortRules = {}): HostPort | undefined {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const [, host = '', portText] = bracketed;
    if (!net.isIPv6(host)) return undefined;
    const port = portText === undefined ? rules.defaultPort : portOf(portText);
    return port === undefined ? undefined : { host, port };
  }
  const at = text.lastIndexOf(':');
  if (at === -1) {
    if (rules.defaultPort === undefined) return undefined;
    return isHost(text) || net.isIPv6(text) ? { host: text, port: rules.defaultPort } : undefined;
  }
  const host = text.slice(0, at);
  const port = portOf(text.slice(at + 1));
  if (port === undefined) {
    // A bare IPv6 address with no port, where a default port is allowed.
    return rules.defaultPort !== undefined && net.isIPv6(text) ? { host: text, port: rules.defaultPort } : undefined;
  }
  if (isHost(host)) return { host, port };
  if (rules.lastColon && net.isIPv6(host)) return { host, port };
  // fd00::1 unbracketed: an address with no port, or fd00:: port 1? Configuration must say which.
  if (rules.defaultPort !== undefined && net.isIPv6(text)) return { host: text, port: rules.defaultPort };
  return undefined;
}

/**
 * `host:port` split, the IPv6 brackets dropped. Throws naming `key` (the
 * configuration key, `redis.sentinels[0]`) and the bad value, for a value
 * that did not pass the config check.
 */
export function parseHostPort(text: string, key: string, rules: HostPortRules = {}): HostPort {
  const address = splitHostPort(text, rules);
  if (address === undefined) {
    const port = rules.defaultPort === undefined ? '' : ` (the port may be left out: ${rules.defaultPort})`;
    throw new Error(
      `Configuration key ${key} is ${JSON.stringify(text)}, which is not an address: ${HOST_PORT_EXPECTED}${port}.`,
    );
  }
  return address;
}

/** `host:port` for people and logs, an IPv6 host in brackets again. */
export function formatHostPort({ host, port }: HostPort): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The config schema of one address: a string that `splitHostPort` accepts by `rules`. */
export function hostPortText(rules: HostPortRules = {}) {
  const port = rules.defaultPort === undefined ? '' : ` (the port may be left out: ${rules.defaultPort})`;
  return z.string().refine((text) => splitHostPort(text, rules) !== undefined, HOST_PORT_EXPECTED + port);
}
