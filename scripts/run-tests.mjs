#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Node 20's `node --test` does
// not expand globs, so the file list is built here. Extra arguments filter by substring.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'services'].flatMap((d) =>
  readdirSync(join(root, d)).map((p) => join(root, d, p, 'dist')),
);
roots.push(join(root, 'test', 'dist'));

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots.flatMap((r) => walk(r, [])).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
// The tests' PKI (mTLS is the default between agents and the authenticator): written once
// here, before the test processes start, and kept between runs (test/support/test-pki.ts).
const { prepareTestPki, testPkiDir } = await import(join(root, 'test/dist/support/test-pki.js'));
const pkiDir = testPkiDir();
const pkiStart = Date.now();
const made = prepareTestPki(pkiDir).files.filter((f) => f.action !== 'kept').length;
console.log(`test PKI in ${relative(root, pkiDir)}: ${made === 0 ? 'kept' : `${made / 2} certificates written in ${Date.now() - pkiStart} ms`}`);
// Node runs one test file at a time on this 2-core kind. The two VM tests (the real Wi-Fi
// test and bench:wifi's smoke run: VM boots under TCG, more than 10 and 7 minutes) run with
// the other slow tests that measure nothing (the Compose deployment, the fresh clone,
// interop): two at a time, after the rest, so no timing-sensitive test shares the machine.
const BESIDE_THE_VM = ['test/dist/wifi/wifi.test.js', 'test/dist/bench/bench-wifi-smoke.test.js', 'test/dist/e2e/compose.test.js', 'test/dist/e2e/fresh-clone.test.js', 'test/dist/interop/'];
const paired = (f) => BESIDE_THE_VM.some((p) => relative(root, f).startsWith(p));
const phases = [files.filter((f) => !paired(f)), files.filter(paired)].filter((p) => p.length > 0);
console.log(`running ${files.length} test files:\n  ${files.map((f) => relative(root, f)).join('\n  ')}`);
let status = 0;
for (const [i, phase] of phases.entries()) {
  const concurrency = i === 0 && phases.length > 1 ? 1 : phase.some((f) => !paired(f)) ? 1 : 2;
  const res = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...phase], { stdio: 'inherit', env: { ...process.env, AIRLOCK_TEST_PKI: pkiDir } });
  if ((res.status ?? 1) !== 0) status = res.status ?? 1;
}
process.exit(status);
