/**
 * What the benchmark smoke runs share (bench-smoke.test.ts, bench-wifi-smoke.test.ts): run an
 * npm bench script as node, collect its JSON lines, check fields.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/authenticator-process.js';

export type Line = Record<string, unknown>;

/** The command of an npm script of the root package.json, with `node` as this node. */
export function npmScript(name: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const command = scripts[name];
  assert.ok(command !== undefined, `package.json has no script ${name}`);
  const argv = command.split(/\s+/);
  assert.equal(argv[0], 'node', `npm run ${name} is not a node command: ${command}`);
  return [process.execPath, ...argv.slice(1)];
}

/** Runs argv from the repository root; resolves with its JSON lines (stdout lines starting with `{`). */
export function runJsonLines(argv: string[], timeoutMs: number): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const command = argv.slice(1).join(' ');
      if (code !== 0) {
        reject(new Error(`${command} ended with ${signal ?? `exit code ${String(code)}`}${signal === 'SIGTERM' ? ` (timeout ${timeoutMs} ms)` : ''}; stderr:\n${err.split('\n').slice(-30).join('\n')}`));
        return;
      }
      resolve(out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line));
    });
  });
}

export function num(line: Line, key: string): number {
  const v = line[key];
  assert.equal(typeof v, 'number', `${key} is a number in ${JSON.stringify(line)}`);
  assert.ok(Number.isFinite(v), `${key} is finite: ${String(v)}`);
  return v as number;
}

export function positive(line: Line, ...keys: string[]): void {
  for (const k of keys) assert.ok(num(line, k) > 0, `${k} > 0: ${String(line[k])}`);
}

export function zero(line: Line, ...keys: string[]): void {
  for (const k of keys) assert.equal(line[k], 0, `${k} is 0 in ${JSON.stringify(line)}`);
}
