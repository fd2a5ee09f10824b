import { appendFileSync } from 'node:fs';
import { checkingFetch, counts } from '../helpers/openapi-fetch-check';

/**
 * Every test file's `fetch` checks each answer of a tandem server against
 * the OpenAPI document that server serves (test/helpers/openapi-check.ts).
 * With TANDEM_TEST_RESPONSE_CHECK_LOG set, each file appends its counts there.
 */
globalThis.fetch = checkingFetch(globalThis.fetch);

afterAll(() => {
  const log = process.env.TANDEM_TEST_RESPONSE_CHECK_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ file: expect.getState().testPath, ...counts })}\n`);
});
