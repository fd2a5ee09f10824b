import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildConfig, ConfigError, loadTsConfigFile, type ConfigInput } from '../../src/core/config';

/** The ConfigError lines that buildConfig reports for this input, or [] when it accepts it. */
function refusals(file: ConfigInput, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    buildConfig(file, env, () => undefined);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
}

/** The file `make config ENV=prod` writes: config.example.ts with the Makefile's sed line applied. */
function prodFile(): ConfigInput {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-prod-config-'));
  const source = fs
    .readFileSync(path.join(__dirname, '..', '..', 'config.example.ts'), 'utf8')
    .replace(/^const env = '[a-z]+' as Env;/m, "const env = 'prod' as Env;");
  fs.writeFileSync(path.join(dir, 'config.ts'), source);
  try {
    return loadTsConfigFile(path.join(dir, 'config.ts'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What a prod host would fill in for the CHANGE ME values. */
const FILLED: NodeJS.ProcessEnv = {
  TANDEM_MYSQL_PASSWORD: 'a long secret',
  TANDEM_METRICS_ALLOWED_NETWORKS: '10.1.0.0/16',
  TANDEM_THRIFT_ALLOWED_NETWORKS: '10.2.0.0/16',
};

/** A prod configuration with each known-unsafe value of the issue: the dev file with env prod. */
const UNSAFE: ConfigInput = { env: 'prod', mysql: { user: 'root', password: '' } };

describe('the file make config ENV=prod writes', () => {
  it('when read as written, then it listens on every interface, has /docs off, /metrics on its own port, and no root', () => {
    const file = prodFile();

    expect(file.http).toMatchObject({ host: '0.0.0.0', docs: false });
    expect(file.thrift).toMatchObject({ host: '0.0.0.0' });
    expect(file.metrics).toMatchObject({ port: 9464 });
    expect(file.mysql).toMatchObject({ user: 'tandem' });
  });

  it('when its CHANGE ME values are left, then a start is refused with one line naming each key', () => {
    const lines = refusals(prodFile());

    expect(lines).toEqual(
      ['metrics.allowed_networks', 'thrift.allowed_networks', 'thrift.callers', 'mysql.password'].map(
        (key) =>
          `Configuration key ${key} still holds the 'CHANGE ME' marker that make config ENV=prod writes; set it for this deployment.`,
      ),
    );
  });

  it('when the deployment fills them in (callers left out), then the configuration starts', () => {
    const file = prodFile();
    const config = buildConfig({ ...file, thrift: { ...file.thrift, callers: null } }, FILLED, () => undefined);

    expect(config.mysql.password).toBe('a long secret');
    expect(config.thrift.allowed_networks).toEqual(['10.2.0.0/16']);
  });
});

describe('a prod start with known-unsafe values', () => {
  it('when MySQL is root with no password, /metrics is on the public port and Thrift is open, then each is refused by key', () => {
    const lines = refusals(UNSAFE);

    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^Configuration key mysql\.user is root: .*names 'mysql_root'\.$/);
    expect(lines[1]).toMatch(/^Configuration key mysql\.password is empty: .*names 'mysql_no_password'\.$/);
    expect(lines[2]).toMatch(
      /^Configuration keys metrics\.port and metrics\.allowed_networks .*names 'metrics_open'\.$/,
    );
    expect(lines[3]).toMatch(/^Configuration keys thrift\.callers, thrift\.allowed_networks .*names 'thrift_open'\.$/);
  });

  it('when accept_risks names two of them, then only the other two are refused', () => {
    const lines = refusals({ ...UNSAFE, accept_risks: ['metrics_open', 'thrift_open'] });

    expect(lines.map((l) => /names '(\w+)'/.exec(l)?.[1])).toEqual(['mysql_root', 'mysql_no_password']);
  });

  it('when TANDEM_ACCEPT_RISKS names all four, then it starts', () => {
    expect(refusals(UNSAFE, { TANDEM_ACCEPT_RISKS: 'mysql_root,mysql_no_password,metrics_open,thrift_open' })).toEqual(
      [],
    );
  });

  it('when a risk is misspelled, then the key is named as invalid rather than silently ignored', () => {
    const lines = refusals({ ...UNSAFE, accept_risks: ['thrift_opn' as never] });

    expect(lines.some((l) => l.startsWith('Configuration key accept_risks[0] from config.ts'))).toBe(true);
  });

  it('when the same values are in dev or test, then nothing is refused', () => {
    expect(refusals({ ...UNSAFE, env: 'dev' })).toEqual([]);
    expect(refusals({ ...UNSAFE, env: 'test' })).toEqual([]);
  });
});
