// Lint: typescript-eslint with type information; the protocol cores do no I/O.
import tseslint from 'typescript-eslint';

/** Modules and globals that protocol cores may not touch: time, randomness, sockets. */
const coreRestrictedImports = {
  patterns: [
    { group: ['node:net', 'net', 'node:dgram', 'dgram', 'node:http', 'http', 'node:tls', 'tls', 'node:fs', 'fs', 'node:child_process', 'child_process', '@grpc/*'], message: 'Protocol cores do no I/O: move this to the service glue.' },
  ],
};
const coreRestrictedSyntax = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Protocol cores take `now` as input.' },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Protocol cores take `now` as input.' },
  { selector: "CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]", message: 'Protocol cores keep timers as deadlines in state.' },
  { selector: "CallExpression[callee.property.name=/^(randomBytes|randomFillSync|randomUUID|getRandomValues)$/]", message: 'Protocol cores get randomness injected.' },
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Protocol cores get randomness injected.' },
  { selector: "MemberExpression[object.name='performance'][property.name='now']", message: 'Protocol cores take `now` as input.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/proto/src/gen/**', 'scripts/**', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/rsn/src/**/*.ts', 'packages/supplicant/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', coreRestrictedImports],
      'no-restricted-syntax': ['error', ...coreRestrictedSyntax],
    },
  },
);
