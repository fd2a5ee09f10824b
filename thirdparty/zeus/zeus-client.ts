import type { Config } from '../../src/core/config';
import { currentRequestId, newRequestId } from '../../src/core/ctx';
import { UserError } from '../../src/exception';
import {
  ReplyDataError,
  serviceOptions,
  ThriftServiceClient,
  type BreakerState,
  type InstanceView,
  type MetricsSink,
  type PoolStats,
  type RetryBudgetStats,
} from '../base';
import { Client } from '../../thrift/gen-nodejs/Zeus';
import { RequestMeta, type Order } from '../../thrift/gen-nodejs/zeus_types';
import { fromIdlOrder, idToInt64, verdictToIdl } from './zeus-convert';
import type { ZeusApi, ZeusOrder, ZeusOrderPage, ZeusVerdict } from './zeus-types';

export interface ZeusClientOptions {
  /** Where metrics go; the process's statsd by default. */
  metrics?: MetricsSink;
}

/** The service name in metrics (`thirdparty.zeus.*`), logs and error messages. */
export const ZEUS_SERVICE = 'zeus';

/** Said once, in development, when zeus stops answering. */
export const ZEUS_STUB_HINT = 'In development, start the stub zeus in another terminal: make zeus-stub.';

/** Reads an order, turning anything unreadable into a ReplyDataError (a remote error, 703). */
function readOrder(order: Order): ZeusOrder {
  try {
    return fromIdlOrder(order);
  } catch (err) {
    if (err instanceof ReplyDataError) throw err;
    throw new ReplyDataError(`An order could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * zeus, the order platform, over Thrift (framed binary, or THeader) on the shared
 * third-party client, configured by `thirdparty.zeus`: its instances
 * balanced, ejected and probed back, a breaker per instance, retries of the
 * idempotent reads on another instance within the retry budget and the
 * caller's deadline (docs/thirdparty.md). Each call sends a RequestMeta with the current request id
 * (a new one outside a request) and `service_name` as the caller.
 *
 * Build one per process (it owns sockets) and `close()` it at stop.
 */
export class ZeusClient implements ZeusApi {
  private readonly rpc: ThriftServiceClient<Client>;
  private readonly caller: string;

  constructor(config: Pick<Config, 'thirdparty' | 'service_name' | 'env'>, options: ZeusClientOptions = {}) {
    this.caller = config.service_name;
    this.rpc = new ThriftServiceClient(
      Client,
      serviceOptions(config, ZEUS_SERVICE, {
        callerName: config.service_name,
        ...(options.metrics ? { metrics: options.metrics } : {}),
        // On a developer's machine zeus is usually the stub, and not running is the usual reason it does not answer.
        ...(config.env === 'dev' ? { unreachableHint: ZEUS_STUB_HINT } : {}),
      }),
    );
  }

  async listOrdersSince(cursor: string, limit: number): Promise<ZeusOrderPage> {
    const meta = this.meta();
    return await this.rpc.call(
      'list_orders_since',
      (c) =>
        c.list_orders_since(meta, cursor, limit).then((page) => ({
          orders: (page.orders ?? []).map(readOrder),
          next_cursor: page.next_cursor ?? cursor,
        })),
      { idempotent: true },
    );
  }

  async getOrder(id: string): Promise<ZeusOrder> {
    const meta = this.meta();
    const idlId = this.orderId(id);
    return await this.rpc.call('get_order', (c) => c.get_order(meta, idlId).then(readOrder), { idempotent: true });
  }

  async reportSuspicious(orderId: string, verdict: ZeusVerdict, reason: string): Promise<void> {
    const meta = this.meta();
    const idlId = this.orderId(orderId);
    await this.rpc.call('report_suspicious', (c) => c.report_suspicious(meta, idlId, verdictToIdl(verdict), reason), {
      idempotent: false,
    });
  }

  /** The longest a call can take before it settles, retries included: a bound for callers' own deadlines. */
  maxCallMs(idempotent: boolean): number {
    return this.rpc.maxCallMs(idempotent);
  }

  /** The service's name in metrics, logs and /health: `zeus`. */
  get service(): string {
    return this.rpc.service;
  }

  /** `closed`, `open` (failing fast) or `half_open` (the next call probes). */
  get breakerState(): BreakerState {
    return this.rpc.breakerState;
  }

  /** Connections open, idle and busy, callers waiting, and connections opened since start. */
  poolStats(): PoolStats & { opened: number } {
    return this.rpc.poolStats();
  }

  /** Each instance of zeus: its address, standing (up, ejected, probing, open), calls in flight, latency. */
  instances(): InstanceView[] {
    return this.rpc.instances();
  }

  /** Calls and retries since start, and retries the budget refused. */
  retryStats(): RetryBudgetStats {
    return this.rpc.retryStats();
  }

  /** Ends every connection to zeus; calls in progress finish first, within their deadline. */
  close(): Promise<void> {
    return this.rpc.close();
  }

  private meta(): RequestMeta {
    return new RequestMeta({ request_id: currentRequestId() ?? newRequestId(), caller: this.caller });
  }

  /** An order id as an i64; a UserError (1000) when it is not one, before anything is sent. */
  private orderId(id: string): NonNullable<ReturnType<typeof idToInt64>> {
    const value = idToInt64(id);
    if (!value) throw new UserError('BAD_REQUEST', { params: { reason: `order id ${id} is not a 64-bit integer.` } });
    return value;
  }
}
