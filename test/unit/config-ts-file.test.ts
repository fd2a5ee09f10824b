import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildConfig } from '../../src/core/config';
import { loadTsConfigFile } from '../../src/core/config/ts-file';

describe('loadTsConfigFile (a host config.ts read by compiled code)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-config-ts-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('when the file has types, a type-only import and a default export, then its object is read as config', async () => {
    const file = path.join(dir, 'config.ts');
    await writeFile(
      file,
      [
        "import type { ConfigInput } from './src/core/config';",
        "type Env = 'dev' | 'test' | 'prod';",
        "const env = 'prod' as Env;",
        'const config: ConfigInput = {',
        '  env,',
        "  accept_risks: ['mysql_root', 'mysql_no_password', 'metrics_open', 'thrift_open'],",
        "  http: { host: '0.0.0.0', port: 8123 },",
        "  server: { workers: env === 'prod' ? 2 : 1, drain_delay_ms: 2500 },",
        '};',
        'export default config;',
      ].join('\n'),
    );
    const config = buildConfig(loadTsConfigFile(file), {});
    expect(config.env).toBe('prod');
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 8123 });
    expect(config.server).toMatchObject({ workers: 2, drain_delay_ms: 2500 });
  });

  it('when the file is not valid TypeScript, then loading it fails naming the file', async () => {
    const file = path.join(dir, 'broken.ts');
    await writeFile(file, 'const config = {;\nexport default config;\n');
    expect(() => loadTsConfigFile(file)).toThrow(/broken\.ts/);
  });
});
