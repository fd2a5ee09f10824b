import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { acknowledgedByReplicas, type ReplicaWait } from '../src/core/db/redis';

/** How a tick is claimed across the instances of a cluster. */
export interface TickClaimOptions {
  /** How long a claimed tick stays claimed (ms). */
  lockMs: number;
  /** Pause before a claim that failed is tried again (ms). */
  retryMs: number;
  /** Tries in all, the first included. */
  attempts: number;
  /** Replicas that must acknowledge the claim before it counts. */
  replicas: ReplicaWait;
}

/** `claimed`: this instance runs the tick; `taken`: another one does; `unclaimed`: Redis never confirmed either. */
export type TickClaim = { outcome: 'claimed' | 'taken' } | { outcome: 'unclaimed'; error: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims `key` for this instance: SET NX PX with a token of its own, and, when
 * replicas are asked for, WAIT until that many acknowledged it.
 *
 * A claim no replica acknowledged is not trusted: it may sit only on a primary
 * that a failover is replacing (a manually demoted primary goes on taking writes
 * for seconds before Sentinel turns it into a replica), where another instance
 * would claim the same tick again on the new primary. It is tried again after
 * `retryMs`: a SET that finds the key holding this instance's own token means
 * the first write did survive, and the claim stands once acknowledged; any
 * other token means another instance won the tick. So a tick runs at most once
 * across a failover, and is skipped only when Redis stays unsure for all the
 * attempts.
 */
export async function claimTick(redis: Redis, key: string, options: TickClaimOptions): Promise<TickClaim> {
  const token = randomUUID();
  let error = 'no attempt was made';
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    if (attempt > 1) await sleep(options.retryMs);
    try {
      const set = await redis.set(key, token, 'PX', options.lockMs, 'NX');
      if (set !== 'OK' && (await redis.get(key)) !== token) return { outcome: 'taken' };
      if (await acknowledgedByReplicas(redis, options.replicas)) return { outcome: 'claimed' };
      error = `no ${options.replicas.replicas} replica(s) acknowledged the claim within ${options.replicas.timeoutMs} ms`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
  }
  return { outcome: 'unclaimed', error };
}
