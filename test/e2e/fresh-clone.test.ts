/**
 * The README's two commands, in order, on a fresh clone of the committed HEAD
 * (`npm run check:fresh-clone` runs this file alone):
 *
 *   npm install && npm start     then     npm test (its pretest step)
 *
 * What a new user's machine does differently: `npm install` runs before libpcap-dev is
 * installed, so the optional native dependency `cap` fails to build and npm leaves it out.
 * Uninstalling libpcap-dev here would take it from everything else that runs on this
 * machine, so the clone gets the state npm leaves instead: after `npm install`,
 * node_modules/cap is deleted (the same as npm removing an optional dependency whose build
 * failed). The demo must run without it, and the pretest must bring it back (it is what the
 * wired driver and the interop tests load).
 *
 * Costs an `npm install` (about 25 s here, from npm's cache) and a build.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/authenticator-process.js';

/** The environment of a new user's shell: nothing from the npm that runs this test, nor airlock overrides. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$|AIRLOCK)/i.test(k)));

/** A line of the demo's status (scripts/demo-support.mjs), with the authorized stations and their total. */
const STATUS_LINE = /^\[\s*\d+s\] agents (\d+) \| stations authorized (\d+)\/(\d+) \(authenticating \d+\) \| handshakes\/s [\d.]+ \(total (\d+), failed \d+\) \| join p99 /m;

interface Ran {
  status: number | null;
  out: string;
  ms: number;
}

/** Runs a command to its end (SIGKILL after `timeoutMs`); stdout and stderr together. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out, ms: Date.now() - t0 });
    });
  });
}

/** Whether `cap` loads the way the edge agent imports it (from services/edge-agent, in a fresh process). */
async function capLoads(clone: string): Promise<Ran> {
  return run(process.execPath, ['--input-type=module', '-e', "await import('cap')"], join(clone, 'services/edge-agent'), 30_000);
}

void describe('a fresh clone: npm install && npm start, then npm test\'s pretest', { timeout: 240_000 }, () => {
  let clone = '';
  /** `git status --porcelain` after npm install. */
  let afterInstall = '';
  /** The process group of `npm start` while it runs. */
  let demoGroup: number | undefined;

  before(async () => {
    clone = mkdtempSync(join(tmpdir(), 'airlock-fresh-clone-'));
    const r = await run('git', ['clone', '-q', REPO_ROOT, clone], REPO_ROOT, 60_000);
    assert.equal(r.status, 0, `git clone: ${r.out}`);
  });

  after(() => {
    if (demoGroup !== undefined) {
      try {
        process.kill(-demoGroup, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(clone, { recursive: true, force: true });
  });

  void it('npm install builds everything', async (t) => {
    const r = await run('npm', ['install'], clone, 180_000);
    t.diagnostic(`npm install: ${(r.ms / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, r.out);
    assert.ok(existsSync(join(clone, 'services/authenticator/dist/main.js')), 'npm install built the authenticator');
    assert.ok(existsSync(join(clone, 'services/edge-agent/dist/main.js')), 'npm install built the edge agent');
    // `npx airlock` right after the first install (npm links a workspace's bin before
    // `prepare` builds dist/: the bin is a file in the repository).
    const npx = await run('npx', ['--no-install', 'airlock', '--help'], clone, 60_000);
    assert.equal(npx.status, 0, `npx airlock --help:\n${npx.out}`);
    assert.match(npx.out, /^usage: airlock <command>/m);
    const status = await run('git', ['status', '--porcelain'], clone, 30_000);
    afterInstall = status.out;
    // npm rewrites a package-lock.json that does not match the package.json files.
    assert.equal(status.out, '', `npm install changed tracked files (package-lock.json out of step with a package.json?):\n${(await run('git', ['diff'], clone, 30_000)).out}`);
    // What a machine without libpcap-dev is left with: npm removes an optional dependency whose build failed.
    rmSync(join(clone, 'node_modules/cap'), { recursive: true, force: true });
    const cap = await capLoads(clone);
    assert.notEqual(cap.status, 0, 'cap still loads after node_modules/cap was removed: the simulation is not the state npm leaves');
    assert.match(cap.out, /Cannot find package 'cap'/);
  });

  void it('npm start runs the demo without cap: status lines with stations authorized; Ctrl-C stops it', async (t) => {
    const t0 = Date.now();
    // Its own process group: Ctrl-C reaches npm, the demo and the processes it started, as in a terminal.
    const child = spawn('npm', ['start'], { cwd: clone, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    demoGroup = child.pid;
    let out = '';
    const exited = new Promise<string>((resolve) => child.once('close', (code, signal) => resolve(signal ?? `code ${String(code)}`)));
    const seen = new Promise<RegExpMatchArray | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 60_000);
      const look = (): void => {
        for (const m of out.matchAll(new RegExp(STATUS_LINE, 'gm'))) {
          if (Number(m[2]) > 0) {
            clearTimeout(timer);
            resolve(m);
            return;
          }
        }
      };
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        look();
      });
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      void exited.then(() => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    const line = await seen;
    t.diagnostic(`npm start: first status line with a station authorized after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(child.pid !== undefined);
    process.kill(-child.pid, 'SIGINT');
    const stopTimer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    const how = await exited;
    clearTimeout(stopTimer);
    demoGroup = undefined;
    assert.ok(line !== undefined, `no status line with an authorized station within 60 s; the demo printed:\n${out}`);
    assert.equal(Number(line[1]), 3, `3 agents connected: ${line[0]}`);
    assert.equal(Number(line[3]), 60, `3 x 20 stations: ${line[0]}`);
    assert.ok(Number(line[4]) >= Number(line[2]), `handshakes at least the authorized stations: ${line[0]}`);
    assert.doesNotMatch(out, /exited \(/, 'no demo process died');
    assert.match(out, /stopping\.\.\./, 'Ctrl-C stopped the demo');
    // npm ends itself with the signal it got (SIGINT); SIGKILL means the demo did not stop within 10 s.
    assert.notEqual(how, 'SIGKILL', 'the demo stopped by itself after Ctrl-C');
  });

  void it('the pretest brings cap back, builds, and leaves the clone unchanged', async (t) => {
    const r = await run('npm', ['run', 'pretest'], clone, 180_000);
    t.diagnostic(`npm run pretest: ${(r.ms / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /cap \(native, optional\) did not load/);
    const cap = await capLoads(clone);
    assert.equal(cap.status, 0, `cap does not load after the pretest:\n${cap.out}`);
    // A second pretest finds everything and calls no npm install.
    const again = await run(process.execPath, ['scripts/system-deps.mjs'], clone, 60_000);
    assert.equal(again.status, 0, again.out);
    assert.equal(again.out, '', 'nothing to do the second time');
    assert.ok(again.ms < 5000, `the check takes ${again.ms} ms when everything is there`);
    // package-lock.json and every tracked file as npm install left them (.demo/ and node_modules/ are ignored).
    const status = await run('git', ['status', '--porcelain'], clone, 30_000);
    assert.equal(status.status, 0);
    assert.equal(status.out, afterInstall, 'the pretest changed tracked files');
  });
});
