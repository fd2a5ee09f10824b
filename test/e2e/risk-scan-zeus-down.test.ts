import { createScheduler } from '../../scheduler';
import type { Outcome, Scheduler } from '../../scheduler/runner';
import type { JobDeps } from '../../scheduler/deps';
import type { RunningApp } from '../../src/core/app/app';
import { logger } from '../../src/core/log';
import { domainsOf } from '../../src/modules';
import { ZeusStub } from '../../thirdparty/zeus/stub/zeus-stub';
import { ZEUS_STUB_HINT } from '../../thirdparty/zeus/zeus-client';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture, type LogLine } from '../helpers/log-capture';
import { zeusOverrides } from '../helpers/risk';
import { within } from '../helpers/wait';

/**
 * `make server` on a developer's machine without `make zeus-stub`: the
 * risk.scan tick runs every minute against a zeus that refuses (then one
 * that accepts and never answers). One warning says how to start the stub,
 * the ticks after it write no warning, error or stack, and one line says
 * when zeus answers again. Real sockets: the stub zeus over real Thrift,
 * gone (connections refused) and back on the same port.
 */

const TICK_BOUND_MS = 15_000;
const TICKS_WHILE_DOWN = 4;

let app: RunningApp | undefined;
let stub: ZeusStub | undefined;
let scheduler: Scheduler<JobDeps>;
let logs: LogCapture;
let drop: (() => Promise<void>) | undefined;
let zeusPort: number;

beforeAll(async () => {
  const zeus = new ZeusStub();
  stub = zeus;
  zeusPort = await zeus.start();
  await zeus.goAway();
  const db = await freshDatabase();
  drop = db.drop;
  const running = await startTestApp({
    env: 'dev',
    thirdparty: zeusOverrides(zeusPort, { retries: 1, timeout_ms: 300 }),
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
  });
  app = running;
  logs = captureLogs();
  // Everything a developer sees in dev, debug lines included.
  logger.level = 'debug';
  const domains = domainsOf(running.resources);
  scheduler = createScheduler(
    running.resources.redis,
    { config: running.resources.config, cs: domains.cs, risk: domains.risk },
    undefined,
  );
});

afterAll(async () => {
  await Promise.allSettled([app?.stop(), stub?.stop()]);
  await drop?.();
});

function zeus(): ZeusStub {
  if (!stub) throw new Error('the stub zeus did not start');
  return stub;
}

function tick(): Promise<Outcome> {
  return within(scheduler.runNow('risk.scan'), TICK_BOUND_MS, 'a risk.scan tick');
}

/** Lines a developer would notice: warnings, errors, and anything with a stack. */
const loud = (lines: LogLine[]): LogLine[] =>
  lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.stack !== undefined);

describe('risk.scan while zeus is not running (dev)', () => {
  it(`when zeus refuses for ${TICKS_WHILE_DOWN} ticks, then one warning names the address and how to start the stub, and later ticks write no warning, error or stack`, async () => {
    const outcomes: Outcome[] = [];
    const loudPerTick: number[] = [];
    const linesPerTick: number[] = [];
    for (let i = 0; i < TICKS_WHILE_DOWN; i += 1) {
      const before = logs.lines.length;
      outcomes.push(await tick());
      const written = logs.lines.slice(before);
      loudPerTick.push(loud(written).length);
      linesPerTick.push(written.length);
    }

    // Figures: what each tick wrote while zeus refused.
    process.stderr.write(
      `risk-scan-zeus-down: zeus refusing, per tick: loud lines ${loudPerTick.join(',')}; all lines (debug included) ${linesPerTick.join(',')}\n`,
    );
    expect(outcomes).toEqual(Array<unknown>(TICKS_WHILE_DOWN).fill('unavailable'));
    expect(loudPerTick).toEqual([1, ...Array<number>(TICKS_WHILE_DOWN - 1).fill(0)]);
    const [warning] = loud(logs.lines);
    expect(warning).toMatchObject({ level: 'warn', service: 'tandem' });
    expect(String(warning?.message)).toContain(`zeus does not answer at 127.0.0.1:${zeusPort}`);
    expect(String(warning?.message)).toContain(ZEUS_STUB_HINT);
    expect(String(warning?.message)).toContain('make zeus-stub');
    expect(logs.lines.filter((l) => l.message === 'job failed')).toEqual([]);
    // After the first tick, only the job's own 'job run' line (debug) is written: nothing about zeus.
    expect(linesPerTick.slice(1)).toEqual(Array<number>(TICKS_WHILE_DOWN - 1).fill(1));
    expect(logs.lines.filter((l) => l.message === 'job run').map((l) => [l.level, l.outcome])).toEqual(
      Array<unknown>(TICKS_WHILE_DOWN).fill(['debug', 'unavailable']),
    );
  });

  it('when zeus answers again, then the tick succeeds and one line says zeus is back, with how long it was down', async () => {
    await zeus().comeBack();
    const before = logs.lines.length;

    const first = await tick();
    const second = await tick();

    const back = logs.lines.slice(before).filter((l) => String(l.message).startsWith('zeus answers again'));
    expect([first, second]).toEqual(['ok', 'ok']);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({
      level: 'info',
      message: `zeus answers again at 127.0.0.1:${zeusPort}.`,
      failed_calls: TICKS_WHILE_DOWN,
    });
    expect(back[0]?.down_for_ms).toEqual(expect.any(Number));
    expect(loud(logs.lines.slice(before))).toEqual([]);
  });

  it('when zeus then accepts and never answers (frozen), then a new outage is warned once and the ticks end within their bound', async () => {
    zeus().hangCalls();
    const before = logs.lines.length;

    const outcomes = [await tick(), await tick(), await tick()];

    const written = logs.lines.slice(before);
    expect(outcomes).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(loud(written)).toHaveLength(1);
    expect(String(loud(written)[0]?.message)).toMatch(/^zeus does not answer at .*did not answer within 300 ms/);
    zeus().recover();
  });
});
