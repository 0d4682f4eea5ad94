// The agent's log lines driven by what stations do (associations, departures, refusals,
// failed transmits, disconnections the authenticator asks for), rate-limited per BSS and
// kind of line (DESIGN.md "Security", "Fairness": a station spoofing many MACs costs only its
// own share of the log). One limiter per driver; the drivers key lines by BSSID.
import { SourceLog, type RateLimitedLevel } from '@airlock/log-limit';
import type { Logger } from 'pino';

/**
 * Per BSS and kind of line, 20 at once and 20 per 10 s after that (a burst of joins logs every
 * station); 200 per 10 s over all BSSes and kinds; 20 "suppressed" summaries per window.
 */
export const STATION_LOG_LIMITS = { burst: 20, intervalMs: 10_000, maxKeys: 4096, totalBurst: 200, maxSummaries: 20 } as const;

/** A rate-limited writer of station lines for one driver. */
export class StationLog {
  private readonly limit: SourceLog;

  /** Summaries of the rest go to `logger` (the driver's). `now`: the clock in ms (default performance.now). */
  constructor(private readonly logger: Logger, now?: () => number) {
    this.limit = new SourceLog({ source: 'station', logger, now, ...STATION_LOG_LIMITS });
  }

  /** Writes `msg` about a station of BSS `bssid` (as keyed: macKey or formatted) unless that BSS is over its rate for `what`. */
  write(level: RateLimitedLevel, bssid: string, what: string, obj: object, msg: string): boolean {
    return this.limit.write(this.logger, level, `${bssid}|${what}`, obj, msg);
  }

  /** Writes the pending summaries (the driver stops). */
  close(): void {
    this.limit.close();
  }
}
