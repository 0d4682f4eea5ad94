#!/usr/bin/env node
/**
 * airlock-authenticator: `node main.js --config FILE` (or AIRLOCK_CONFIG). Prints every
 * config error with its path and exits 2; an operator error at startup (a port in use, a
 * missing certificate: operator-error.ts) is one line without a stack trace, exit 1; stops
 * gracefully on SIGINT/SIGTERM. With
 * cluster.workers other than 1 this process is the cluster primary and forks the workers
 * (cluster/primary.ts), which run this same file.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { LOG_FORMATS, type LogFormat } from '@airlock/log-limit';
import { formatConfigErrors, loadConfigFile } from './config.js';
import { startPrimary, type RunningPrimary } from './cluster/primary.js';
import { runWorker } from './cluster/worker.js';
import { OperatorError } from './operator-error.js';
import { startAuthenticator, type RunningAuthenticator } from './server.js';
import { AUTHENTICATOR_VERSION } from './version.js';

const USAGE = `usage: airlock-authenticator --config FILE   (or AIRLOCK_CONFIG=FILE)

The central authenticator: AgentLink (gRPC, mTLS) for the edge agents, the RADIUS client,
/metrics, /healthz, /readyz and the status page, the Admin API for the airlock CLI.
FILE is YAML (services/authenticator/config/example.yaml documents every key); values can
be overridden by AIRLOCK__SECTION__KEY environment variables. SIGHUP reloads the file.

  --config FILE   the configuration
  --log-format F  json (default; log.format) or pretty (HH:MM:SS.mmm LEVEL message key=value,
                  for a terminal; coloured on a TTY unless NO_COLOR is set)
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
let logFormat: LogFormat | undefined;
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].startsWith('--') && args[i].includes('=') ? [args[i].slice(0, args[i].indexOf('=')), args[i].slice(args[i].indexOf('=') + 1)] : [args[i], undefined];
  const value = (): string | undefined => inline ?? (args[i + 1] !== undefined ? args[++i] : undefined);
  if (flag === '--config') path = value() ?? usage('--config needs a file');
  else if (flag === '--log-format') {
    const f = value() ?? usage(`--log-format needs ${LOG_FORMATS.join(' or ')}`);
    if (!(LOG_FORMATS as readonly string[]).includes(f)) usage(`--log-format: expected ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(f)}`);
    logFormat = f as LogFormat;
  } else usage(`unknown argument ${JSON.stringify(args[i])}`);
}
if (path === undefined) usage('no configuration: give --config FILE or set AIRLOCK_CONFIG');
const configPath = path;
const loaded = loadConfigFile(configPath);
if (!loaded.ok) {
  console.error(formatConfigErrors(loaded.errors, path));
  process.exit(2);
}
const config = loaded.value;
if (logFormat !== undefined) config.log.format = logFormat;
const workers = config.cluster.workers === 0 ? availableParallelism() : config.cluster.workers;

/** Runs `start`; an OperatorError ends the process with its one line (exit 1), anything else is a bug and keeps its stack. */
async function orExit<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    if (!(e instanceof OperatorError)) throw e;
    console.error(`airlock-authenticator: ${e.message}`);
    process.exit(1);
  }
}

if (cluster.isWorker) {
  await orExit(() => runWorker(config));
} else {
  const running = await orExit<RunningPrimary | RunningAuthenticator>(() => (workers > 1 ? startPrimary(config, workers, { configFile: configPath }) : startAuthenticator({ config, configFile: configPath })));
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
