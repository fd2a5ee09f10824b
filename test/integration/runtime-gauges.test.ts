import type { Sequelize } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { statsd } from '../../src/core/monitor';
import { startRuntimeGauges } from '../../src/core/monitor/runtime';
import { testConfig } from '../helpers/app';
import { waitFor } from '../helpers/wait';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';

const PREFIX = `runtime-${process.pid}.`;

describe('runtime saturation gauges', () => {
  let statsdListener: StatsdListener;
  let sequelize: Sequelize;

  beforeAll(async () => {
    statsdListener = await listenStatsd();
    statsd.reconfigure({ enabled: true, host: '127.0.0.1', port: statsdListener.port, prefix: PREFIX });
    sequelize = createSequelize(testConfig());
    await sequelize.query('SELECT 1');
  });

  afterAll(async () => {
    await sequelize.close();
    statsd.reconfigure({ enabled: false, host: '127.0.0.1', port: 8125, prefix: 'tandem.' });
    await statsdListener.close();
  });

  it('when the gauges run, then event-loop lag and MySQL pool use reach statsd as gauges', async () => {
    const stop = startRuntimeGauges(sequelize, 50);
    try {
      const gauge = (name: string) =>
        new RegExp(`^${PREFIX.replace(/\./g, '\\.')}${name.replace(/\./g, '\\.')}:[0-9.]+\\|g$`);
      await waitFor(
        () => statsdListener.lines.find((l) => gauge('runtime.event_loop_lag_ms.p99').test(l)),
        5000,
        'an event-loop lag gauge',
      );
      const open = await waitFor(
        () => statsdListener.lines.find((l) => gauge('mysql.pool.primary.open').test(l)),
        5000,
        'a pool gauge',
      );
      // One query was made, so the pool holds at least one connection.
      expect(Number(open.split(':')[1]?.split('|')[0])).toBeGreaterThanOrEqual(1);
      expect(statsdListener.lines.some((l) => gauge('mysql.pool.primary.waiting').test(l))).toBe(true);
    } finally {
      stop();
    }
  });
});
