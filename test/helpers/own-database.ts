/**
 * What keeps the test suite to data of its own: the caller's TANDEM_*
 * variables never reach a test, and every database a test configures is one
 * the suite owns (`tandem_test`, or `tandem_t_...` that a test file creates
 * and drops), never a developer's `tandem`.
 */

/** The databases the suite may use: its shared one and those test files create for themselves. */
export const OWN_DATABASE = /^tandem_(test|t_\w+)$/;

/** Removes the TANDEM_* variables that are configuration (the fixtures' TANDEM_TEST_* stay); returns their names. */
export function ownEnvironment(env: NodeJS.ProcessEnv): string[] {
  const removed = Object.keys(env).filter(
    (name) => name.startsWith('TANDEM_') && !name.startsWith('TANDEM_TEST_') && name !== 'TANDEM_CACHE_DIR',
  );
  for (const name of removed) delete env[name];
  return removed;
}

/** Throws unless `database` is one of the suite's own. */
export function assertOwnDatabase(database: string | undefined, where: string): void {
  if (database === undefined || OWN_DATABASE.test(database)) return;
  throw new Error(
    `A test asked for the database ${database} (${where}); tests only use databases of their own, tandem_test or tandem_t_..., so that they can never write into a developer's data.`,
  );
}
