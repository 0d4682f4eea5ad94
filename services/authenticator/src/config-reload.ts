/**
 * SIGHUP: read the configuration file again; apply what can change without dropping anyone,
 * or keep the running configuration. Every outcome is logged and counted in
 * airlock_config_reloads_total (DESIGN.md "Observability contract").
 */
import type { Logger } from 'pino';
import { formatConfigErrors, loadConfigFile, type AuthenticatorConfig } from './config.js';
import type { InstanceMetrics, RELOAD_RESULTS } from './metrics.js';
import type { ReloadOutcome } from './server.js';

/** What a reload from the file reports: `rejected` when the file is invalid, the reload was refused, or it failed. */
export type ReloadResult = (typeof RELOAD_RESULTS)[number];

/** The running authenticator as a reload sees it: a single process, or a cluster's primary (which reloads every worker). */
export interface ReloadTarget {
  logger: Logger;
  metrics: InstanceMetrics;
  reload(config: AuthenticatorConfig): Promise<ReloadOutcome>;
}

/** Reads `path` and reloads `target` with it; logs the outcome and counts it once. */
export async function reloadConfigFile(target: ReloadTarget, path: string): Promise<ReloadResult> {
  const result = await reloadOnce(target, path);
  target.metrics.configReloads.inc({ result });
  return result;
}

async function reloadOnce(target: ReloadTarget, path: string): Promise<ReloadResult> {
  const log = target.logger;
  const next = loadConfigFile(path);
  if (!next.ok) {
    log.error({ file: path, errors: formatConfigErrors(next.errors, path).split('\n') }, 'configuration reload rejected: the file is invalid; the running configuration stays');
    return 'rejected';
  }
  let r: ReloadOutcome;
  try {
    r = await target.reload(next.value);
  } catch (e) {
    log.error({ file: path, err: e instanceof Error ? e.message : String(e) }, 'configuration reload failed; the running configuration stays');
    return 'rejected';
  }
  if (!r.ok) {
    log.error({ file: path, errors: r.errors }, 'configuration reload rejected; the running configuration stays');
    return 'rejected';
  }
  log.info({ file: path, applied: r.applied }, 'configuration reloaded');
  if (r.restartNeeded.length > 0) log.warn({ sections: r.restartNeeded }, 'these sections changed but take effect only after a restart; their running values stay');
  return 'applied';
}
