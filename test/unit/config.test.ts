import { configErrorLines as errorLines } from '../helpers/config-errors';
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig, configLeaves, type ConfigInput } from '../../src/core/config';
import exampleConfig from '../../config.example';

function valueAt(source: unknown, at: string[]): unknown {
  let node = source;
  for (const key of at) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

describe('buildConfig', () => {
  it('when nothing is configured, then HTTP is on 8000 and Thrift on 9090, both on 127.0.0.1', () => {
    const config = buildConfig(undefined, {});

    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8000 });
    expect(config.thrift).toMatchObject({ host: '127.0.0.1', port: 9090 });
    expect(config.server.workers).toBe(1);
    expect(config.statsd.prefix).toBe('tandem.');
  });

  it('when built, then the result is frozen all the way down', () => {
    const config = buildConfig(undefined, {});

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(Object.isFrozen(config.mysql.replicas)).toBe(true);
  });

  it('when TANDEM_* variables are set, then they win over the file and are coerced to the key type', () => {
    const env = {
      TANDEM_HTTP_PORT: '8081',
      TANDEM_LOG_ACCESS: 'false',
      TANDEM_STATSD_ENABLED: 'yes',
      TANDEM_MYSQL_REPLICAS: '10.0.0.2:3306, 10.0.0.3:3306',
      TANDEM_SERVICE_NAME: 'tandem-canary',
    };

    const config = buildConfig({ http: { port: 9000 }, log: { access: true } }, env);

    expect(config.http.port).toBe(8081);
    expect(config.log.access).toBe(false);
    expect(config.statsd.enabled).toBe(true);
    expect(config.mysql.replicas).toEqual(['10.0.0.2:3306', '10.0.0.3:3306']);
    expect(config.service_name).toBe('tandem-canary');
  });

  it('when a TANDEM_ variable is misspelled in dev, then it is not applied and one warning names the nearest key', () => {
    const warnings: string[] = [];

    const config = buildConfig(undefined, { TANDEM_HTTP_PROT: '1', HTTP_PORT: '1' }, (line) => warnings.push(line));

    expect(config.http.port).toBe(8000);
    expect(warnings).toEqual([
      'Environment variable TANDEM_HTTP_PROT is not a configuration key; did you mean TANDEM_HTTP_PORT (http.port)?',
    ]);
  });

  it('when a TANDEM_ variable is misspelled and env is prod, then the start is refused with the same sentence', () => {
    const lines = errorLines({ env: 'prod' }, { TANDEM_MYSQL_HSOT: 'db1' });

    expect(lines).toEqual([
      'Environment variable TANDEM_MYSQL_HSOT is not a configuration key; did you mean TANDEM_MYSQL_HOST (mysql.host)?',
      'Unknown TANDEM_* variables are refused when env is prod.',
    ]);
  });

  it('when the configuration is invalid too, then the misspelled variable is reported with the bad keys', () => {
    const lines = errorLines(undefined, { TANDEM_HTTP_PORT: 'abc', TANDEM_THRIFT_PROT: '9091' });

    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('did you mean TANDEM_THRIFT_PORT (thrift.port)?');
  });

  it('when a TANDEM_ variable is nothing like a key, then the warning points at config.example.ts instead of guessing', () => {
    const warnings: string[] = [];

    buildConfig(undefined, { TANDEM_COLOUR_SCHEME: 'dark' }, (line) => warnings.push(line));

    expect(warnings).toEqual([
      "Environment variable TANDEM_COLOUR_SCHEME is not a configuration key; each key's variable is listed in config.example.ts.",
    ]);
  });

  it('when TANDEM_ variables read outside the schema are set, then no warning is given', () => {
    const warnings: string[] = [];

    buildConfig(
      undefined,
      { TANDEM_CONFIG_FILE: 'x.ts', TANDEM_CACHE_DIR: '/tmp', TANDEM_TEST_ANYTHING: '1', TANDEM_HTTP_PORT: '1' },
      (line) => warnings.push(line),
    );

    expect(warnings).toEqual([]);
  });

  it('when several keys are bad, then each is reported on its own line naming the key and its variable', () => {
    const env = { TANDEM_HTTP_PORT: 'abc', TANDEM_SERVER_WORKERS: '0' };

    const lines = errorLines({ log: { level: 'loud' as 'info' }, thrift: { max_frame_bytes: 10 } }, env);

    expect(lines).toHaveLength(4);
    const lineFor = (key: string): string => {
      const found = lines.filter((l) => l.startsWith(`Configuration key ${key} `));
      expect(found).toHaveLength(1);
      return found[0] as string;
    };
    expect(lineFor('http.port')).toContain('environment variable TANDEM_HTTP_PORT');
    expect(lineFor('http.port')).toContain('"abc"');
    expect(lineFor('server.workers')).toContain('environment variable TANDEM_SERVER_WORKERS');
    expect(lineFor('log.level')).toContain('config.ts (or TANDEM_LOG_LEVEL)');
    expect(lineFor('thrift.max_frame_bytes')).toContain('(or TANDEM_THRIFT_MAX_FRAME_BYTES)');
    for (const line of lines) expect(line).not.toContain('\n');
  });

  it('when thrift.allowed_networks holds a malformed network, then the key and its variable are reported', () => {
    const lines = errorLines(undefined, { TANDEM_THRIFT_ALLOWED_NETWORKS: '10.0.0.0/8,10.0.0.0/40,not-an-ip' });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Configuration key thrift.allowed_networks from environment variable');
    expect(lines[0]).toContain('CIDR');
    expect(
      buildConfig(undefined, { TANDEM_THRIFT_ALLOWED_NETWORKS: '10.0.0.0/8, ::1/128, 127.0.0.1' }).thrift
        .allowed_networks,
    ).toEqual(['10.0.0.0/8', '::1/128', '127.0.0.1']);
  });

  it('when any list of networks (trusted proxies, metrics or Thrift allow-list) holds a malformed one, then its line says CIDR', () => {
    const env = {
      TANDEM_HTTP_TRUST_PROXY: '10.0.0.0/8,10.0.0.0/40',
      TANDEM_METRICS_ALLOWED_NETWORKS: 'not-an-ip',
      TANDEM_THRIFT_ALLOWED_NETWORKS: '10.0.0.0/40',
    };

    const lines = errorLines(undefined, env);

    expect(lines).toHaveLength(3);
    for (const key of ['http.trust_proxy', 'metrics.allowed_networks', 'thrift.allowed_networks']) {
      const line = lines.find((l) => l.includes(`Configuration key ${key} `));
      expect(line).toContain('each entry must be an IP network in CIDR form');
    }
  });

  it('when a key is unknown, then the line names it and points at config.example.ts', () => {
    const file = { http: { prot: 8000 }, colour: 'blue' } as unknown as ConfigInput;

    const lines = errorLines(file, {});

    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.includes('http.prot') && l.includes('not a known key'))).toBe(true);
    expect(lines.some((l) => l.includes('colour') && l.includes('config.example.ts'))).toBe(true);
  });
});

describe('configLeaves', () => {
  it('when walked, then every key has an env variable derived from its path and a line of doc', () => {
    const leaves = configLeaves();

    expect(leaves.length).toBeGreaterThan(20);
    for (const leaf of leaves) {
      expect(leaf.env).toBe(`TANDEM_${leaf.path.join('_').toUpperCase()}`);
      expect(leaf.doc).not.toBe('');
    }
    expect(leaves.find((l) => l.env === 'TANDEM_HTTP_PORT')?.kind).toBe('number');
  });
});

describe('config.example.ts', () => {
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'config.example.ts'), 'utf8');

  it('when compared with the schema, then it sets every key and is itself valid', () => {
    const missing = configLeaves()
      .filter((leaf) => valueAt(exampleConfig, leaf.path) === undefined)
      .map((leaf) => leaf.path.join('.'));

    expect(missing).toEqual([]);
    expect(() => buildConfig(exampleConfig, {})).not.toThrow();
  });

  it('when read, then every key of the schema is written in it under a doc comment', () => {
    const undocumented = configLeaves()
      .map((leaf) => leaf.path[leaf.path.length - 1] as string)
      .filter((key) => !new RegExp(`\\*/\\s*\\n\\s*${key}\\s*[:,]`).test(source));

    expect(undocumented).toEqual([]);
  });
});
