import { logger } from '../../src/core/log';

// Test files log at warn until an app they start configures the logger from its own config:
// migrations and helpers would otherwise fill the test output with info lines.
logger.level = 'warn';

/**
 * A passing run prints the test summary and what tests report on purpose
 * (their figures), not the JSON lines of the apps they start: a warning a
 * test provokes on purpose reads like a failure. Tests that look at log
 * lines capture them (test/helpers/log-capture.ts) or read a child's stdout,
 * which this does not touch. TANDEM_TEST_SHOW_LOGS=1 lets them through.
 */
function isLogLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(line) as { level?: unknown; message?: unknown };
    return typeof parsed.level === 'string' && typeof parsed.message === 'string';
  } catch {
    return false;
  }
}

if (process.env.TANDEM_TEST_SHOW_LOGS !== '1') {
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  // The signature of process.stdout.write is overloaded; the replacement takes its arguments as they come.
  process.stdout.write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    const lines = text?.split('\n').filter((l) => l.trim() !== '');
    if (lines && lines.length > 0 && lines.every(isLogLine)) {
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }
    return write(chunk, ...rest);
  };
}
