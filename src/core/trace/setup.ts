import { context, diag, DiagLogLevel } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { tracing } from './active';
import { clearTracer, setTracer } from './spans';
import { traceClients, untraceClients } from './clients';

export interface TraceOptions {
  /** Where spans are sent: the full OTLP/HTTP URL ending in /v1/traces; empty turns tracing off. */
  otlp_url: string;
  /** The share of new traces kept (0..1); a caller's sampled flag is followed. */
  sample_ratio: number;
  /** How long spans wait in the batch before they are sent (ms). */
  export_delay_ms: number;
}

export interface TraceIdentity {
  service: string;
  version: string;
  env: string;
}

/** What warns about an export that failed (the process's logger). */
export type TraceWarn = (message: string, fields: Record<string, unknown>) => void;

let provider: BasicTracerProvider | undefined;

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on the first start, see sdk() */
/**
 * The SDK's modules, loaded when tracing first starts: a process with
 * tracing off (the default) never loads them, which keeps about 200 ms off
 * every start (a worker's, a CLI's) on this machine.
 */
function sdk(): {
  asyncHooks: typeof import('@opentelemetry/context-async-hooks');
  exporter: typeof import('@opentelemetry/exporter-trace-otlp-proto');
  resources: typeof import('@opentelemetry/resources');
  base: typeof import('@opentelemetry/sdk-trace-base');
} {
  return {
    asyncHooks: require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks'),
    exporter:
      require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'),
    resources: require('@opentelemetry/resources') as typeof import('@opentelemetry/resources'),
    base: require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base'),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */
let contextManagerSet = false;

/** Export failures are said once until an export works again: the receiver being down is not a line per batch. */
function diagnostics(warn: TraceWarn): void {
  let said = false;
  diag.setLogger(
    {
      error: (message: string, ...args: unknown[]) => {
        if (said) return;
        said = true;
        warn('spans could not be exported; the trace receiver at trace.otlp_url does not take them', {
          error: [message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' '),
        });
      },
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
  );
}

/**
 * Turns tracing on when `options.otlp_url` is set: a tracer provider with a
 * parent-based ratio sampler, a batch processor exporting OTLP over
 * HTTP/protobuf, AsyncLocalStorage for the active span, and the MySQL and
 * Redis hooks. With an empty URL it does nothing, and every span hook stays
 * a boolean check. The provider is ours, not registered globally: a second
 * start in the same process (tests) replaces it.
 */
export function startTracing(options: TraceOptions, identity: TraceIdentity, warn: TraceWarn): void {
  if (options.otlp_url === '' || provider) return;
  const { asyncHooks, exporter: otlp, resources, base } = sdk();
  if (!contextManagerSet) {
    context.setGlobalContextManager(new asyncHooks.AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  diagnostics(warn);
  const exporter = new otlp.OTLPTraceExporter({ url: options.otlp_url });
  provider = new base.BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': identity.service,
      'service.version': identity.version,
      'deployment.environment.name': identity.env,
    }),
    sampler: new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(options.sample_ratio) }),
    spanProcessors: [new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: options.export_delay_ms })],
  });
  setTracer(provider.getTracer('tandem', identity.version));
  traceClients();
  tracing.on = true;
}

/** Sends the spans ended so far; resolves when the receiver has answered (or given up). */
export async function flushTraces(): Promise<void> {
  await provider?.forceFlush();
}

/** Sends what is pending and turns tracing off; part of the process's stop. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  if (!stopping) return;
  tracing.on = false;
  provider = undefined;
  clearTracer();
  untraceClients();
  await stopping.shutdown().catch(() => undefined);
}
