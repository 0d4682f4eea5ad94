/**
 * Handshake admission, an endpoint-level module of the core: how many 4-way handshakes run
 * at once (the adaptive window of admission.ts, at most CoreOptions.maxHandshakesInFlight)
 * and who gets the slots (fair-admission.ts: per agent, then per BSS, in arrival order).
 * A station waiting for a slot has no timer running; the stations whose turn comes are
 * returned for the core to start.
 */
import { AdmissionWindow } from './admission.js';
import { FairAdmission } from './fair-admission.js';
import type { Association } from './records.js';
import type { CoreTiming } from './types.js';

export class HandshakeAdmission {
  private readonly window: AdmissionWindow;
  private readonly fair: FairAdmission<Association>;

  constructor(max: number, mode: 'adaptive' | 'fixed', private readonly timing: CoreTiming) {
    this.window = mode === 'fixed' ? new AdmissionWindow(max, max) : new AdmissionWindow(max);
    this.fair = new FairAdmission<Association>(() => this.window.limit, (st) => ({ agent: st.bss.cfg.agentId, bss: st.bss.key }));
  }

  /** May the station send msg 1/4 now? Else it waits its turn. */
  request(st: Association): boolean {
    return this.fair.request(st);
  }

  /** The station's slot (or place in the queue) is free again: the stations whose turn it is now. */
  release(st: Association): Association[] {
    if (!st.admitted && !st.waitingAdmission) return [];
    return this.fair.release(st);
  }

  /** Several stations give up their slots and places at once (their agent went away). */
  withdraw(stations: readonly Association[]): Association[] {
    return this.fair.withdraw(stations.filter((st) => st.admitted || st.waitingAdmission));
  }

  /**
   * A first transmission was answered after `rttMs` (Karn: only those); the window may grow
   * or shrink. Returns the stations whose turn came with a grown window.
   */
  answered(st: Association, rttMs: number, now: number): Association[] {
    if (!st.admitted) return [];
    const t = this.timing;
    this.window.sample(rttMs, st.bss.cfg.reportsTxStatus ? t.firstTimeoutMs : t.firstTimeoutNoTxStatusMs, now);
    return this.fair.waiting > 0 ? this.fair.pump() : [];
  }

  get inFlight(): number {
    return this.fair.inFlight;
  }

  get waiting(): number {
    return this.fair.waiting;
  }

  /** Handshakes allowed at once now. */
  get limit(): number {
    return this.window.limit;
  }
}
