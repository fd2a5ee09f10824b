import type { Redis } from 'ioredis';
import { quitRedis, redisConnection } from '../../src/core/db/redis';
import { testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { startSentinelSet, type SentinelSet } from '../helpers/sentinel';
import { waitFor } from '../helpers/wait';

// Real redis-server and Sentinel processes, a killed primary and a failover on a loaded machine: bounds, not speed.
jest.setTimeout(120_000);

let set: SentinelSet;
const clients: Redis[] = [];
let frozen: number | undefined;

beforeAll(async () => {
  set = await startSentinelSet(2);
});

afterAll(async () => {
  if (frozen !== undefined) set.resume(frozen);
  for (const client of clients) await quitRedis(client);
  await set?.stop();
});

/** The primary one Sentinel names now, asked of that Sentinel alone (another may be frozen). */
async function primaryNamedBy(sentinelPort: number): Promise<number | undefined> {
  const sentinel = set.direct(sentinelPort);
  try {
    const answer = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', set.name)) as string[];
    return Number(answer[1]);
  } catch {
    return undefined;
  } finally {
    sentinel.disconnect();
  }
}

describe('a client behind Sentinel when the primary is killed', () => {
  it('when the new primary is announced while the client is still asking a Sentinel where the primary is, then the client reconnects to it instead of ending', async () => {
    const config = testConfig({
      redis: { key_prefix: freshRedisPrefix(), sentinels: set.sentinels, sentinel_name: set.name },
    });
    const ports = set.sentinels.map((entry) => Number(entry.split(':')[1]));
    const [first, second] = ports as [number, number];
    const app = redisConnection(config, 'kill-app');
    const bull = redisConnection(config, 'kill-bull', 'client');
    clients.push(app, bull);
    const ended: string[] = [];
    app.on('end', () => ended.push('app'));
    bull.on('end', () => ended.push('bull'));
    await app.connect();
    await bull.ping();
    const primary = await set.primaryPort();

    // The first Sentinel, which each client asks first, answers nothing: their reconnections hang there,
    // while the other two fail the primary over and announce the new one.
    set.pause(first);
    frozen = first;
    await set.kill(primary);
    const promoted = await waitFor(
      async () => {
        const named = await primaryNamedBy(second);
        return named !== undefined && named !== primary ? named : undefined;
      },
      60000,
      'the other Sentinels to name a new primary',
    );
    // Let the announcement reach the clients' listeners, then let the frozen Sentinel answer.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    set.resume(first);
    frozen = undefined;

    for (const client of [app, bull]) {
      await waitFor(
        async () => ((await client.ping().catch(() => undefined)) === 'PONG' ? true : undefined),
        30000,
        'the client to answer on the new primary',
      );
      expect(client.stream.remotePort).toBe(promoted);
    }
    expect(ended).toEqual([]);
  });
});
