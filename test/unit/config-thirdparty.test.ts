import { configErrorLines as errorLines } from '../helpers/config-errors';
import { buildConfig, type ConfigInput } from '../../src/core/config';
import { serviceOptions } from '../../thirdparty/base';

describe('thirdparty.<service> configuration', () => {
  it('when nothing is configured, then zeus is one instance on 127.0.0.1:9190 with the documented budget and ejection', () => {
    const zeus = buildConfig(undefined, {}).thirdparty.zeus;

    expect(zeus).toMatchObject({
      instances: ['127.0.0.1:9190'],
      dns: '',
      retry_budget_percent: 20,
      retry_budget_min_per_second: 3,
      eject_after_failures: 5,
    });
  });

  it('when TANDEM_THIRDPARTY_ZEUS_INSTANCES lists addresses, then each is an instance', () => {
    const config = buildConfig(undefined, {
      TANDEM_THIRDPARTY_ZEUS_INSTANCES: '10.0.0.1:9190, 10.0.0.2:9190,[::1]:9191',
    });

    expect(config.thirdparty.zeus.instances).toEqual(['10.0.0.1:9190', '10.0.0.2:9190', '[::1]:9191']);
    expect(serviceOptions(config, 'zeus').instances).toEqual({
      kind: 'static',
      addresses: [
        { host: '10.0.0.1', port: 9190 },
        { host: '10.0.0.2', port: 9190 },
        { host: '::1', port: 9191 },
      ],
    });
  });

  it('when a second service is configured by name, then its options come from its own section', () => {
    const config = buildConfig({ thirdparty: { billing: { dns: 'billing.internal:9400', timeout_ms: 250 } } }, {});

    const options = serviceOptions(config, 'billing');

    expect(options.instances).toEqual({ kind: 'dns', name: 'billing.internal', port: 9400, refreshMs: 30_000 });
    expect(options).toMatchObject({
      service: 'billing',
      timeoutMs: 250,
      retryBudget: { percent: 20, minPerSecond: 3 },
    });
    expect(() => serviceOptions(config, 'payments')).toThrow(/thirdparty\.payments section/);
  });

  it('when TANDEM_THIRDPARTY_ZEUS_TRANSPORT is header, then zeus is called over THeader; framed by default; anything else is refused', () => {
    expect(serviceOptions(buildConfig(undefined, {}), 'zeus').transport).toBe('framed');
    const header = buildConfig(undefined, { TANDEM_THIRDPARTY_ZEUS_TRANSPORT: 'header' });
    expect(serviceOptions(header, 'zeus', { callerName: 'tandem' })).toMatchObject({
      transport: 'header',
      callerName: 'tandem',
    });
    expect(errorLines({ thirdparty: { zeus: { transport: 'compact' as 'framed' } } }).join('\n')).toMatch(
      /thirdparty\.zeus\.transport/,
    );
  });

  it('when a rule across keys fails on a key left at its default, then the line says so rather than showing no value', () => {
    const lines = errorLines({ thirdparty: { zeus: { eject_base_ms: 60_000 } } });

    expect(lines.join('\n')).toMatch(
      /thirdparty\.zeus\.eject_max_ms from config\.ts .* is left at its default, which is invalid: must be at least eject_base_ms/,
    );
  });

  it('when a service names no instance and no dns, or a bad address, then the line names the key', () => {
    const lines = errorLines({ thirdparty: { billing: {}, zeus: { instances: ['zeus-1'] } } });

    expect(
      lines.some((l) => l.startsWith('Configuration key thirdparty.billing.instances') && l.includes('or set dns')),
    ).toBe(true);
    expect(
      lines.some((l) => l.startsWith('Configuration key thirdparty.zeus.instances[0]') && l.includes('host:port')),
    ).toBe(true);
  });

  it('when a config of the former shape sets zeus.host and zeus.port, then it is read as thirdparty.zeus with a warning saying how to write it', () => {
    const warnings: string[] = [];
    const legacy = { zeus: { host: 'zeus.internal', port: 9200, timeout_ms: 700 } } as ConfigInput;

    const config = buildConfig(legacy, {}, (line) => warnings.push(line));

    expect(config.thirdparty.zeus).toMatchObject({ instances: ['zeus.internal:9200'], timeout_ms: 700 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("thirdparty.zeus.instances: ['host:port']");
  });

  it('when TANDEM_ZEUS_PORT of the former shape is set in prod, then it is read, not refused as unknown', () => {
    const warnings: string[] = [];
    const config = buildConfig(
      { env: 'prod', accept_risks: ['mysql_root', 'mysql_no_password', 'metrics_open', 'thrift_open'] },
      { TANDEM_ZEUS_PORT: '9300' },
      (line) => warnings.push(line),
    );

    expect(config.thirdparty.zeus.instances).toEqual(['127.0.0.1:9300']);
    expect(warnings.some((w) => w.includes('TANDEM_ZEUS_PORT') && w.includes('TANDEM_THIRDPARTY_ZEUS_INSTANCES'))).toBe(
      true,
    );
  });
});
