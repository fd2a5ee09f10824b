import net, { type AddressInfo } from 'node:net';
import type Int64 from 'node-int64';
import thrift from 'thrift';
import { Processor } from '../../../thrift/gen-nodejs/Zeus';
import {
  type OrderPage,
  ZeusServerException,
  ZeusUserException,
  type Order,
  type RequestMeta,
  type Verdict,
} from '../../../thrift/gen-nodejs/zeus_types';
import { i64ToDecimal, THeaderProtocol } from '../../../src/core/rpc';
import { headerFrameInput, headerFrameOutput, isHeaderFrame } from '../../base/header-frames';
import { toIdlOrder, verdictFromIdl } from '../zeus-convert';
import type { ZeusOrder, ZeusVerdict } from '../zeus-types';
import { FIXTURE_ORDERS } from './fixtures';
import { StubOrders } from './stub-orders';

export type ZeusMethod = 'list_orders_since' | 'get_order' | 'report_suspicious';

/**
 * What the stub does to a call instead of answering it: `fail` answers with
 * ZeusServerException, `reset` destroys the connection (RST) as the call
 * arrives, `hang` never answers.
 */
export type StubFault = 'fail' | 'reset' | 'hang';

export interface FaultOptions {
  /** How many calls get the fault; every call until `recover()` when left out. */
  times?: number;
  /** Only calls of this method; every method when left out. */
  method?: ZeusMethod;
}

/** A call as it reached the stub, faulty or not. */
export interface StubCall {
  method: ZeusMethod;
  request_id: string;
  caller: string;
  /** The stub's number of the connection it came on (1 = the first accepted). */
  connection: number;
  fault: StubFault | undefined;
  /** The THeader headers the call came with (request id, client name, traceparent); empty for framed calls. */
  headers: Record<string, string>;
}

/** A report_suspicious call the stub accepted. */
export interface StubReport {
  order_id: string;
  verdict: ZeusVerdict;
  reason: string;
  request_id: string;
}

export interface ZeusStubOptions {
  /** The orders served; the fixtures by default. */
  orders?: readonly ZeusOrder[];
  /** Called as each call arrives (the `make zeus-stub` entry logs them). */
  onCall?: (call: StubCall) => void;
}

interface FaultRule {
  fault: StubFault;
  remaining: number;
  method: ZeusMethod | undefined;
}

/** A request frame longer than this drops the connection (zeus's requests are small). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** A promise that never settles: the call is left unanswered. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * A stub of zeus that speaks zeus's IDL over real Thrift (framed transport,
 * binary protocol) with fixture orders, for development and tests. Switches
 * add latency, fail, reset or hang calls, or make the whole server go away
 * and come back on the same port; it records every call it receives.
 *
 * Listing follows zeus's cursor contract: orders sorted by (created_at, id);
 * the cursor is the id of the last order returned ('' starts from the
 * beginning); next_cursor is the cursor given when there is nothing new.
 */
export class ZeusStub {
  /** Every call that reached the stub, in arrival order. */
  readonly calls: StubCall[] = [];
  /** Every report_suspicious the stub accepted. */
  readonly reports: StubReport[] = [];
  /** Connections accepted since start. */
  connectionsAccepted = 0;

  private readonly orders: StubOrders;
  private readonly onCall: ((call: StubCall) => void) | undefined;
  private server: net.Server | undefined;
  private boundPort = 0;
  private host = '127.0.0.1';
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private latency = 0;
  private faults: FaultRule[] = [];
  /** The headers of the THeader call being dispatched (the processor calls the handler synchronously). */
  private dispatching: Record<string, string> = {};

  constructor(options: ZeusStubOptions = {}) {
    this.orders = new StubOrders(options.orders ?? FIXTURE_ORDERS);
    this.onCall = options.onCall;
  }

  /** Listens on `port` (0: a free one) and resolves with the port. */
  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    this.host = host;
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Stops listening and drops every connection: zeus is gone (connections are refused). */
  async goAway(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the port it had before `goAway()`. */
  async comeBack(): Promise<void> {
    if (this.server) return;
    await this.start(this.boundPort, this.host);
  }

  /** Stops for good. */
  stop(): Promise<void> {
    return this.goAway();
  }

  /** Delays every answer by `ms`. */
  setLatency(ms: number): void {
    this.latency = ms;
  }

  /** Answers calls with ZeusServerException. */
  failCalls(options: FaultOptions = {}): void {
    this.addFault('fail', options);
  }

  /** Destroys the connection as a call arrives, with no answer. */
  resetCalls(options: FaultOptions = {}): void {
    this.addFault('reset', options);
  }

  /** Never answers calls. */
  hangCalls(options: FaultOptions = {}): void {
    this.addFault('hang', options);
  }

  /** Clears every fault and the latency: calls are answered normally again. */
  recover(): void {
    this.faults = [];
    this.latency = 0;
  }

  /** Appends orders, as if they had just been created; they must be newer than every order there. */
  addOrders(orders: readonly ZeusOrder[]): void {
    this.orders.add(orders);
  }

  /** The calls of one method (every call when left out). */
  callsOf(method?: ZeusMethod): StubCall[] {
    return method ? this.calls.filter((c) => c.method === method) : [...this.calls];
  }

  /** Forgets the recorded calls and reports. */
  clearRecords(): void {
    this.calls.length = 0;
    this.reports.length = 0;
  }

  private addFault(fault: StubFault, options: FaultOptions): void {
    this.faults.push({ fault, remaining: options.times ?? Infinity, method: options.method });
  }

  private takeFault(method: ZeusMethod): StubFault | undefined {
    const rule = this.faults.find((r) => r.remaining > 0 && (r.method === undefined || r.method === method));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  /**
   * One connection: frames in, the generated processor, frames out, on this
   * very socket. A frame is framed binary, or THeader (binary inside) as
   * zeus's servers also speak it: then its headers are recorded with the
   * call and the reply goes back as a THeader frame.
   */
  private accept(socket: net.Socket): void {
    this.connectionsAccepted += 1;
    const connection = this.connectionsAccepted;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const processor = new Processor(this.handler(socket, connection));
    const send = (frame?: Buffer): void => {
      if (frame && !socket.destroyed) socket.write(frame);
    };
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      try {
        while (pending.length >= 4) {
          const size = pending.readInt32BE(0);
          if (size < 0 || size > MAX_FRAME_BYTES) throw new Error(`a frame of ${size} bytes`);
          if (pending.length < 4 + size) return;
          const whole = pending.subarray(0, 4 + size);
          pending = pending.subarray(4 + size);
          if (isHeaderFrame(whole)) this.serveHeader(processor, whole, send);
          else
            processor.process(
              new thrift.TBinaryProtocol(new thrift.TFramedTransport(whole.subarray(4))),
              new thrift.TBinaryProtocol(new thrift.TFramedTransport(undefined, send)),
            );
        }
      } catch {
        // Bytes that are not framed Thrift: drop this connection, as a server does.
        socket.destroy();
      }
    });
  }

  /** One THeader call: the headers are read, kept for the handler, and the reply is a THeader frame. */
  private serveHeader(processor: Processor, whole: Buffer, send: (frame: Buffer) => void): void {
    const { transport: input, protocol } = headerFrameInput(whole);
    const headers = input.readHeaders();
    input.readCursor = 0;
    const output = headerFrameOutput(send);
    output.setSeqId(input.getSeqId());
    const requestId = headers['request-id'];
    if (requestId !== undefined) output.setWriteHeader('request-id', requestId);
    this.dispatching = headers;
    try {
      // The protocol reads the headers again from the frame's start, then the message.
      processor.process(protocol, new THeaderProtocol(output as unknown as thrift.TTransport));
    } finally {
      this.dispatching = {};
    }
  }

  /** The IDL handler for one connection; each method's arity tells the processor it returns a promise. */
  private handler(socket: net.Socket, connection: number): object {
    return {
      list_orders_since: (meta: RequestMeta, cursor: string, limit: number): Promise<OrderPage> =>
        this.serve(socket, connection, 'list_orders_since', meta, () => this.orders.page(cursor, limit)),
      get_order: (meta: RequestMeta, id: Int64): Promise<Order> =>
        this.serve(socket, connection, 'get_order', meta, () => toIdlOrder(this.orders.find(i64ToDecimal(id, true)))),
      report_suspicious: (meta: RequestMeta, orderId: Int64, verdict: Verdict, reason: string): Promise<void> =>
        this.serve(socket, connection, 'report_suspicious', meta, () =>
          this.report(meta, i64ToDecimal(orderId, true), verdict, reason),
        ),
    };
  }

  private async serve<T>(
    socket: net.Socket,
    connection: number,
    method: ZeusMethod,
    meta: RequestMeta | null,
    answer: () => T,
  ): Promise<T> {
    const fault = this.takeFault(method);
    const call: StubCall = {
      method,
      request_id: meta?.request_id ?? '',
      caller: meta?.caller ?? '',
      connection,
      fault,
      headers: this.dispatching,
    };
    this.calls.push(call);
    this.onCall?.(call);
    if (fault === 'reset') {
      socket.resetAndDestroy();
      return never();
    }
    if (fault === 'hang') return never();
    if (this.latency > 0) await this.sleep(this.latency);
    if (fault === 'fail')
      throw new ZeusServerException({ code: 503, message: 'The stub zeus was told to fail this call.' });
    return answer();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private report(meta: RequestMeta | null, orderId: string, verdict: Verdict, reason: string): void {
    const name = verdictFromIdl(verdict);
    if (!name)
      throw new ZeusUserException({ code: 400, message: `Verdict ${String(verdict)} is not one of FRAUD, LEGIT.` });
    this.orders.find(orderId);
    this.reports.push({ order_id: orderId, verdict: name, reason, request_id: meta?.request_id ?? '' });
  }
}
