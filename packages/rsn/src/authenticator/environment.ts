/**
 * What a machine of the core may do to the world: the environment AuthenticatorCore gives
 * the pairwise, port and GTK machines (hostapd's wpa_auth_callbacks, cut to what is not
 * protocol). Everything protocol lives in the machines and the endpoint modules; this is
 * time, randomness, output and timers.
 */
import type { Association, BssState } from './records.js';
import type { CoreTiming, Effect, Report, Transition } from './types.js';

/** The station timers, each a field of the Association; the station's deadline is the earliest. */
export type StationTimer = 'keyTimeoutAt' | 'paeTimeoutAt' | 'sessionEndAt' | 'interimAt';

export interface Environment {
  /** Virtual time of the current input, in ms. */
  readonly now: number;
  readonly timing: CoreTiming;
  /** Injected CSPRNG. */
  random(n: number): Buffer;
  /** Queue an effect for the glue (reports too: report()). */
  emit(e: Effect): void;
  /** A state transition (debug logging). */
  trace(t: Transition): void;
  /** A reference for an effect whose outcome comes back (TX status, command result, RADIUS). */
  nextRef(owner: Association | BssState): number;
  /** Set one of a station's timers; Infinity clears it. */
  setTimer(st: Association, timer: StationTimer, at: number): void;
  /** Set when a BSS's next GTK rekey is due; Infinity clears it. */
  setRekeyTimer(bss: BssState, at: number): void;
}

/** Queues an observation. */
export function report(env: Environment, r: Report): void {
  env.emit({ type: 'report', report: r });
}

/** Reports a dropped frame or event (counted by reason). */
export function dropped(env: Environment, bssid: Buffer, sta: Buffer, reason: string, detail: string): void {
  env.emit({ type: 'report', report: { kind: 'frame-dropped', bssid, sta, reason, detail } });
}
