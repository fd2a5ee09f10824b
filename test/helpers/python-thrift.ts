import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';

/** Debian's Python, with its python3-thrift (installed by deploy/local-services.sh on Debian as root). */
export const PYTHON = '/usr/bin/python3';
const CALL_CLIENT = path.join(__dirname, '..', 'fixtures', 'python', 'call_client.py');

/**
 * `it` when Python can import `modules` (e.g. 'thrift.protocol.THeaderProtocol'), else `it.skip`,
 * after printing why on stderr with the test file's name.
 */
export function itWithPythonThrift(testFile: string, modules: string): jest.It {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  let missing: string | undefined;
  if (probe.error) missing = `${PYTHON} cannot be run (${probe.error.message})`;
  else if (probe.status !== 0)
    missing = `${PYTHON} cannot import ${modules} (install python3-thrift: bash deploy/local-services.sh does on Debian as root)`;
  if (!missing) return it;
  process.stderr.write(`${testFile}: skipping the Python client tests: ${missing}.\n`);
  return it.skip;
}

/** One answer as test/fixtures/python/call_client.py prints it. */
export interface PythonAnswer {
  type: number;
  seqid: number;
  success?: string;
  exception?: { field: number; code: number; message: string };
  application_exception?: { type: number; message: string };
  /** THeader's reply headers (header transport only). */
  headers?: Record<string, string>;
}

/**
 * Runs call_client.py against `port` with a transport (header, framed, buffered), a protocol
 * (binary, compact), THeader headers, and its calls; resolves with its answers.
 */
export function runCallClient(
  port: number,
  transport: string,
  protocol: string,
  calls: string[],
  headers: Record<string, string> = {},
  ms = 30_000,
): Promise<PythonAnswer[]> {
  const args = [CALL_CLIENT, String(port), transport, protocol, ...calls];
  for (const [name, value] of Object.entries(headers)) args.push('--header', `${name}=${value}`);
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { timeout: ms }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the Python client failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as PythonAnswer[]);
    });
  });
}
