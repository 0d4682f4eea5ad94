/**
 * RADIUS accounting sessions (RFC 2866, RFC 2869 §5.16 Acct-Interim-Interval), an
 * endpoint-level module of the core: a session starts when the station's port opens, sends
 * an Interim-Update every interval counted from its own start (so a fleet's updates spread
 * out instead of leaving together), and stops when the station leaves or loses its port.
 * The core only says what to send and when; the glue adds the traffic counters and sends.
 */
import type { Environment } from './environment.js';
import { usesIeee8021x, type Association } from './records.js';
import { isPskAkm } from '../suites.js';
import type { Effect } from './types.js';

export class Accounting {
  private counter = 0;

  /**
   * @param prefix random hex digits that make this core's Acct-Session-Ids unique
   * @param interimMs Interim-Update interval (0: none)
   */
  constructor(
    private readonly env: Environment,
    private readonly prefix: string,
    private interimMs: number,
  ) {}

  /** A fresh Acct-Session-Id (RFC 2866 §5.5). */
  newSessionId(): string {
    this.counter = (this.counter + 1) >>> 0;
    return `${this.prefix}${this.counter.toString(16).padStart(8, '0')}`.toUpperCase();
  }

  /** The port opened: the session starts (once). */
  start(st: Association): void {
    if (st.acctStartedAt !== undefined) return;
    st.acctStartedAt = this.env.now;
    this.env.emit(this.effect(st, 'start', 0));
    if (this.interimMs > 0) this.env.setTimer(st, 'interimAt', this.env.now + this.interimMs);
  }

  /**
   * A session that another authenticator started (an adopted station): it goes on with its
   * Acct-Session-Id and start time, without a new Start; its Interim-Updates come from here.
   */
  resume(st: Association, startedAt: number | undefined): void {
    if (startedAt === undefined || st.acctStartedAt !== undefined) return;
    st.acctStartedAt = Math.min(startedAt, this.env.now);
    if (this.interimMs > 0) this.env.setTimer(st, 'interimAt', this.env.now + this.interimMs);
  }

  /** The session ends (if it started) with an Acct-Terminate-Cause. */
  stop(st: Association, cause: number): void {
    if (st.acctStartedAt === undefined) return;
    this.env.emit(this.effect(st, 'stop', cause));
    st.acctStartedAt = undefined;
    this.env.setTimer(st, 'interimAt', Infinity);
  }

  /** The station's Interim-Update is due. */
  interim(st: Association): void {
    if (st.acctStartedAt === undefined || this.interimMs === 0) return;
    this.env.emit(this.effect(st, 'interim', 0));
    this.env.setTimer(st, 'interimAt', this.env.now + this.interimMs);
  }

  /** A new interval (configuration reload): each running session's next update moves to it. */
  setInterim(ms: number, sessions: Iterable<Association>): void {
    if (ms === this.interimMs) return;
    this.interimMs = ms;
    for (const st of sessions) {
      if (st.acctStartedAt === undefined) continue;
      this.env.setTimer(st, 'interimAt', ms > 0 ? this.env.now + ms : Infinity);
    }
  }

  private effect(st: Association, kind: 'start' | 'interim' | 'stop', cause: number): Effect {
    const bss = st.bss;
    const authz = st.authz;
    return {
      type: 'accounting',
      kind,
      bssid: bss.cfg.bssid,
      sta: st.sta,
      agentId: bss.cfg.agentId,
      ssid: bss.cfg.network.ssid,
      identity: authz?.identity ?? '',
      classes: authz?.classes ?? [],
      acctSessionId: st.acctSessionId,
      acctMultiSessionId: authz?.acctMultiSessionId ?? st.acctSessionId,
      akm: st.akm,
      pairwiseCipher: st.pairwiseCipher,
      groupCipher: bss.groupCipher,
      sessionTimeS: kind === 'start' ? 0 : Math.max(0, Math.round((this.env.now - st.acctStartedAt!) / 1000)),
      terminateCause: cause,
      authentic: usesIeee8021x(st.akm) || (isPskAkm(st.akm) && bss.cfg.network.pskSource === 'radius') ? 'radius' : 'local',
    };
  }
}
