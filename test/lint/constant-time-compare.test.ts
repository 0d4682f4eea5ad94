/**
 * The lint rule airlock/constant-time-compare (scripts/lint/constant-time-compare.mjs): MICs,
 * authenticators, PMKIDs and keys are compared with crypto.timingSafeEqual (CONVENTIONS.md 8).
 * A timing difference cannot be seen on virtual time, so the linter checks it; this test
 * checks the linter: the rule on its own over fixture code (untyped), then the repo's
 * eslint.config.js (typed) on paths of the three protocol packages and on paths it must not
 * cover.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULE = 'airlock/constant-time-compare';

/** The plugin as eslint.config.js loads it. */
async function plugin(): Promise<ESLint.Plugin> {
  const mod = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/lint/constant-time-compare.mjs')).href)) as { default: ESLint.Plugin };
  return mod.default;
}

/** The rule's messages for `code`, linted by `eslint` as `filePath`. */
async function ruleMessages(eslint: ESLint, code: string, filePath: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result.messages.filter((m) => m.fatal === true);
  assert.deepEqual(fatal, [], 'the fixture parses');
  return result.messages.filter((m) => m.ruleId === RULE);
}

interface Case {
  desc: string;
  code: string;
  /** The secret-derived operands the rule reports (as its message names them), in order; [] = no report. */
  flagged: string[];
}

// Fixtures for the rule alone, without type information: every comparison of a value whose
// name says it is secret-derived is flagged, `===` included.
const untyped: Case[] = [
  { desc: 'Buffer#equals on a MIC field', code: 'declare const rk: { mic: Buffer }; declare const mic: Buffer;\nexport const ok = mic.equals(rk.mic);', flagged: ["'mic'"] },
  { desc: 'Buffer#equals with the secret only as the argument', code: 'declare const got: Buffer; declare const expectedMic: Buffer;\nexport const ok = got.equals(expectedMic);', flagged: ["'expectedMic'"] },
  { desc: 'a computed MIC compared with .equals()', code: 'declare function calculateEapolKeyMic(k: Buffer, f: Buffer, v: number): Buffer; declare const kck: Buffer, frame: Buffer, got: Buffer;\nexport const ok = calculateEapolKeyMic(kck, frame, 2).equals(got);', flagged: ["'calculateEapolKeyMic'"] },
  { desc: 'Buffer.compare on a Response Authenticator', code: 'declare const responseAuthenticator: Buffer, want: Buffer;\nexport const ok = Buffer.compare(want, responseAuthenticator) === 0;', flagged: ["'responseAuthenticator'"] },
  { desc: 'Buffer#compare on a Message-Authenticator', code: 'declare const messageAuthenticator: Buffer, want: Buffer;\nexport const ok = messageAuthenticator.compare(want) === 0;', flagged: ["'messageAuthenticator'"] },
  { desc: 'optional-chained .equals() on a PMKID', code: 'declare const pmkid: Buffer | undefined; declare const want: Buffer;\nexport const ok = pmkid?.equals(want);', flagged: ["'pmkid'"] },
  { desc: 'a PMKID as the argument of .equals() in a callback', code: 'declare const list: Buffer[]; declare const expectedPmkid: Buffer;\nexport const ok = list.some((p) => p.equals(expectedPmkid));', flagged: ["'expectedPmkid'"] },
  { desc: 'the 802.11 variable names (st.PMK, st.PTK.kck)', code: 'declare const st: { PMK: Buffer; PTK: { kck: Buffer } }; declare const a: Buffer, b: Buffer;\nexport const ok = st.PMK.equals(a) && b.equals(st.PTK.kck);', flagged: ["'PMK'", "'kck'"] },
  { desc: 'util.isDeepStrictEqual on a GTK', code: "import util from 'node:util'; declare const gtk: Buffer, other: Buffer;\nexport const ok = util.isDeepStrictEqual(gtk, other);", flagged: ["'gtk'"] },
  { desc: 'hex strings of a digest compared with ===', code: "declare const digest: Buffer; declare const hex: string;\nexport const ok = digest.toString('hex') === hex;", flagged: ["'digest'"] },
  { desc: 'a byte-by-byte loop with early exit (mic[i] !== got[i])', code: 'declare const mic: Buffer, got: Buffer;\nexport function eq(): boolean { for (let i = 0; i < 16; i++) if (mic[i] !== got[i]) return false; return true; }', flagged: ["'mic'"] },
  { desc: '=== between two key buffers (no type information: flagged)', code: 'declare const pmk: Buffer, other: Buffer;\nexport const same = pmk === other;', flagged: ["'pmk'"] },
  { desc: 'a const initialised from an authenticator computation (const want = responseAuthenticator(...))', code: 'declare function responseAuthenticator(raw: Buffer): Buffer; declare const raw: Buffer;\nexport function verify(): boolean { const want = responseAuthenticator(raw); return want.equals(raw.subarray(4, 20)); }', flagged: ["'want' (from 'responseAuthenticator')"] },
  { desc: 'a callback walking the PMKIDs (pmkids.some((p) => p.equals(want)))', code: 'declare const pmkids: Buffer[]; declare const want: Buffer;\nexport const ok = pmkids.some((p) => p.equals(want));', flagged: ["'p' (an element of 'pmkids')"] },
  { desc: 'an HMAC tag compared with !=', code: 'declare const hmacTag: string, got: string;\n// eslint-disable-next-line eqeqeq\nexport const bad = hmacTag != got;', flagged: ["'hmacTag'"] },

  { desc: 'a const initialised from public values', code: 'declare function rsneFor(akm: number): Buffer; declare const rsne: Buffer;\nexport function same(): boolean { const want = rsneFor(2); return want.equals(rsne); }', flagged: [] },
  { desc: 'timingSafeEqualBytes is the way', code: 'declare function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean; declare const mic: Buffer, got: Buffer;\nexport const ok = timingSafeEqualBytes(mic, got);', flagged: [] },
  { desc: 'public values: RSNE, AA/SPA ordering, nonces', code: 'declare const rsne: Buffer, other: Buffer, aa: Buffer, spa: Buffer, anonce: Buffer, nonce: Buffer;\nexport const ok = rsne.equals(other) && Buffer.compare(aa, spa) < 0 && anonce.equals(nonce);', flagged: [] },
  { desc: 'station addresses ("mac" is an address here) and map keys', code: 'declare function macKey(b: Buffer): string; declare const a: Buffer, b: Buffer, k: string; declare const st: { key: string; mac: Buffer };\nexport const ok = macKey(a) === macKey(b) && k === st.key && st.mac.equals(b);', flagged: [] },
  { desc: 'lengths, ids and fingerprints of secrets', code: 'declare const mic: Buffer, got: Buffer; declare function tkLength(c: number): number; declare const gtkKeyId: number, keyId: number, pmkFp: string, fp: string;\nexport const ok = mic.length === got.length && tkLength(4) === tkLength(8) && gtkKeyId === keyId && pmkFp === fp;', flagged: [] },
  { desc: 'named constants (attribute types, AKM numbers)', code: 'declare const Attr: { MessageAuthenticator: 80 }; declare const AKM: { PSK: 2 }; declare const type: number, akm: number;\nexport const ok = type === Attr.MessageAuthenticator || akm === AKM.PSK;', flagged: [] },
  { desc: 'literals, undefined and typeof on the other side', code: "declare const micVerified: boolean; declare const pmk: Buffer | undefined; declare const secret: unknown;\nexport const ok = micVerified === true && pmk !== undefined && typeof secret === 'string';", flagged: [] },
];

void describe('lint rule airlock/constant-time-compare', () => {
  void describe('the rule alone, without type information', () => {
    for (const c of untyped) {
      void it(c.desc, async () => {
        const eslint = new ESLint({
          cwd: REPO_ROOT,
          overrideConfigFile: true,
          overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { airlock: await plugin() }, rules: { [RULE]: 'error' } }],
        });
        const messages = await ruleMessages(eslint, c.code, join(REPO_ROOT, 'fixture.ts'));
        assert.deepEqual(
          messages.map((m) => /^(.+?) is secret-derived: /.exec(m.message)?.[1]),
          c.flagged,
          messages.map((m) => m.message).join('\n'),
        );
        for (const m of messages) assert.match(m.message, /timingSafeEqualBytes \/ equalConstantTime \(crypto\.timingSafeEqual, length checked first\)/);
      });
    }
  });

  void describe("the repo's eslint.config.js (typed)", () => {
    // The same fixture under a source path of each protocol package: the content compares and
    // the string compare are flagged; `===` between two Buffers (a reference compare, how the
    // core asks "is this the key in use?" before wiping) is not, now that types are known.
    const fixture = [
      "import { timingSafeEqual } from 'node:crypto';",
      'export function check(pmkids: Buffer[], expectedPmkid: Buffer, mic: Buffer, got: Buffer, old: { pmk: Buffer }, e: { pmk: Buffer }, digestHex: string, hex: string): boolean {',
      '  if (!pmkids.some((p) => p.equals(expectedPmkid))) return false;',
      '  if (Buffer.compare(mic, got) !== 0) return false;',
      '  if (digestHex === hex) return false;',
      '  if (old.pmk !== e.pmk) old.pmk.fill(0);',
      '  return mic.length === got.length && timingSafeEqual(mic, got);',
      '}',
      '',
    ].join('\n');
    const covered = ['packages/rsn/src/authenticator/pmksa-cache.ts', 'packages/radius/src/client/radius-client.ts', 'packages/supplicant/src/supplicant.ts'];
    for (const path of covered) {
      void it(`fires in ${path}`, async () => {
        const eslint = new ESLint({ cwd: REPO_ROOT });
        const messages = await ruleMessages(eslint, fixture, join(REPO_ROOT, path));
        assert.deepEqual(
          messages.map((m) => [m.line, m.message]),
          [
            [3, "'p' (an element of 'pmkids') is secret-derived: compare it with timingSafeEqualBytes / equalConstantTime (crypto.timingSafeEqual, length checked first), not .equals()."],
            [4, "'mic' is secret-derived: compare it with timingSafeEqualBytes / equalConstantTime (crypto.timingSafeEqual, length checked first), not .compare()."],
            [5, "'digestHex' is secret-derived: compare its bytes with timingSafeEqualBytes / equalConstantTime (crypto.timingSafeEqual, length checked first), not ===."],
          ],
        );
        assert.ok(messages.every((m) => m.severity === 2), 'an error, not a warning');
      });
    }

    void it('is on for every source file of the three packages and off for tests and the services', async () => {
      const eslint = new ESLint({ cwd: REPO_ROOT });
      const level = async (path: string): Promise<unknown> => {
        const config = (await eslint.calculateConfigForFile(join(REPO_ROOT, path))) as Linter.Config | undefined;
        const setting = config?.rules?.[RULE];
        return Array.isArray(setting) ? setting[0] : setting;
      };
      for (const path of [...covered, 'packages/rsn/src/crypto/bytes.ts', 'packages/radius/src/codec/authenticator.ts', 'packages/supplicant/src/testing/scripted-authenticator.ts']) {
        assert.equal(await level(path), 2, path);
      }
      for (const path of ['packages/rsn/src/mac.test.ts', 'packages/radius/src/codec/authenticator.test.ts', 'services/authenticator/src/service.ts', 'test/scenarios/harness.ts']) {
        assert.equal(await level(path), undefined, path);
      }
    });
  });
});
