/**
 * SIGHUP, or `airlock reload` through the Admin API: read the configuration file again;
 * apply what can change without dropping anyone, or keep the running configuration. Every
 * outcome is logged and counted in airlock_config_reloads_total (DESIGN.md "Observability
 * contract"), whoever asked.
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

/** What one reload did: for the Admin API's answer (`airlock reload`) and the log. */
export interface ReloadReport {
  result: ReloadResult;
  /** The file read. */
  file: string;
  /** Applied: the sections that changed and took effect (empty: nothing changed). */
  changed: string[];
  /** Applied: sections that changed but keep their running values until a restart. */
  restartNeeded: string[];
  /** Rejected: every error, one per entry (validation errors as "FILE: path: message"). */
  errors: string[];
}

/** Reads `path` and reloads `target` with it; logs the outcome and counts it once. */
export async function reloadConfigFile(target: ReloadTarget, path: string, by = 'SIGHUP'): Promise<ReloadResult> {
  return (await reloadConfigReport(target, path, by)).result;
}

/** reloadConfigFile, with what changed or every error; `by` (SIGHUP, an operator) goes into the log lines. */
export async function reloadConfigReport(target: ReloadTarget, path: string, by: string): Promise<ReloadReport> {
  const report = await reloadOnce(target, path, by);
  target.metrics.configReloads.inc({ result: report.result });
  return report;
}

/**
 * The reloads of one authenticator, one at a time, from SIGHUP and the Admin API alike. A
 * request during a reload waits for one more reload after it (the file may have changed
 * meanwhile); further requests meanwhile join that same one, so any number of requests cost
 * at most two reloads. Every reload is counted in airlock_config_reloads_total.
 */
export class ConfigReloader {
  private running: Promise<void> | undefined;
  private queued: { promise: Promise<ReloadReport>; by: string[] } | undefined;

  constructor(
    private readonly target: ReloadTarget,
    /** The configuration file the authenticator started with. */
    readonly file: string,
  ) {}

  /** Reloads after any reload in progress; `by` says who asked (logged). */
  reload(by: string): Promise<ReloadReport> {
    if (this.queued !== undefined) {
      this.queued.by.push(by);
      return this.queued.promise;
    }
    const start = (who: string): Promise<ReloadReport> => {
      const p = reloadConfigReport(this.target, this.file, who);
      const settled: Promise<void> = p.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        if (this.running === settled) this.running = undefined;
      });
      this.running = settled;
      return p;
    };
    if (this.running === undefined) return start(by);
    const waitingBy = [by];
    const promise = this.running.then(() => {
      this.queued = undefined;
      return start(waitingBy.join(', '));
    });
    this.queued = { promise, by: waitingBy };
    return promise;
  }
}

async function reloadOnce(target: ReloadTarget, path: string, by: string): Promise<ReloadReport> {
  const log = target.logger;
  const rejected = (errors: string[]): ReloadReport => ({ result: 'rejected', file: path, changed: [], restartNeeded: [], errors });
  const next = loadConfigFile(path);
  if (!next.ok) {
    const errors = formatConfigErrors(next.errors, path).split('\n');
    log.error({ file: path, by, errors }, 'configuration reload rejected: the file is invalid; the running configuration stays');
    return rejected(errors);
  }
  let r: ReloadOutcome;
  try {
    r = await target.reload(next.value);
  } catch (e) {
    const err = e instanceof Error ? e.message : String(e);
    log.error({ file: path, by, err }, 'configuration reload failed; the running configuration stays');
    return rejected([`the reload failed: ${err}`]);
  }
  if (!r.ok) {
    log.error({ file: path, by, errors: r.errors }, 'configuration reload rejected; the running configuration stays');
    return rejected(r.errors);
  }
  log.info({ file: path, by, applied: r.applied }, 'configuration reloaded');
  if (r.restartNeeded.length > 0) log.warn({ sections: r.restartNeeded }, 'these sections changed but take effect only after a restart; their running values stay');
  return { result: 'applied', file: path, changed: r.applied, restartNeeded: r.restartNeeded, errors: [] };
}
