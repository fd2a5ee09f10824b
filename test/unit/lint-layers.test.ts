import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/process';

/**
 * The layer rules of eslint.config.mjs, run as `make lint` runs them: files
 * that make a forbidden import are linted through ESLint's Node API (in a
 * child process: the config is an ES module, which jest's module system does
 * not load) and must fail with the rule naming the import. The files are
 * given as text with a path inside the tree, so nothing is written there;
 * type-aware rules are off for them (they are not in the TypeScript project).
 */

interface Finding {
  ruleId: string | null;
  message: string;
}

const LINT = `
const { ESLint } = require('eslint');
const tseslint = require('typescript-eslint');
(async () => {
  const eslint = new ESLint({ overrideConfig: [tseslint.configs.disableTypeChecked] });
  const out = {};
  for (const [filePath, code] of JSON.parse(process.env.LINT_CASES)) {
    const [result] = await eslint.lintText(code, { filePath });
    out[filePath] = result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

function lint(cases: Record<string, string>): Record<string, Finding[]> {
  const run = spawnSync(process.execPath, ['-e', LINT], {
    cwd: ROOT,
    env: { ...process.env, LINT_CASES: JSON.stringify(Object.entries(cases)) },
    encoding: 'utf8',
    timeout: 110_000,
  });
  if (run.status !== 0) throw new Error(`eslint did not run: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, Finding[]>;
}

const layerErrors = (findings: Finding[] | undefined): string[] =>
  (findings ?? []).filter((f) => f.ruleId === 'boundaries/dependencies').map((f) => f.message);

const FORBIDDEN: Record<string, string> = {
  'src/api/cs/lint-probe.ts':
    "import { createdRange } from '../../service/cs/inner/cs-event-inner';\nexport const x = createdRange;\n",
  'src/core/lint-probe.ts': "import { buildDomains } from '../domains';\nexport const x = buildDomains;\n",
  'scheduler/jobs/lint-probe.ts':
    "import { MongoFlaggedStore } from '../../src/service/risk/inner/mongo-flagged-store';\nexport const x = MongoFlaggedStore;\n",
  'thirdparty/zeus/lint-probe.ts':
    "import { createCsDomain } from '../../src/service/cs';\nexport const x = createCsDomain;\n",
  'scripts/lint-probe.ts':
    "import { createdRange } from '../src/service/cs/inner/cs-event-inner';\nexport const x = createdRange;\n",
};

const ALLOWED: Record<string, string> = {
  'src/api/cs/lint-probe-ok.ts':
    "import { createCsDomain } from '../../service/cs';\nexport const x = createCsDomain;\n",
  'scheduler/jobs/lint-probe-ok.ts':
    "import { createCsDomain } from '../../src/service/cs';\nexport const x = createCsDomain;\n",
  'src/service/cs/inner/lint-probe-ok.ts': "import type { CsEvent } from '../cs-types';\nexport type X = CsEvent;\n",
};

/** Imports past a core library's face (its index.ts), from another library or from outside core. */
const DEEP: Record<string, string> = {
  'src/service/cs/lint-probe-deep.ts':
    "import { configSchema } from '../../core/config/schema';\nexport const x = configSchema;\n",
  'src/core/rpc/lint-probe-deep.ts': "import { parseCidr } from '../config/cidr';\nexport const x = parseCidr;\n",
  'thirdparty/zeus/lint-probe-deep.ts':
    "import { i64ToDecimal } from '../../src/core/rpc/int64';\nexport const x = i64ToDecimal;\n",
  'src/lint-probe-deep.ts': "import { Admission } from './core/pipeline/admission';\nexport const x = Admission;\n",
};

/** Through the face, or inside the library itself. */
const FACED: Record<string, string> = {
  'src/service/cs/lint-probe-face.ts':
    "import { buildConfig } from '../../core/config';\nexport const x = buildConfig;\n",
  'src/core/config/lint-probe-face.ts': "import { parseCidr } from './cidr';\nexport const x = parseCidr;\n",
  'thirdparty/zeus/lint-probe-face.ts':
    "import { i64ToDecimal } from '../../src/core/rpc';\nexport const x = i64ToDecimal;\n",
};

const faceErrors = (findings: Finding[] | undefined): string[] =>
  (findings ?? []).filter((f) => f.ruleId === 'no-restricted-imports').map((f) => f.message);

let findings: Record<string, Finding[]>;

beforeAll(() => {
  findings = lint({ ...FORBIDDEN, ...ALLOWED, ...DEEP, ...FACED });
}, 120_000);

it.each(Object.keys(FORBIDDEN))('when %s makes an import its layer forbids, then lint fails naming it', (file) => {
  const errors = layerErrors(findings[file]);

  expect(errors).toHaveLength(1);
  const source = /from '([^']+)'/.exec(FORBIDDEN[file] as string)?.[1] as string;
  expect(errors[0]).toContain(`${source} is off limits in`);
});

it.each(Object.keys(ALLOWED))('when %s imports the way the layers point, then lint passes it', (file) => {
  expect(findings[file]).toBeDefined();
  expect(layerErrors(findings[file])).toEqual([]);
});

it.each(Object.keys(DEEP))(
  "when %s imports past a core library's face, then lint fails pointing at the face",
  (file) => {
    const errors = faceErrors(findings[file]);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('imported through its face (its index.ts)');
  },
);

it.each(Object.keys(FACED))(
  'when %s imports a core library through its face or from inside it, then lint passes it',
  (file) => {
    expect(findings[file]).toBeDefined();
    expect(faceErrors(findings[file])).toEqual([]);
  },
);
