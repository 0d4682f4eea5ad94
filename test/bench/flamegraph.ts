#!/usr/bin/env node
/**
 * `node test/dist/bench/flamegraph.js PROFILE.cpuprofile OUT.svg [TITLE]`: turns a V8 CPU
 * profile (e.g. the authenticator's, from `AIRLOCK_BENCH_AUTH_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=DIR" npm run bench -- psk-burst`) into a flame graph SVG.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { flameGraphSvg, type CpuProfile } from './support/flamegraph.js';

const [input, output, title] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  console.error('usage: node test/dist/bench/flamegraph.js PROFILE.cpuprofile OUT.svg [TITLE]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(input, 'utf8')) as CpuProfile;
writeFileSync(output, flameGraphSvg(profile, title ?? input));
console.error(`wrote ${output}`);
