#!/usr/bin/env node
/**
 * `npm run fuzz [-- --runs 100000] [--seed N] [target ...]`: runs every fuzz target (or the
 * named ones) with `--runs` cases each (default 100,000) and prints, per target, the cases
 * run and the time taken. A failure prints fast-check's counterexample, its seed and path
 * (to replay: --seed N), and the command exits 1.
 */
import { FUZZ_TARGETS, lastSessionStats } from './targets.js';

function parse(argv: string[]): { runs: number; seed: number | undefined; names: string[] } {
  let runs = 100_000;
  let seed: number | undefined;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || (a === '--runs' && v < 1)) throw new Error(`${a}: expected an integer, got ${JSON.stringify(argv[i])}`);
      if (a === '--runs') runs = v;
      else seed = v;
    } else if (a === '--help' || a === '-h') {
      throw new Error('');
    } else {
      if (!FUZZ_TARGETS.some((t) => t.name === a)) throw new Error(`unknown target ${JSON.stringify(a)}`);
      names.push(a);
    }
  }
  return { runs, seed, names };
}

async function main(): Promise<number> {
  let o: ReturnType<typeof parse>;
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`${msg === '' ? '' : `${msg}\n\n`}usage: npm run fuzz -- [--runs 100000] [--seed N] [target ...]\ntargets:\n${FUZZ_TARGETS.map((t) => `  ${t.name.padEnd(14)} ${t.what}`).join('\n')}`);
    return 2;
  }
  const targets = FUZZ_TARGETS.filter((t) => o.names.length === 0 || o.names.includes(t.name));
  let failed = 0;
  for (const t of targets) {
    const t0 = performance.now();
    try {
      await t.run(o.runs, o.seed);
      const s = (performance.now() - t0) / 1000;
      console.log(`fuzz ${t.name}: ${o.runs} cases, no failure, ${s.toFixed(1)} s (${Math.round(o.runs / s)} cases/s)`);
      if (t.name === 'agent-session' && lastSessionStats !== undefined) console.log(`  ${JSON.stringify(lastSessionStats)}`);
    } catch (e) {
      failed++;
      console.log(`fuzz ${t.name}: FAILED after ${((performance.now() - t0) / 1000).toFixed(1)} s\n${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
