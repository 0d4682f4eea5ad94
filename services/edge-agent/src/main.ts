#!/usr/bin/env node
/**
 * airlock-agent: the edge agent. `--driver sim` (default; see sim-main.ts) or
 * `--driver wired` (see wired-main.ts) or `--driver nl80211` (see nl80211-main.ts); the other options belong to the driver's CLI.
 */
import { helpOrVersion } from './cli-args.js';

const args = process.argv;
helpOrVersion(args.slice(2));
const i = args.findIndex((a) => a === '--driver' || a.startsWith('--driver='));
const driver = i < 0 ? 'sim' : args[i].includes('=') ? args[i].slice('--driver='.length) : args[i + 1];
if (driver === 'wired' || driver === 'nl80211') {
  args.splice(i, args[i].includes('=') ? 1 : 2);
  await import(driver === 'wired' ? './wired-main.js' : './nl80211-main.js');
} else {
  await import('./sim-main.js');
}
