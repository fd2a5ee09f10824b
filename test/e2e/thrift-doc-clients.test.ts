import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningApp } from '../../src/core/app/app';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { ROOT } from '../helpers/process';

/**
 * The Python, Java and Node.js clients of docs/thrift.md, as a sibling team would run
 * them: code generated from thrift/tandem.thrift by the Thrift compiler, the
 * example taken from the page as written (only the port is changed, to this
 * test's server), run against the app over a real socket, twice (the request
 * key must return the same event).
 *
 * They need the Thrift compiler and a language runtime with the Thrift
 * library (Debian: thrift-compiler, python3-thrift; libthrift-java,
 * libslf4j-java and a JDK). Where one is missing, that client's test says
 * so on stderr and is skipped.
 */

const DOC = fs.readFileSync(path.join(ROOT, 'docs/thrift.md'), 'utf8');
const RUN_MS = 60_000;

/** The first fenced block of `lang` after the heading `heading`. */
function example(heading: string, lang: string): string {
  const at = DOC.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`docs/thrift.md has no section "${heading}"`);
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(DOC.slice(at));
  if (!block) throw new Error(`docs/thrift.md's "${heading}" has no ${lang} block`);
  return block[1] as string;
}

function run(command: string, args: string[], cwd: string): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: RUN_MS });
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

/** Runs a client while this process's event loop keeps serving it (spawnSync would block the app under test). */
function runClient(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, encoding: 'utf8', timeout: RUN_MS }, (err, stdout, stderr) => {
      resolve({ ok: err === null, stdout, stderr: stderr || (err ? err.message : '') });
    });
  });
}

// Outside the repository: its thrift/ folder would pass for Python's `thrift` package.
const has = (command: string, args: string[]): boolean => run(command, args, os.tmpdir()).ok;

/** A Python 3 that has the Thrift library: the first on PATH, else Debian's own (python3-thrift installs there). */
const python = ['python3', '/usr/bin/python3'].find((p) => has(p, ['-c', 'import thrift']));
const thriftCompiler = has('thrift', ['--version']);
const JAVA_CLASSPATH = ['/usr/share/java/thrift.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-nop.jar'];
const java = has('javac', ['-version']) && JAVA_CLASSPATH.every((jar) => fs.existsSync(jar));

function skipReason(needs: Record<string, boolean>): string | undefined {
  const missing = Object.entries(needs)
    .filter(([, ok]) => !ok)
    .map(([what]) => what);
  return missing.length ? `missing ${missing.join(', ')}` : undefined;
}

const pythonSkip = skipReason({ 'the thrift compiler': thriftCompiler, 'python3 with the thrift library': !!python });
const nodeSkip = skipReason({ 'the thrift compiler': thriftCompiler });
const javaSkip = skipReason({
  'the thrift compiler': thriftCompiler,
  'a JDK and /usr/share/java/{thrift,slf4j-api,slf4j-nop}.jar': java,
});
for (const [name, reason] of [
  ['Python', pythonSkip],
  ['Java', javaSkip],
  ['Node.js', nodeSkip],
] as const) {
  if (reason) process.stderr.write(`thrift-doc-clients: SKIPPING the ${name} client of docs/thrift.md: ${reason}.\n`);
}

let app: RunningApp | undefined;
let drop: (() => Promise<void>) | undefined;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-doc-clients-'));
  if (pythonSkip && javaSkip && nodeSkip) return;
  const db = await freshDatabase();
  drop = db.drop;
  app = await startTestApp({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
});

afterAll(async () => {
  await app?.stop();
  await drop?.();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The example with the documented port (9090) replaced by this test's. */
function onTestPort(code: string): string {
  if (!app) throw new Error('the app did not start');
  expect(code).toContain('9090');
  return code.replaceAll('9090', String(app.thrift.port));
}

function generate(lang: 'py' | 'java' | 'js:node,es6'): void {
  const out = run('thrift', ['--gen', lang, '-o', work, path.join(ROOT, 'thrift/tandem.thrift')], ROOT);
  expect({ generated: out.ok, stderr: out.stderr }).toEqual({ generated: true, stderr: out.stderr });
}

(pythonSkip ? it.skip : it)(
  'when the Python example of docs/thrift.md runs twice, then pong, the same event both times, and the 1100 answer',
  async () => {
    generate('py');
    fs.writeFileSync(path.join(work, 'tandem_client.py'), onTestPort(example('A Python client', 'python')));

    const runs = [
      await runClient(python as string, ['tandem_client.py'], work),
      await runClient(python as string, ['tandem_client.py'], work),
    ];

    for (const r of runs) expect({ ok: r.ok, stderr: r.stderr }).toEqual({ ok: true, stderr: '' });
    const lines = runs.map((r) => r.stdout.trimEnd().split('\n'));
    for (const out of lines) {
      expect(out).toHaveLength(3);
      expect(out[0]).toBe('pong');
      expect(out[1]).toMatch(/^\d+ PENDING 9007199254741010$/);
      expect(out[2]).toBe('1100 Customer-service event 999999999 was not found.');
    }
    expect(lines[1]?.[1]).toBe(lines[0]?.[1]);
  },
  RUN_MS,
);

(javaSkip ? it.skip : it)(
  'when the Java example of docs/thrift.md runs twice, then pong, the same event with the unsigned order id, and the 1100 answer',
  async () => {
    generate('java');
    const source = path.join(work, 'TandemClient.java');
    fs.writeFileSync(source, onTestPort(example('A Java client', 'java')));
    const classes = path.join(work, 'classes');
    const classpath = JAVA_CLASSPATH.join(path.delimiter);
    const generated = fs
      .readdirSync(path.join(work, 'gen-java/tandem'))
      .map((f) => path.join(work, 'gen-java/tandem', f));

    const compiled = run('javac', ['-d', classes, '-cp', classpath, ...generated, source], work);
    expect({ compiled: compiled.ok, stderr: compiled.stderr }).toEqual({ compiled: true, stderr: compiled.stderr });
    const javaArgs = ['-cp', `${classes}${path.delimiter}${classpath}`, 'TandemClient'];
    const runs = [await runClient('java', javaArgs, work), await runClient('java', javaArgs, work)];

    for (const r of runs) expect({ ok: r.ok, stderr: r.stderr }).toEqual({ ok: true, stderr: '' });
    const lines = runs.map((r) => r.stdout.trimEnd().split('\n'));
    for (const out of lines) {
      expect(out).toHaveLength(3);
      expect(out[0]).toBe('pong');
      expect(out[1]).toMatch(/^\d+ PENDING 18446744073709551615$/);
      expect(out[2]).toMatch(/^1100 Customer-service event 999999999 was not found\.$/);
    }
    expect(lines[1]?.[1]).toBe(lines[0]?.[1]);
  },
  RUN_MS,
);

(nodeSkip ? it.skip : it)(
  'when the Node.js example of docs/thrift.md runs twice, then pong, the same event with the exact order id, and the 1100 answer',
  async () => {
    generate('js:node,es6');
    fs.writeFileSync(path.join(work, 'tandem-client.js'), onTestPort(example('A Node.js client', 'js')));
    // `npm install thrift node-int64` of the page: the project's own copies, found through NODE_PATH.
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
    const runNode = (): Promise<{ ok: boolean; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, ['tandem-client.js'], { cwd: work, env, timeout: RUN_MS }, (err, stdout, stderr) =>
          resolve({ ok: err === null, stdout, stderr: stderr || (err ? err.message : '') }),
        );
      });

    const runs = [await runNode(), await runNode()];

    for (const r of runs) expect({ ok: r.ok, stderr: r.stderr }).toEqual({ ok: true, stderr: '' });
    const lines = runs.map((r) => r.stdout.trimEnd().split('\n'));
    for (const out of lines) {
      expect(out).toHaveLength(3);
      expect(out[0]).toBe('pong');
      expect(out[1]).toMatch(/^\d+ PENDING 9007199254741010$/);
      expect(out[2]).toBe('1100 Customer-service event 999999999 was not found.');
    }
    expect(lines[1]?.[1]).toBe(lines[0]?.[1]);
  },
  RUN_MS,
);
