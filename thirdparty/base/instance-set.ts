import dns from 'node:dns';
import { logger } from '../../src/core/log';
import { ServiceInstance, type InstanceEvent, type InstanceOptions } from './service-instance';

/** Where a service's instances come from: a fixed list, or every address a DNS name resolves to. */
export type InstanceSource =
  | { kind: 'static'; addresses: readonly { host: string; port: number }[] }
  | { kind: 'dns'; name: string; port: number; refreshMs: number };

/** What every instance of the service shares; host and port are each instance's own. */
export type SharedInstanceOptions<C> = Omit<InstanceOptions<C>, 'host' | 'port'>;

/** Resolves a name to its addresses; `dns.promises.lookup` unless a test gives another. */
export type Resolver = (name: string) => Promise<string[]>;

const systemResolver: Resolver = async (name) =>
  (await dns.promises.lookup(name, { all: true })).map((entry) => entry.address);

/**
 * The instances of one service, and the choice of one for each attempt:
 * power of two choices (two instances drawn at random among the available
 * ones, the less loaded taken, load being calls in flight times the moving
 * average latency), which spreads calls like least-loaded without every
 * client herding onto the same instance.
 *
 * With a DNS source, the name is resolved again every `refreshMs`: new
 * addresses join, vanished ones are retired (their calls in flight finish).
 * A failed resolution keeps the last list.
 */
export class InstanceSet<C> {
  private instances: ServiceInstance<C>[] = [];
  private readonly shared: SharedInstanceOptions<C>;
  private readonly source: InstanceSource;
  private readonly resolver: Resolver;
  private readonly onEvent: (instance: ServiceInstance<C>, event: InstanceEvent) => void;
  private timer: NodeJS.Timeout | undefined;
  private resolved: Promise<void> = Promise.resolve();

  constructor(
    source: InstanceSource,
    shared: SharedInstanceOptions<C>,
    onEvent: (instance: ServiceInstance<C>, event: InstanceEvent) => void,
    resolver: Resolver = systemResolver,
  ) {
    this.source = source;
    this.shared = shared;
    this.onEvent = onEvent;
    this.resolver = resolver;
    if (source.kind === 'static') {
      for (const { host, port } of source.addresses) this.add(host, port);
    } else {
      this.resolved = this.refresh();
      this.timer = setInterval(() => void this.refresh(), source.refreshMs);
      this.timer.unref();
    }
  }

  /** The instances in rotation (retired ones excluded). */
  get all(): readonly ServiceInstance<C>[] {
    return this.instances;
  }

  /** Resolves once the first DNS resolution has settled (at once for a static list). */
  ready(): Promise<void> {
    return this.resolved;
  }

  /**
   * The instance for the next attempt, avoiding `tried` when another can
   * take it, and for a retry, instances on probation (ejected or with a
   * half-open breaker) when one in rotation can. When none is available (all ejected or their breakers open),
   * the ejections are ignored rather than failing a call another instance
   * might answer; undefined only when the service has no instance at all.
   */
  pick(tried: ReadonlySet<ServiceInstance<C>>): ServiceInstance<C> | undefined {
    const now = Date.now();
    const available = this.instances.filter((i) => i.available(now));
    const fresh = available.filter((i) => !tried.has(i));
    // A retry goes to an instance known to answer: a probe is a first attempt's risk, not a retry's.
    const proven = tried.size > 0 ? fresh.filter((i) => i.state(now) === 'up') : fresh;
    if (proven.length > 0) return twoChoices(proven);
    if (fresh.length > 0) return twoChoices(fresh);
    if (available.length > 0) return twoChoices(available);
    // Every instance is ejected or open: the breakers still decide (an open one fails fast, 704).
    const allowed = this.instances.filter((i) => i.breakerAllows);
    const untried = allowed.filter((i) => !tried.has(i));
    return twoChoices(untried.length > 0 ? untried : allowed.length > 0 ? allowed : this.instances);
  }

  /** Stops resolving and closes every instance. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const closing = this.instances.map((i) => i.close());
    this.instances = [];
    await Promise.all(closing);
  }

  private add(host: string, port: number): void {
    const instance = new ServiceInstance({ ...this.shared, host, port });
    instance.onEvent((event) => this.onEvent(instance, event));
    this.instances.push(instance);
    this.onEvent(instance, { kind: 'added' });
  }

  private async refresh(): Promise<void> {
    if (this.source.kind !== 'dns') return;
    const { name, port } = this.source;
    let addresses: string[];
    try {
      addresses = [...new Set(await this.resolver(name))];
    } catch (err) {
      logger.warn(
        `${this.shared.service}'s instances could not be resolved from ${name}; the last list is kept: ${err instanceof Error ? err.message : String(err)}`,
        { service: this.shared.service, dns: name },
      );
      return;
    }
    if (addresses.length === 0) return;
    const wanted = new Set(addresses.map((address) => `${address}:${port}`));
    const gone = this.instances.filter((i) => !wanted.has(i.address));
    for (const instance of gone) {
      instance.retired = true;
      void instance.close();
    }
    this.instances = this.instances.filter((i) => wanted.has(i.address));
    const known = new Set(this.instances.map((i) => i.address));
    const added = addresses.filter((address) => !known.has(`${address}:${port}`));
    for (const address of added) this.add(address, port);
    if (gone.length > 0 || added.length > 0) {
      logger.info(`${this.shared.service} has ${this.instances.length} instance(s) from ${name}.`, {
        service: this.shared.service,
        instances: this.instances.map((i) => i.address),
      });
    }
  }
}

/** Power of two choices: the less loaded of two drawn at random (the only one, when there is one). */
function twoChoices<C>(candidates: readonly ServiceInstance<C>[]): ServiceInstance<C> | undefined {
  if (candidates.length <= 1) return candidates[0];
  const a = Math.floor(Math.random() * candidates.length);
  let b = Math.floor(Math.random() * (candidates.length - 1));
  if (b >= a) b += 1;
  const first = candidates[a] as ServiceInstance<C>;
  const second = candidates[b] as ServiceInstance<C>;
  return second.load() < first.load() ? second : first;
}
