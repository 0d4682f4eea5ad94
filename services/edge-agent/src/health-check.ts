#!/usr/bin/env node
/**
 * `node health-check.js PATH [MAX_AGE_S]`: exit 0 when the agent's --health-file PATH was
 * refreshed within MAX_AGE_S seconds (default 30), else 1 with one line why.
 */
import { healthFileFresh } from './health-file.js';

const [path, maxAge = '30'] = process.argv.slice(2);
if (path === undefined || !/^\d+$/.test(maxAge)) {
  console.error('usage: health-check.js PATH [MAX_AGE_S]');
  process.exit(2);
}
if (!healthFileFresh(path, Number(maxAge))) {
  console.error(`unhealthy: ${path} missing or older than ${maxAge} s (no AgentLink stream)`);
  process.exit(1);
}
