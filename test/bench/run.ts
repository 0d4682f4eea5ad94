#!/usr/bin/env node
/**
 * `npm run bench [-- SCENARIO... [--option value...]]`: runs benchmark scenarios against a
 * real authenticator process and prints one JSON line per scenario on stdout (DESIGN.md
 * "Benchmark contract"); progress goes to stderr. Without a scenario name every scenario
 * runs. `--help` lists scenarios and their options.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, Scenario } from './scenario.js';
import { scenarios } from './scenarios/index.js';
import { recorder } from './support/record.js';

function usage(): string {
  const lines = [
    'usage: npm run bench -- [SCENARIO...] [--option value...] [--record]',
    '',
    '--record: also append each line, with its commit and machine, to docs/benchmarks/results/bench.jsonl',
    '(BENCHMARKS.md\'s generated section: npm run bench:report)',
    '',
    'scenarios:',
  ];
  for (const s of scenarios) {
    lines.push(`  ${s.name.padEnd(12)} ${s.summary}`);
    const opts = Object.entries(s.options).map(([k, v]) => `--${k} ${v}`).join(' ');
    if (opts !== '') lines.push(`  ${''.padEnd(12)} options (defaults): ${opts}`);
  }
  return lines.join('\n');
}

/** Splits argv into scenario names, `--key value` options and the `--record` flag. */
function parseArgs(argv: string[]): { names: string[]; options: Map<string, string>; record: boolean } | undefined {
  const names: string[] = [];
  const options = new Map<string, string>();
  let record = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return undefined;
    if (a === '--record') {
      record = true;
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options.set(a.slice(2, eq), a.slice(eq + 1));
      else if (argv[i + 1] !== undefined) options.set(a.slice(2), argv[++i]);
      else throw new Error(`${a}: missing value`);
    } else {
      names.push(a);
    }
  }
  return { names, options, record };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args === undefined) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const chosen: Scenario[] = [];
  for (const name of args.names) {
    const s = scenarios.find((x) => x.name === name);
    if (s === undefined) {
      console.error(`unknown scenario ${JSON.stringify(name)}\n\n${usage()}`);
      return 2;
    }
    chosen.push(s);
  }
  if (chosen.length === 0) chosen.push(...scenarios);
  const known = new Set(chosen.flatMap((s) => Object.keys(s.options)));
  for (const k of args.options.keys()) {
    if (!known.has(k)) {
      console.error(`unknown option --${k} for ${chosen.map((s) => s.name).join(', ')}\n\n${usage()}`);
      return 2;
    }
  }
  const workDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  console.error(`bench: logs and configs in ${workDir}`);
  const record = recorder('bench', args.record, `npm run bench -- ${process.argv.slice(2).join(' ')}`);
  let failed = 0;
  for (const s of chosen) {
    const ctx: BenchContext = { options: args.options, workDir, progress: (text) => console.error(`bench: ${text}`) };
    try {
      const result = await s.run(ctx);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      record(result);
    } catch (err) {
      failed++;
      console.error(`bench: scenario ${s.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

// Exit explicitly: gRPC channels and sockets of finished scenarios may hold the loop open.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
