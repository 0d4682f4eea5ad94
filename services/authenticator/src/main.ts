#!/usr/bin/env node
/**
 * airlock-authenticator: `node main.js --config FILE` (or AIRLOCK_CONFIG). Prints every
 * config error with its path and exits 2; stops gracefully on SIGINT/SIGTERM. With
 * cluster.workers other than 1 this process is the cluster primary and forks the workers
 * (cluster/primary.ts), which run this same file.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { formatConfigErrors, loadConfigFile } from './config.js';
import { reloadConfigFile } from './config-reload.js';
import { startPrimary } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';
import { startAuthenticator } from './server.js';

function usage(): never {
  console.error('usage: airlock-authenticator --config FILE');
  process.exit(2);
}

const args = process.argv.slice(2);
let path = process.env.AIRLOCK_CONFIG;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--config' && args[i + 1] !== undefined) path = args[++i];
  else usage();
}
if (path === undefined) usage();
const configPath = path;
const loaded = loadConfigFile(configPath);
if (!loaded.ok) {
  console.error(formatConfigErrors(loaded.errors, path));
  process.exit(2);
}
const config = loaded.value;
const workers = config.cluster.workers === 0 ? availableParallelism() : config.cluster.workers;

if (cluster.isWorker) {
  await runWorker(config);
} else {
  const running = workers > 1 ? await startPrimary(config, workers) : await startAuthenticator({ config });
  const shutdown = (sig: string): void => {
    running.logger.info({ signal: sig }, 'shutting down');
    void running.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // SIGHUP: read the file again; apply what can change without dropping anyone, or keep the old.
  // One reload at a time, each counted once (here, not in the workers).
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      await reloadConfigFile(running, configPath);
    });
  });
}
