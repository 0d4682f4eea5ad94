// Lint: typescript-eslint with type information; the protocol cores do no I/O.
import tseslint from 'typescript-eslint';
import airlock from './scripts/lint/constant-time-compare.mjs';

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
  // Plain JavaScript outside the TypeScript projects: scripts/, and the npm bin shim (a file
  // npm can link before dist/ is built).
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/proto/src/gen/**', 'scripts/**', 'services/*/bin/**', 'eslint.config.js'] },
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
    files: [
      'packages/bytes/src/**/*.ts', 'packages/link/src/**/*.ts', 'packages/rsn/src/**/*.ts', 'packages/supplicant/src/**/*.ts', 'packages/radius/src/codec/**/*.ts', 'packages/radius/src/das/**/*.ts',
      // The RADIUS client's sans-I/O side: its transactions (UDP and RadSec) and their parts.
      'packages/radius/src/client/radius-transactions.ts', 'packages/radius/src/client/record-reader.ts', 'packages/radius/src/client/fair-queue.ts',
      'packages/radius/src/client/identifier-table.ts', 'packages/radius/src/client/timeout-list.ts',
    ],
    // The DAS's UDP socket and timer (das-listener.ts) drive its sans-I/O server.
    ignores: ['**/*.test.ts', 'packages/radius/src/das/das-listener.ts'],
    rules: {
      'no-restricted-imports': ['error', coreRestrictedImports],
      'no-restricted-syntax': ['error', ...coreRestrictedSyntax],
    },
  },
  // Constant-time compares (CONVENTIONS.md 8), which tests on virtual time cannot check: in
  // the protocol packages, `.equals()`, `.compare()`, `Buffer.compare()`,
  // `isDeepStrictEqual()` and `===`/`!==` are errors when an operand's name says it is a MIC,
  // a Message-/Response Authenticator, a PMKID, a key (PMK, PTK, KCK, KEK, TK, GTK, MSK, PSK),
  // a digest, an HMAC/CMAC or a tag: use timingSafeEqualBytes (@airlock/rsn) or
  // equalConstantTime (radius codec). Found by names: the operand's (`rk.mic`, `st.PMK`,
  // `calculateEapolKeyMic(...)`, `mic[i]`, `tag.toString('hex')`), a variable's initialiser's
  // (`const want = responseAuthenticator(...)`), the array a callback walks
  // (`pmkids.some((p) => ...)`); not `mic.length`, constants (`Attr.MessageAuthenticator`) or
  // "mac" (a station address here). `===` only where the secret side is a string or a number
  // (types tell): between two Buffers it compares references and reads no byte. The rule and
  // its word lists: scripts/lint/constant-time-compare.mjs; its test:
  // test/lint/constant-time-compare.test.ts.
  {
    files: ['packages/rsn/src/**/*.ts', 'packages/radius/src/**/*.ts', 'packages/supplicant/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { airlock },
    rules: { 'airlock/constant-time-compare': 'error' },
  },
  // Exception, for the EAP peer's TLS engine only (packages/supplicant/src/eap/tls-*.ts):
  // EAP-TLS/TTLS run on node:tls over an in-memory Duplex (no sockets), so these files may
  // import node:tls (node:stream is not restricted anyway), draw node:crypto randomness, and
  // wait for node:tls with setImmediate (it completes writes and emits errors on later
  // event-loop turns). Everything else in the supplicant stays sans-I/O.
  {
    files: ['packages/supplicant/src/eap/tls-*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: coreRestrictedImports.patterns.map((p) => ({ ...p, group: p.group.filter((m) => m !== 'node:tls' && m !== 'tls') })) }],
      'no-restricted-syntax': ['error',
        ...coreRestrictedSyntax.filter((s) => !s.selector.includes('randomBytes') && !s.selector.includes('setImmediate')),
        { selector: "CallExpression[callee.name=/^(setTimeout|setInterval)$/]", message: 'Protocol cores keep timers as deadlines in state.' },
      ],
    },
  },
);
