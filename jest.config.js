/**
 * The suite chooses its own ports, databases and Redis prefixes: a developer's
 * exported TANDEM_* variables (the documented way to point tandem at a port or
 * a database) must not reach it, or a test would bind a taken port or write
 * into the named database. They are removed here, before the test workers
 * inherit the environment, and named once. TANDEM_TEST_* (the fixtures' own
 * switches) and TANDEM_CACHE_DIR (CI's download cache) are not configuration.
 */
const ignored = Object.keys(process.env)
  .filter((name) => name.startsWith('TANDEM_') && !name.startsWith('TANDEM_TEST_') && name !== 'TANDEM_CACHE_DIR')
  .sort();
for (const name of ignored) delete process.env[name];
if (ignored.length > 0 && !process.env.JEST_WORKER_ID) {
  process.stderr.write(
    `The test suite ignores the exported ${ignored.join(', ')}: each test chooses its own ports, database and Redis prefix.\n`,
  );
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The deploy test against two test hosts takes minutes: `make fleet` runs it, once per CI run.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/fleet/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // thrift 0.24 requires uuid 14, which ships ES modules only: plain Node 20
    // loads them through require(esm), jest's module system does not.
    '/node_modules/thrift/node_modules/uuid/.+\\.js$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } },
    ],
    // The OTLP exporter loads http/https with import(), which jest's module system refuses without
    // --experimental-vm-modules (plain Node loads them fine): compiled to require() for the tests.
    '/node_modules/@opentelemetry/otlp-exporter-base/.+\\.js$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(thrift/node_modules/)?uuid/|@opentelemetry/otlp-exporter-base/)'],
  // The suite's shared database (tandem_test) is migrated once before the files run.
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  setupFiles: ['<rootDir>/test/setup/own-environment.ts', '<rootDir>/test/setup/quiet-logger.ts'],
  // Every answer a test receives from a tandem server is checked against the OpenAPI document it serves.
  setupFilesAfterEnv: ['<rootDir>/test/setup/openapi-responses.ts'],
  testTimeout: 30000,
  // Files run in parallel workers; each owns its data (unique ids, own ports).
  maxWorkers: 2,
};
