import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as t from './domain/templates';

/**
 * `make domain NAME=notes`: writes a new domain across the layers (model and
 * migration, data access, service with its schemas and access, HTTP routes,
 * Thrift methods with their IDL and regenerated stubs, an error-code block,
 * tests over both doors, a CONTEXT.md) and wires it where the app lists its
 * domains. Refuses a malformed or existing name before writing anything; if
 * a step fails after writing began, every file is put back as it was.
 */

const ROOT = path.resolve(__dirname, '..');
const NAME_RULE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** Names the app already uses for something else (folders of every layer, core's words). */
const TAKEN = new Set(['core', 'api', 'thrift', 'model', 'service', 'exception', 'auth', 'app', 'system', 'test']);
const EXIT_USAGE = 64;

class Refusal extends Error {}

function read(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

/** Inserts `text` before the line holding `marker` in `source`; refuses when the marker is missing. */
function insertAbove(file: string, source: string, marker: string, text: string): string {
  const at = source.indexOf(`// make domain: ${marker}`);
  if (at < 0) {
    throw new Refusal(
      `${file} has lost its line "// make domain: ${marker}", which says where a new domain goes; put it back where the list ends and try again.`,
    );
  }
  const lineStart = source.lastIndexOf('\n', at) + 1;
  return source.slice(0, lineStart) + text + source.slice(lineStart);
}

/** The next block of UserError codes: past every code and every block the table names. */
function nextCodeBlock(table: string): number {
  const numbers = [...table.matchAll(/\b(1\d{3})\b/g)].map((m) => Number(m[1]));
  return (Math.floor(Math.max(1300, ...numbers) / 100) + 1) * 100;
}

function nextMigrationNumber(): number {
  const names = fs.readdirSync(path.join(ROOT, 'src/model/migrations'));
  const numbers = names.map((f) => /^(\d{4})-/.exec(f)?.[1]).filter((n): n is string => n !== undefined);
  return Math.max(0, ...numbers.map(Number)) + 1;
}

interface Plan {
  /** New files, by path from the root. */
  create: Map<string, string>;
  /** Existing files and their new content. */
  edit: Map<string, string>;
}

function plan(snake: string): Plan {
  if (!NAME_RULE.test(snake) || snake.length < 3 || snake.length > 30) {
    throw new Refusal(
      `"${snake}" is not a domain name: use 3 to 30 lower-case letters and digits, words joined by "_", starting with a letter (e.g. notes, order_notes).`,
    );
  }
  const table = read('src/exception/error_code.ts');
  const n = t.namesOf(snake, nextCodeBlock(table), nextMigrationNumber());
  if (TAKEN.has(snake)) throw new Refusal(`"${snake}" names a part of the app already; choose another name.`);
  for (const existing of [`src/service/${n.kebab}`, `src/api/${n.kebab}`, `src/thrift/${n.kebab}.ts`]) {
    if (fs.existsSync(path.join(ROOT, existing))) {
      throw new Refusal(`The domain ${snake} exists already (${existing}); choose another name.`);
    }
  }
  if (new RegExp(`\\b${n.upper}_`).test(table) || read('thrift/tandem.thrift').includes(`${n.pascal}Item`)) {
    throw new Refusal(`The error codes or the IDL already use the name ${snake}; choose another name.`);
  }

  const create = new Map<string, string>([
    [`src/model/migrations/${n.migration}.ts`, t.migration(n)],
    [`src/model/${n.kebab}.ts`, t.model(n)],
    [`src/service/${n.kebab}/inner/${n.kebab}-inner.ts`, t.inner(n)],
    [`src/service/${n.kebab}/${n.kebab}-schemas.ts`, t.schemas(n)],
    [`src/service/${n.kebab}/${n.kebab}-operations.ts`, t.operations(n)],
    [`src/service/${n.kebab}/${n.kebab}-service.ts`, t.service(n)],
    [`src/service/${n.kebab}/${n.kebab}-access.ts`, t.access(n)],
    [`src/service/${n.kebab}/index.ts`, t.domainIndex(n)],
    [`src/service/${n.kebab}/CONTEXT.md`, t.context(n)],
    [`src/api/${n.kebab}/${n.kebab}-routes.ts`, t.routes(n)],
    [`src/thrift/${n.kebab}.ts`, t.thriftAdapter(n)],
    [`test/integration/${n.kebab}.test.ts`, t.integrationTest(n)],
    [`test/e2e/${n.kebab}-doors.test.ts`, t.e2eTest(n)],
  ]);

  const edit = new Map<string, string>();
  const change = (file: string, steps: [marker: string, text: string][]): void => {
    let source = read(file);
    for (const [marker, text] of steps) source = insertAbove(file, source, marker, text);
    edit.set(file, source);
  };
  const m = `m${n.migration.slice(0, 4)}`;
  change('src/model/migrations/index.ts', [
    ["new migrations' imports go above this line.", `import * as ${m} from './${n.migration}';\n`],
    ['new migrations go above this line.', `  { name: '${n.migration}', ...${m} },\n`],
  ]);
  change('src/domains.ts', [
    [
      "new domains' imports go above this line.",
      `import { create${n.pascal}Domain, type ${n.pascal}Domain } from './service/${n.kebab}';\n` +
        `import { ${n.camel}Access } from './service/${n.kebab}/${n.kebab}-access';\n`,
    ],
    ['new access declarations go above this line.', `  ${n.camel}Access,\n`],
    ["new domains' fields go above this line.", `  ${n.camel}: ${n.pascal}Domain;\n`],
    ['new domains are built above this line.', `  const ${n.camel} = create${n.pascal}Domain(sequelize);\n`],
    ['new domains are returned above this line.', `    ${n.camel},\n`],
  ]);
  change('src/modules.ts', [
    [
      "new domains' route imports go above this line.",
      `import { ${n.camel}Routes } from './api/${n.kebab}/${n.kebab}-routes';\n`,
    ],
    ["new domains' routes go above this line.", `        ...${n.camel}Routes(d.${n.camel}),\n`],
  ]);
  change('src/thrift/tandem-handler.ts', [
    [
      "new domains' imports go above this line.",
      `import type { ${n.pascal}Domain } from '../service/${n.kebab}';\n` +
        `import type { Create${n.pascal}ItemRequest, ${n.pascal}Item } from '../../thrift/gen-nodejs/tandem_types';\n` +
        `import { ${n.camel}ThriftMethods } from './${n.kebab}';\n`,
    ],
    [
      'new methods go above this line.',
      `  create_${n.snake}_item(request: Create${n.pascal}ItemRequest): Promise<${n.pascal}Item> | ${n.pascal}Item;\n` +
        `  get_${n.snake}_item(id: Int64): Promise<${n.pascal}Item> | ${n.pascal}Item;\n`,
    ],
    ['new domains go above this line.', `  ${n.camel}: ${n.pascal}Domain;\n`],
    ["new domains' methods go above this line.", `    ...${n.camel}ThriftMethods(domains.${n.camel}),\n`],
  ]);
  change('src/exception/error_code.ts', [["new domains' blocks go above this line.", t.errorBlock(n)]]);
  change('thrift/tandem.thrift', [
    ['new structs go above this line.', t.idlStructs(n)],
    ['new methods go above this line.', t.idlMethods(n)],
  ]);
  return { create, edit };
}

/** Every file under `dir` (from the root) and its content, to put back if a step fails. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    const full = path.join(ROOT, rel);
    if (!fs.existsSync(full)) return;
    for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(ROOT, child)));
    }
  };
  walk(dir);
  return files;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    const said = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-5).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${String(result.status)}):\n${said}`);
  }
}

function apply(p: Plan): void {
  const generated = ['thrift/gen-nodejs', 'test/fixtures/thrift/gen-nodejs'];
  const before = new Map<string, Buffer>();
  for (const file of p.edit.keys()) before.set(file, fs.readFileSync(path.join(ROOT, file)));
  for (const dir of generated) for (const [file, content] of snapshot(dir)) before.set(file, content);
  const made: string[] = [];
  try {
    for (const [file, content] of p.create) {
      fs.mkdirSync(path.dirname(path.join(ROOT, file)), { recursive: true });
      fs.writeFileSync(path.join(ROOT, file), content, { flag: 'wx' });
      made.push(file);
    }
    for (const [file, content] of p.edit) fs.writeFileSync(path.join(ROOT, file), content);
    run('make', ['--no-print-directory', 'thrift']);
    const formatted = [...p.create.keys(), ...p.edit.keys()].filter((f) => !f.endsWith('.thrift'));
    run('npx', ['prettier', '--log-level', 'warn', '--write', ...formatted]);
  } catch (err) {
    for (const file of made.reverse()) fs.rmSync(path.join(ROOT, file), { force: true });
    for (const dir of generated) fs.rmSync(path.join(ROOT, dir), { recursive: true, force: true });
    for (const [file, content] of before) {
      fs.mkdirSync(path.dirname(path.join(ROOT, file)), { recursive: true });
      fs.writeFileSync(path.join(ROOT, file), content);
    }
    for (const file of made) {
      // Remove the folders the domain had made, now empty.
      let dir = path.dirname(path.join(ROOT, file));
      while (dir.startsWith(path.join(ROOT, 'src')) && fs.existsSync(dir) && fs.readdirSync(dir).length === 0) {
        fs.rmdirSync(dir);
        dir = path.dirname(dir);
      }
    }
    throw err;
  }
}

function main(): number {
  const snake = (process.argv[2] ?? '').trim();
  if (!snake || snake === '--help' || snake === '-h') {
    process.stdout.write(
      'Usage: make domain NAME=<name>, e.g. make domain NAME=order_notes\n' +
        'Writes a new domain (table, data access, service, HTTP routes, Thrift methods, codes, tests) and wires it.\n',
    );
    return snake ? 0 : EXIT_USAGE;
  }
  let p: Plan;
  try {
    p = plan(snake);
  } catch (err) {
    if (err instanceof Refusal) {
      process.stderr.write(`${err.message} Nothing was written.\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    apply(p);
  } catch (err) {
    process.stderr.write(
      `Writing the domain ${snake} failed, and every file was put back as it was: ${(err as Error).message}\n`,
    );
    return 1;
  }
  const lines = [
    `Wrote the domain ${snake}:`,
    ...[...p.create.keys()].map((f) => `  new     ${f}`),
    ...[...p.edit.keys()].map((f) => `  edited  ${f}`),
    '  regenerated thrift/gen-nodejs (make thrift)',
    '',
    'Next: make migrate (your development database), then make lint && make test.',
    `Then give it its business: the shapes in src/service/${snake.replace(/_/g, '-')}/*-schemas.ts, the rules in its service,`,
    'and say in its CONTEXT.md what it is for. The routes, codes and Thrift methods are listed in the OpenAPI',
    'document (/docs) and thrift/tandem.thrift; add its codes to the table in docs/http.md.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = main();
