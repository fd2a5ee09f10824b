// ESLint for tandem: typescript-eslint's type-checked rules, the one-way layer
// imports of STYLE.md ("Shape"), and eslint-config-prettier last so that
// formatting is Prettier's business only.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS = '**/*.{ts,mts,cts}';

/** Deepest folder nesting under a layer that the import rules cover. */
const MAX_DEPTH = 6;

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `../` repeated `n` times, as a regex. */
const up = (n) => '(\\.\\./)'.repeat(n);

/**
 * A regex for a relative import that reaches `target` (a folder from the
 * project root) from a file whose folder is `depth` levels below `base`.
 * Imports are relative (tsconfig has no path aliases), so the spelling of a
 * forbidden import depends on how deep the importing file sits: the config
 * below is generated per depth.
 */
function reaches(base, depth, target) {
  const baseParts = base.split('/');
  const targetParts = target.split('/');
  let common = 0;
  while (common < baseParts.length && baseParts[common] === targetParts[common]) common += 1;
  const ups = depth + baseParts.length - common;
  const rest = targetParts.slice(common).join('/');
  return `^${up(ups)}${escape(rest)}(/|$)`;
}

/** A folder of the project, described in messages. */
const FOLDERS = {
  'src/api': 'src/api (HTTP adapters)',
  'src/thrift': 'src/thrift (Thrift adapters)',
  'src/service': 'src/service (business logic)',
  'src/model': 'src/model (models)',
  scheduler: 'scheduler/ (timed jobs)',
};

function folder(base, depth, target, why) {
  return { regex: reaches(base, depth, target), message: `${FOLDERS[target]} is off limits here: ${why}` };
}

function pkg(name, why) {
  return { regex: `^${escape(name)}(/|$)`, message: `The package ${name} is off limits here: ${why}` };
}

/** Imports an inner (data access) file must not make: the service layer above it, in any domain. */
function serviceAbove(depth) {
  const why = 'inner is data access only and must not call back into the service layer (STYLE.md, Shape).';
  const domain = up(depth + 1); // from src/service/<domain>/inner/<depth folders> to src/service/<domain>/
  return [
    // src/service/<domain>/<file or folder other than inner>, and the domain's index ('..').
    // The domain's *-types files are allowed: they declare data shapes and hold no behaviour.
    {
      regex: `^${domain}(?!inner(/|$)|\\.\\.(/|$)|[\\w-]+-types$)`,
      message: `A service file is off limits here: ${why}`,
    },
    { regex: `^${up(depth)}\\.\\.$`, message: `A service file is off limits here: ${why}` },
    // Another domain's service files (its inner is fine), src/service's own files and index.
    {
      regex: `^${domain}\\.\\./(?!\\.\\.(/|$))[^/]+(/(?!inner(/|$))|$)`,
      message: `A service file is off limits here: ${why}`,
    },
    { regex: `^${domain}\\.\\.$`, message: `A service file is off limits here: ${why}` },
  ];
}

/**
 * The layer rules, per folder. Dependencies point one way:
 * api, thrift, scheduler jobs -> service -> inner -> model, core.
 */
const LAYERS = [
  {
    base: 'src/core',
    patterns: (d) => {
      const why = 'core holds no business and is imported by the layers, never the other way round.';
      return [
        folder('src/core', d, 'src/service', why),
        folder('src/core', d, 'src/api', why),
        folder('src/core', d, 'src/thrift', why),
        folder('src/core', d, 'src/model', why),
        folder('src/core', d, 'scheduler', why),
      ];
    },
  },
  {
    base: 'src/model',
    patterns: (d) => {
      const why = 'models sit below the service layer and its adapters.';
      return [
        folder('src/model', d, 'src/service', why),
        folder('src/model', d, 'src/api', why),
        folder('src/model', d, 'src/thrift', why),
      ];
    },
  },
  ...['src/api', 'src/thrift'].map((base) => ({
    base,
    patterns: (d) => {
      const why = 'handlers decode input, call a service and encode its result; they never issue a query.';
      return [
        {
          // src/service/<domain>/inner, whatever the depth of the importing file.
          regex: `^${up(d + 1)}service/[^/]+/inner(/|$)`,
          message: `src/service/*/inner is off limits here: ${why}`,
        },
        folder(base, d, 'src/model', why),
        pkg('sequelize', why),
      ];
    },
  })),
];

function serviceRules(d) {
  const why = 'a service never sees an Express request, a Thrift struct or a queue (STYLE.md, Shape).';
  return [
    folder('src/service', d, 'src/api', why),
    folder('src/service', d, 'src/thrift', why),
    pkg('express', why),
    pkg('thrift', why),
    pkg('bull', why),
  ];
}

function restrict(files, patterns) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

/** One config object per layer and depth: `src/core/*.ts`, `src/core/*\/*.ts`, ... */
function layerImportRules() {
  const configs = [];
  for (const layer of LAYERS) {
    for (let d = 0; d <= MAX_DEPTH; d += 1) {
      configs.push(restrict([`${layer.base}/${'*/'.repeat(d)}*.{ts,mts,cts}`], layer.patterns(d)));
    }
  }
  for (let d = 0; d <= MAX_DEPTH; d += 1) {
    configs.push(restrict([`src/service/${'*/'.repeat(d)}*.{ts,mts,cts}`], serviceRules(d)));
  }
  // Later objects win for the same rule, so the inner objects carry the service rules too.
  for (let d = 0; d + 2 <= MAX_DEPTH; d += 1) {
    configs.push(
      restrict([`src/service/*/inner/${'*/'.repeat(d)}*.{ts,mts,cts}`], [...serviceRules(d + 2), ...serviceAbove(d)]),
    );
  }
  return configs;
}

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'thrift/gen-nodejs/', 'test/fixtures/**/gen-nodejs/', 'tmp/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: [TS],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Plain JavaScript (this file, jest.config.js) is not in the TypeScript project.
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        module: 'writable',
        require: 'readonly',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  ...layerImportRules(),
  prettier,
);
