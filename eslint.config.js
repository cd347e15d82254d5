// Lint: typescript-eslint with type information over the TypeScript sources, plain ESLint over the scripts
// (*.mjs), and the boundaries of docs/ARCHITECTURE.md as rules: src/worker/ never imports src/pool/; only
// src/backends/ reaches worker_threads or child_process; only src/native/ loads the addon (.node).
// test/lint-rules.test.ts proves each boundary rule reports what it must and nothing at an allowed path.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const threadsAndProcesses = ['worker_threads', 'child_process'];

/** What each boundary forbids, as no-restricted-imports options and no-restricted-syntax selectors. */
const boundaries = {
  processes: {
    paths: threadsAndProcesses.flatMap((name) => [`node:${name}`, name].map((id) => ({
      name: id,
      message: `only src/backends/ starts threads and processes; ask a module there for what you need of ${name}`,
    }))),
    syntax: [{
      selector: `CallExpression[callee.object.name='process'][callee.property.name='getBuiltinModule'][arguments.0.value=/^(node:)?(${threadsAndProcesses.join('|')})$/]`,
      message: 'only src/backends/ starts threads and processes: process.getBuiltinModule of worker_threads or child_process belongs there',
    }],
  },
  addons: {
    patterns: [{ regex: '\\.node$', message: 'only src/native/ loads the addon (src/native/binding.ts)' }],
    syntax: [
      { selector: 'CallExpression[arguments.0.value=/\\.node$/]', message: 'only src/native/ loads the addon (src/native/binding.ts)' },
      { selector: 'ImportExpression[source.value=/\\.node$/]', message: 'only src/native/ loads the addon (src/native/binding.ts)' },
      { selector: "CallExpression[callee.property.name='dlopen']", message: 'only src/native/ loads the addon: process.dlopen belongs there' },
      {
        selector: "CallExpression[callee.type='CallExpression'][callee.callee.name='createRequire'], CallExpression[callee.type='CallExpression'][callee.callee.property.name='createRequire']",
        message: 'only src/native/ loads the addon: a require made by createRequire and called at once belongs there',
      },
    ],
  },
  pool: {
    patterns: [{ regex: '(^|/)pool/', message: 'src/worker/ never imports src/pool/: what both sides share lives in src/wire/ or below' }],
    syntax: [{
      selector: 'ImportExpression[source.value=/(^|\\/)pool\\//]',
      message: 'src/worker/ never imports src/pool/: what both sides share lives in src/wire/ or below',
    }],
  },
};

/** The two rules for a folder that keeps the named boundaries. */
function keep(...names) {
  const chosen = names.map((name) => boundaries[name]);
  return {
    'no-restricted-imports': ['error', {
      paths: chosen.flatMap((b) => b.paths ?? []),
      patterns: chosen.flatMap((b) => b.patterns ?? []),
    }],
    'no-restricted-syntax': ['error', ...chosen.flatMap((b) => b.syntax)],
  };
}

/** Plain Node globals for the scripts (ES globals come with ecmaVersion). */
const nodeGlobals = Object.fromEntries([
  'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
  'setImmediate', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'performance', 'TextEncoder', 'TextDecoder',
  'AbortController', 'AbortSignal', 'fetch',
].map((name) => [name, 'readonly']));

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '**/*.js', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // node:test's describe/it return promises the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: nodeGlobals },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  // The boundaries. A later block's no-restricted-* replaces an earlier one's, so each folder gets one block.
  { files: ['src/**/*.ts'], ignores: ['src/backends/**', 'src/native/**', 'src/worker/**'], rules: keep('processes', 'addons') },
  { files: ['src/worker/**/*.ts'], rules: keep('processes', 'addons', 'pool') },
  { files: ['src/backends/**/*.ts'], rules: keep('addons') },
  { files: ['src/native/**/*.ts'], rules: keep('processes') },
);
