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
import { startPrimary } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';
import { startAuthenticator } from './server.js';
import { AUTHENTICATOR_VERSION } from './version.js';

const USAGE = `usage: airlock-authenticator --config FILE   (or AIRLOCK_CONFIG=FILE)

The central authenticator: AgentLink (gRPC, mTLS) for the edge agents, the RADIUS client,
/metrics, /healthz, /readyz and the status page, the Admin API for the airlock CLI.
FILE is YAML (services/authenticator/config/example.yaml documents every key); values can
be overridden by AIRLOCK__SECTION__KEY environment variables. SIGHUP reloads the file.

  --config FILE   the configuration
  --help, -h      this text
  --version       the version`;

/** A usage error: one line, exit 2. */
function usage(problem: string): never {
  console.error(`airlock-authenticator: ${problem} (usage: airlock-authenticator --config FILE; --help for more)`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (args.includes('--version')) {
  console.log(`airlock-authenticator ${AUTHENTICATOR_VERSION}`);
  process.exit(0);
}
const fromEnv = process.env.AIRLOCK_CONFIG;
let path = fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--config' && args[i + 1] !== undefined) path = args[++i];
  else if (args[i] === '--config') usage('--config needs a file');
  else usage(`unknown argument ${JSON.stringify(args[i])}`);
}
if (path === undefined) usage('no configuration: give --config FILE or set AIRLOCK_CONFIG');
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
  const running = workers > 1 ? await startPrimary(config, workers, { configFile: configPath }) : await startAuthenticator({ config, configFile: configPath });
  const shutdown = (sig: string): void => {
    running.logger.info({ signal: sig }, 'shutting down');
    void running.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // SIGHUP: read the file again; apply what can change without dropping anyone, or keep the old.
  // One reload at a time with the Admin API's (`airlock reload`), each counted once (here, not in the workers).
  process.on('SIGHUP', () => {
    void running.reloader?.reload('SIGHUP');
  });
}
