// ESLint for tandem: typescript-eslint's type-checked rules, the one-way layer
// imports between folders (eslint-plugin-boundaries), and eslint-config-prettier
// last so that formatting is Prettier's business only.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import boundaries from 'eslint-plugin-boundaries';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS = '**/*.{ts,mts,cts}';

/**
 * The folders of the project, as eslint-plugin-boundaries sees them: each
 * file belongs to the first element whose folder holds it (`domain` is
 * captured for the service layers).
 */
const ELEMENTS = [
  { type: 'core', pattern: 'src/core' },
  { type: 'exception', pattern: 'src/exception' },
  { type: 'model', pattern: 'src/model' },
  { type: 'inner', pattern: 'src/service/*/inner', capture: ['domain'] },
  { type: 'service', pattern: 'src/service/*', capture: ['domain'] },
  { type: 'api', pattern: 'src/api' },
  { type: 'thrift', pattern: 'src/thrift' },
  { type: 'utils', pattern: 'src/utils' },
  { type: 'scheduler', pattern: 'scheduler' },
  { type: 'thirdparty', pattern: 'thirdparty' },
  { type: 'scripts', pattern: 'scripts' },
  { type: 'generated', pattern: 'thrift/gen-nodejs' },
].map((element) => ({ partialMatch: false, ...element }));

/** src/main.ts, worker.ts, domains.ts, modules.ts: where the layers are wired together. */
const FILES = [{ category: 'wiring', pattern: 'src/*.ts' }];

const anyOf = (...types) => [
  { to: { element: { types: { anyOf: types.filter((t) => t !== 'wiring') } } } },
  ...(types.includes('wiring') ? [{ to: { file: { categories: 'wiring' } } }] : []),
];

/**
 * The layer rules. Dependencies point one way: api, thrift, scheduler jobs
 * and scripts -> service -> inner -> model, core. Everything not listed here
 * is allowed.
 */
/** Names the import and the folder; each policy says why. */
const offLimits = '{{dependency.source}} is off limits in {{from.type}}: ';

const LAYER_POLICIES = [
  {
    from: { element: { type: 'core' } },
    disallow: anyOf('service', 'inner', 'api', 'thrift', 'model', 'wiring', 'scheduler', 'thirdparty', 'scripts'),
    message: offLimits + 'core holds no business and is imported by the layers, never the other way round.',
  },
  {
    from: { element: { type: 'model' } },
    disallow: anyOf('service', 'inner', 'api', 'thrift', 'wiring', 'scheduler', 'thirdparty', 'scripts'),
    message: offLimits + 'models sit below the service layer and its adapters.',
  },
  {
    from: { element: { types: { anyOf: ['api', 'thrift'] } } },
    disallow: anyOf('inner', 'model', 'scheduler', 'scripts'),
    message: offLimits + 'handlers decode input, call a service and encode its result; they never issue a query.',
  },
  {
    from: { element: { type: 'service' } },
    disallow: anyOf('api', 'thrift', 'wiring', 'scheduler', 'scripts'),
    message: offLimits + 'a service never sees an Express request, a Thrift struct or a queue.',
  },
  {
    from: { element: { type: 'inner' } },
    disallow: anyOf('service', 'api', 'thrift', 'wiring', 'scheduler', 'thirdparty', 'scripts'),
    message: offLimits + 'inner is data access only and must not call back into the service layer or its adapters.',
  },
  {
    // A domain's *-types files declare data shapes and hold no behaviour: its inner may use them.
    from: { element: { type: 'inner' } },
    allow: { to: { element: { type: 'service' }, file: { path: '**/*-types.ts' } } },
  },
  {
    from: { element: { type: 'scheduler' } },
    disallow: anyOf('inner', 'model', 'api', 'thrift', 'scripts'),
    message: offLimits + 'a job is an entry point: it calls services as a handler does, and never issues a query.',
  },
  {
    from: { element: { type: 'thirdparty' } },
    disallow: anyOf('service', 'inner', 'model', 'api', 'thrift', 'wiring', 'scheduler', 'scripts'),
    message: offLimits + 'a client for a sibling service knows core and the IDL only, not our layers.',
  },
  {
    from: { element: { type: 'scripts' } },
    disallow: anyOf('inner', 'api', 'thrift'),
    message:
      offLimits + 'a script calls services with the app context, as a handler does; it never reaches into data access.',
  },
];

/**
 * The libraries of src/core whose one face (index.ts) is the only way in
 * from outside them: a file of another library, a layer, a job, a script or
 * a client imports `core/config`, never `core/config/schema`. Inside a
 * library its files import each other freely. Not listed yet, with deep
 * imports still in use: log and monitor (their leaves, outage.ts,
 * throttled-warning.ts and the *-metrics.ts files, are imported directly,
 * partly to keep their faces out of import cycles), and api, app, auth, db
 * and response, which have no index.ts.
 */
const FACED_LIBRARIES = ['async', 'config', 'ctx', 'pipeline', 'rpc', 'signal', 'text', 'trace', 'validation'];

/**
 * The import paths that reach past a face: `../config/schema` from another
 * core library, `../../core/config/schema` or `../src/core/config/schema`
 * from anywhere else. (A library's own files import `./schema`.)
 */
const DEEP_CORE_IMPORTS = [
  {
    regex: `^(\\.\\./)+(src/)?(core/)?(${FACED_LIBRARIES.join('|')})/.+|^\\./(src/)?core/(${FACED_LIBRARIES.join('|')})/.+`,
    message:
      'A library of src/core is imported through its face (its index.ts): import the folder, and export what is missing from its index.ts.',
  },
];

/** Where the faces are enforced: everything but the tests, which may test a library's parts directly. */
const FACE_FILES = ['src/**/*.ts', 'scheduler/**/*.ts', 'scripts/**/*.ts', 'thirdparty/**/*.ts', 'deploy/**/*.ts'];

/**
 * Packages a layer must not import: no-restricted-imports, since no folder
 * depth is involved. The deep core imports are repeated here, as one
 * no-restricted-imports setting replaces another for the files of both.
 */
function packages(files, names, why) {
  const patterns = names.map((name) => ({
    group: [name, `${name}/*`],
    message: `The package ${name} is off limits here: ${why}`,
  }));
  return { files, rules: { 'no-restricted-imports': ['error', { patterns: [...DEEP_CORE_IMPORTS, ...patterns] }] } };
}

const layerRules = [
  {
    files: [TS],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/files': FILES,
      // Imports are relative and name no extension: resolve them as TypeScript does.
      'import/resolver': { node: { extensions: ['.ts', '.d.ts', '.js'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'allow',
          policies: LAYER_POLICIES,
        },
      ],
    },
  },
  { files: FACE_FILES, rules: { 'no-restricted-imports': ['error', { patterns: DEEP_CORE_IMPORTS }] } },
  packages(
    ['src/api/**/*.ts', 'src/thrift/**/*.ts', 'scheduler/**/*.ts'],
    ['sequelize'],
    'handlers and jobs decode input, call a service and encode its result; they never issue a query.',
  ),
  packages(
    ['src/service/**/*.ts'],
    ['express', 'thrift', 'bull'],
    'a service never sees an Express request, a Thrift struct or a queue.',
  ),
];

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
  ...layerRules,
  prettier,
);
