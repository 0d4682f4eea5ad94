/**
 * The callbacks the machines use to act on the world — one place, as hostapd's
 * wpa_auth_callbacks: effects, reports, timers, randomness, key lookup. The core fills it.
 */
import type { BssState, ReceivedKey, StationState } from './state.js';
import type { CoreTiming, Effect, HandshakeResult, MicDiagnosis, Report, Transition } from './types.js';

/** What a machine step may do besides changing its own state. */
export interface MachineContext {
  /** Virtual time of the current input, in ms. */
  readonly now: number;
  readonly timing: CoreTiming;
  /** Injected CSPRNG. */
  random(n: number): Buffer;
  /** Queue an effect for the glue. */
  emit(e: Effect): void;
  /** Queue an observation. */
  report(r: Report): void;
  /** A state transition (debug logging). */
  trace(t: Transition): void;
  /** A reference for an effect whose outcome comes back (TX status, command result). */
  nextRef(owner: StationState | BssState): number;
  /** Set the target's single deadline. */
  schedule(t: StationState | BssState, at: number): void;
  /** Clear the target's deadline. */
  cancel(t: StationState | BssState): void;
  /** The PMKs to try for this station, in order (PSKs or the 802.1X PMK). */
  pmkCandidates(st: StationState): Buffer[];
  /** Explain an invalid msg 2/4 MIC (once per handshake). */
  diagnose(st: StationState, rk: ReceivedKey): MicDiagnosis | undefined;
  /** A station finished (or abandoned) its part of a GTK rekey. */
  groupKeyDone(bss: BssState): void;
  /**
   * May this station send msg 1/4 now? At most CoreOptions.maxHandshakesInFlight 4-way
   * handshakes run at once; the others wait their turn (in arrival order, no timer running).
   */
  admit(st: StationState): boolean;
  /** A msg 2/4 or 4/4 answered the EAPOL-Key frame sent last (admission round-trip sample). */
  keyAnswered(st: StationState): void;
  /** Close the current handshake record with a result. */
  finishHandshake(st: StationState, result: HandshakeResult, detail: string): void;
}
