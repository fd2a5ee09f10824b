import { spawn } from 'node:child_process';
import path from 'node:path';
import { assertOwnDatabase } from './own-database';
import { ROOT } from './process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command from the project root to its end (killed after `ms`, which
 * fails the test rather than hanging it), with the process-test config file
 * and `env` on top of this process's environment.
 */
export function runCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  ms = 60000,
): Promise<CommandResult> {
  assertOwnDatabase(env.TANDEM_MYSQL_DATABASE, `running ${command}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, TANDEM_CONFIG_FILE: path.join(ROOT, 'test/fixtures/config/process.config.ts'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: on timeout the whole group is killed, not only npm (whose script would live on).
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone (ESRCH): nothing is left to stop.
      }
      reject(
        new Error(`${command} ${args.join(' ')} did not end within ${ms} ms (stdout: ${stdout}; stderr: ${stderr})`),
      );
    }, ms);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close' rather than 'exit': it comes once the output pipes are drained too.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
