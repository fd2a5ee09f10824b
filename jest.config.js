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
  },
  transformIgnorePatterns: ['/node_modules/(?!(thrift/node_modules/)?uuid/)'],
  setupFiles: ['<rootDir>/test/setup/quiet-logger.ts'],
  // Every answer a test receives from a tandem server is checked against the OpenAPI document it serves.
  setupFilesAfterEnv: ['<rootDir>/test/setup/openapi-responses.ts'],
  testTimeout: 30000,
  // Files run in parallel workers; each owns its data (unique ids, own ports).
  maxWorkers: 2,
};
