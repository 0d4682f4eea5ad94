/**
 * Recorded benchmark output (issue 15, "figures anyone can regenerate"): with `--record`,
 * each JSON line a benchmark prints is also appended to
 * docs/benchmarks/results/<benchmark>.jsonl with what made it: the commit (and whether the
 * tree had uncommitted changes), the machine, Node.js, the time and the command line.
 * BENCHMARKS.md's generated section is rendered from those files only (report.ts).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/authenticator-process.js';

export const RESULTS_DIR = join(REPO_ROOT, 'docs', 'benchmarks', 'results');

/** What produced a recorded line. */
export interface Provenance {
  commit: string;
  /** The working tree had changes the commit does not hold. */
  dirty: boolean;
  machine: { cpu: string; cores: number; mem_gib: number; kernel: string };
  node: string;
  at: string;
  command: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** The provenance of a run started now with this command line. */
export function provenance(command: string): Provenance {
  const c = cpus();
  return {
    commit: git(['rev-parse', 'HEAD']) || 'unknown',
    // Results under docs/benchmarks/results are what a run writes: not a change of the code.
    dirty: git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)docs/benchmarks/results', ':(exclude)BENCHMARKS.md']) !== '',
    machine: { cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, mem_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10, kernel: release() },
    node: process.version,
    at: new Date().toISOString(),
    command,
  };
}

/** A recorder for one benchmark command (`npm run bench`, `bench:interop`, `bench:wifi`), or a no-op without --record. */
export function recorder(benchmark: string, enabled: boolean, command: string): (line: Record<string, unknown>) => void {
  if (!enabled) return () => undefined;
  const prov = provenance(command);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${benchmark}.jsonl`);
  return (line) => appendFileSync(file, `${JSON.stringify({ ...line, provenance: prov })}\n`);
}
