import { z } from 'zod';

/** What the orchestrator asks a loader process to do, passed as one JSON argument. */
export const httpJobSchema = z.object({
  kind: z.literal('http'),
  url: z.string().url(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  /** See HttpTarget.rotate: the path's ':id' and the body change per request. */
  rotate: z.object({ ids: z.array(z.number().int()).min(1), bodies: z.array(z.string()).min(1) }).optional(),
  connections: z.number().int().min(1),
  warmupSec: z.number().min(0),
  durationSec: z.number().positive(),
});

export const thriftJobSchema = z.object({
  kind: z.literal('thrift'),
  host: z.literal('127.0.0.1'),
  port: z.number().int().min(1).max(65535),
  /** The generated service module, from the project root (e.g. thrift/gen-nodejs/Tandem). */
  serviceModule: z.string(),
  method: z.string(),
  /** Arguments of the call, in IDL order (numbers are fine for i64). */
  args: z.array(z.unknown()).default([]),
  connections: z.number().int().min(1),
  warmupSec: z.number().min(0),
  durationSec: z.number().positive(),
});

export const loadJobSchema = z.discriminatedUnion('kind', [httpJobSchema, thriftJobSchema]);

export type HttpJob = z.infer<typeof httpJobSchema>;
export type ThriftJob = z.infer<typeof thriftJobSchema>;
export type LoadJob = z.input<typeof loadJobSchema>;

/** What a loader sends back over IPC when its measured run is over. */
export const loadResultSchema = z.object({
  /** Successful answers in the measured window. */
  requests: z.number().int(),
  /** Failed answers (non-2xx, Thrift exceptions) and connection errors in the window. */
  errors: z.number().int(),
  seconds: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
});

export type LoadResult = z.infer<typeof loadResultSchema>;

/** Sent by a loader when its warm-up is over and the measured window starts. */
export const measuringSchema = z.object({ event: z.literal('measuring') });

export function announceMeasuring(): void {
  process.send?.({ event: 'measuring' });
}

/** Reads the job from argv in a loader process; exits with a message when it is not one. */
export function jobFromArgv<T extends z.ZodType>(schema: T): z.infer<T> {
  const raw = process.argv[2];
  const parsed = schema.safeParse(raw === undefined ? undefined : JSON.parse(raw));
  if (!parsed.success) {
    process.stderr.write(`The load job argument is invalid: ${parsed.error.message}\n`);
    process.exit(2);
  }
  return parsed.data;
}

/** Sends the result to the orchestrator and leaves once it is delivered. */
export function reportAndExit(result: LoadResult): void {
  if (!process.send) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  process.send(result, () => process.exit(0));
}
