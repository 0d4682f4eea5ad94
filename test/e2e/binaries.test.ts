/**
 * Every binary answers --help and --version (exit 0), and an operator's mistake on its
 * command line gets one line saying what is wrong and what to do, exit 2, never a stack
 * trace: the authenticator (main.js), the edge agent (main.js, each driver) and the
 * `airlock` CLI, run as the processes an operator starts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/authenticator-process.js';

const AUTHENTICATOR = join(REPO_ROOT, 'services/authenticator/dist/main.js');
const AGENT = join(REPO_ROOT, 'services/edge-agent/dist/main.js');
const CLI = join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js');
const VERSION = /^\d+\.\d+\.\d+/;

function run(file: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, AIRLOCK_CONFIG: '' } });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** One line on stderr, no stack trace, exit 2. */
function usageError(r: { code: number | null; out: string; err: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.split('\n').length, 1, `one line, got:\n${r.err}`);
  assert.doesNotMatch(r.err, /^\s+at /m);
  assert.match(r.err, pattern);
}

void describe('binaries: --help, --version and command-line mistakes', () => {
  for (const [name, file, prefix] of [['authenticator', AUTHENTICATOR, 'airlock-authenticator'], ['agent', AGENT, 'airlock-agent'], ['cli', CLI, 'airlock']] as const) {
    void it(`${name}: --help prints the usage, --version the version (exit 0)`, () => {
      const help = run(file, '--help');
      assert.equal(help.code, 0, help.err);
      assert.match(help.out, new RegExp(`^usage: ${prefix} `));
      const version = run(file, '--version');
      assert.equal(version.code, 0, version.err);
      const [word, v] = version.out.split(' ');
      assert.equal(word, prefix);
      assert.match(v ?? '', VERSION);
    });
  }

  void it('authenticator: an unknown argument, and no configuration', () => {
    usageError(run(AUTHENTICATOR, '--bogus'), /^airlock-authenticator: unknown argument "--bogus" \(usage: airlock-authenticator --config FILE/);
    usageError(run(AUTHENTICATOR), /^airlock-authenticator: no configuration: give --config FILE or set AIRLOCK_CONFIG/);
    usageError(run(AUTHENTICATOR, '--config'), /--config needs a file/);
  });

  void it('agent: an unknown option and a missing value, with every driver', () => {
    usageError(run(AGENT, '--bogus'), /^airlock-agent: unknown option --bogus \(airlock-agent --help lists them\)$/);
    usageError(run(AGENT, '--driver', 'wired', '--bogus'), /^airlock-agent \(wired\): unknown option --bogus/);
    usageError(run(AGENT, '--driver', 'nl80211', '--radio'), /^airlock-agent \(nl80211\): Option '--radio <value>' argument missing/);
  });

  void it('cli: an unknown command', () => {
    usageError(run(CLI, 'bogus'), /^airlock: unknown command 'bogus'/);
  });
});
