/**
 * The authenticator core: every BSS and station of one authenticator, driven by events
 * and virtual time, answering with effects (IEEE 802.11-2020 §12.7). No I/O, no clock, no
 * randomness of its own. The glue calls handle()/tick() and schedules one timer for
 * nextDeadline().
 */
import { computePmkid, keyDescriptorVersionFor, PskCache, pskFromHex, tkLength, calculateEapolKeyMic, timingSafeEqualBytes, wipe } from '../crypto/index.js';
import { decodeEapol, decodeEapolKey, describeKeyMessage, decodeRsne, EapolType, encodeRsne, KeyInfo, rsneDefaults, zeroedMicCopy } from '../codec/index.js';
import { formatMac, macKey, PAE_GROUP_ADDRESS } from '../mac.js';
import { AKM, CIPHER, isPskAkm } from '../suites.js';
import { AdmissionWindow } from './admission.js';
import { FairAdmission } from './fair-admission.js';
import { MacBackoff, type MacBackoffOptions } from './mac-backoff.js';
import { PmksaCache, type PmksaEntry } from './pmksa-cache.js';
import { receiveEapResponse, receiveServerOutcome, stepBackend, stepPae, type PaeContext } from './pae-machine.js';
import { DeadlineQueue } from './deadline-queue.js';
import { diagnoseMicFailure, ssidVariants, type AaCandidate } from './diagnosis.js';
import { stepGroupKey } from './group-key-machine.js';
import { initGtk, stepGtk } from './gtk-machine.js';
import { stepPtk, wipePtk } from './ptk-machine.js';
import { Reason } from './reason-codes.js';
import { ReplayWindow } from './replay-window.js';
import { MAX_AUTH_ROUNDS, type BssState, type HandshakeRecord, type ReceivedKey, type StationState } from './state.js';
import {
  AcctTerminateCause,
  DEFAULT_TIMING,
  type RadiusOutcome,
  type BssConfig,
  type NetworkPolicy,
  type CoreEvent,
  type CoreTiming,
  type Effect,
  type HandshakeResult,
  type MicDiagnosis,
  type Report,
  type StationEntryView,
  type StationPhase,
  type Transition,
} from './types.js';

/** How the core is built: randomness and tracing are injected. */
export interface CoreOptions {
  /** CSPRNG (ANonces, GTKs). */
  random: (n: number) => Buffer;
  timing?: Partial<CoreTiming>;
  /** Called for every state transition (debug logging); keep it cheap. */
  trace?: (t: Transition) => void;
  /** Handshake records kept per station (default 8) and stations remembered (default 65536). */
  historyPerStation?: number;
  historyStations?: number;
  /** MIC-failure diagnoses allowed per second, core-wide (default 20). */
  diagnosesPerSecond?: number;
  /** Station bounds: an association beyond them is refused with reason 5 (default: none). */
  maxStationsPerBss?: number;
  maxStationsPerAgent?: number;
  /**
   * Stations of a BSS not yet authorized (associated, in EAP or the 4-way handshake): an
   * association beyond them is refused with reason 5 (default: none). The agent refuses
   * it first, with status 17 (Welcome settings), as hostapd past max_num_sta.
   */
  maxPendingPerBss?: number;
  /** Backoff for stations whose handshakes fail again and again (mac-backoff.ts; default: on, with its defaults). */
  macBackoff?: Partial<MacBackoffOptions> | false;
  /** Per-station EAPOL token bucket: frames per second sustained, and the burst (default: none). */
  eapolRate?: { perSecond: number; burst: number };
  /**
   * 4-way handshakes running at once (msg 1/4 sent, not yet finished); more stations wait in
   * arrival order before msg 1/4, with no timer running (default: no limit). A mass rejoin
   * then proceeds at the rate the authenticator can serve instead of timing out.
   */
  maxHandshakesInFlight?: number;
  /**
   * adaptive (default): fewer handshakes at once while answers come back slowly (admission.ts);
   * fixed: always maxHandshakesInFlight.
   */
  admission?: 'adaptive' | 'fixed';
  /**
   * Told when this core caches or forgets a PMKSA, so an authenticator made of several
   * cores (worker processes) can keep one PMKSA cache: the others importPmksa/forgetPmksa.
   */
  pmksaListener?: PmksaListener;
}

/** A PMKSA as it travels between cores: its lifetime is relative, each core has its own clock. */
export interface SharedPmksa extends Omit<PmksaEntry, 'expiresAt'> {
  remainingMs: number;
}

/** What a core reports of its PMKSA cache (CoreOptions.pmksaListener). */
export interface PmksaListener {
  cached(entry: SharedPmksa): void;
  forgotten(sta: Buffer, ssid: Buffer): void;
}

/** Why a BSS was refused. */
export interface BssError {
  code: 'bssid-in-use' | 'bad-rsne' | 'no-usable-akm' | 'no-usable-cipher' | 'changed';
  message: string;
}

/** A station as the admin API shows it (no key material). */
export interface StationView {
  sta: string;
  bssid: string;
  agentId: string;
  phase: StationPhase | undefined;
  ptkState: string;
  groupState: string;
  akm: number;
  pairwiseCipher: number;
  associatedAt: number;
  portAuthorized: boolean;
  /** VLAN assigned by RADIUS (0: none). */
  vlanId: number;
  handshake: HandshakeRecord | undefined;
}

const MAX_MACHINE_STEPS = 64;

/** The authenticator core. */
export class AuthenticatorCore implements PaeContext {
  readonly timing: CoreTiming;
  now = 0;
  private readonly rand: (n: number) => Buffer;
  private readonly traceFn: ((t: Transition) => void) | undefined;
  private readonly bsses = new Map<string, BssState>();
  private readonly stations = new Map<string, StationState>();
  private readonly timers = new DeadlineQueue<StationState | BssState>();
  private readonly refs = new Map<number, StationState | BssState>();
  private readonly histories = new Map<string, HandshakeRecord[]>();
  private readonly historyPerStation: number;
  private readonly historyStations: number;
  private readonly pskCache = new PskCache();
  private readonly dirtyBss = new Set<BssState>();
  private out: Effect[] = [];
  private refSeq = 0;
  private diagTokens: number;
  private diagRefillAt = 0;
  private readonly diagRate: number;
  private readonly maxPerBss: number;
  private readonly maxPerAgent: number;
  private readonly maxPendingPerBss: number;
  private readonly backoff: MacBackoff | undefined;
  private readonly eapolRate: { perSecond: number; burst: number } | undefined;
  private readonly admissionWindow: AdmissionWindow;
  /** The window's slots shared out per agent and per BSS (fair-admission.ts). */
  private readonly admission: FairAdmission<StationState>;
  private readonly agentStations = new Map<string, number>();
  private readonly pmksa = new PmksaCache();
  private readonly pmksaListener: PmksaListener | undefined;
  /** 802.1X quietWhile per station (after a failed authentication), by macKey. */
  private readonly quietUntil = new Map<string, number>();
  private readonly acctPrefix: string;
  private acctCounter = 0;

  constructor(opts: CoreOptions) {
    this.rand = opts.random;
    this.traceFn = opts.trace;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.historyPerStation = opts.historyPerStation ?? 8;
    this.historyStations = opts.historyStations ?? 65536;
    this.diagRate = opts.diagnosesPerSecond ?? 20;
    this.diagTokens = this.diagRate;
    this.maxPerBss = opts.maxStationsPerBss ?? Infinity;
    this.maxPerAgent = opts.maxStationsPerAgent ?? Infinity;
    this.maxPendingPerBss = opts.maxPendingPerBss ?? Infinity;
    this.backoff = opts.macBackoff === false ? undefined : new MacBackoff(opts.macBackoff);
    this.eapolRate = opts.eapolRate;
    const max = opts.maxHandshakesInFlight ?? Infinity;
    this.admissionWindow = opts.admission === 'fixed' ? new AdmissionWindow(max, max) : new AdmissionWindow(max);
    this.admission = new FairAdmission<StationState>(() => this.admissionWindow.limit, (st) => ({ agent: st.bss.cfg.agentId, bss: st.bss.key }));
    this.pmksaListener = opts.pmksaListener;
    this.acctPrefix = this.rand(4).toString('hex');
  }

  // ---- public API -------------------------------------------------------------------

  /** Caches a PMKSA another core made (the PMK is copied); not reported back to the listener. */
  importPmksa(e: SharedPmksa, now: number): void {
    if (e.remainingMs <= 0 || e.pmk.length < 16 || e.sta.length !== 6) return;
    const { remainingMs, ...rest } = e;
    this.pmksa.add({ ...rest, sta: Buffer.from(e.sta), ssid: Buffer.from(e.ssid), pmk: Buffer.from(e.pmk), classes: e.classes.map((c) => Buffer.from(c)), expiresAt: now + remainingMs });
  }

  /** Forgets a PMKSA another core forgot; not reported back to the listener. */
  forgetPmksa(sta: Buffer, ssid: Buffer): void {
    this.pmksa.forget(sta, ssid);
  }

  /** PMKSAs cached (metrics, tests). */
  get pmksaCount(): number {
    return this.pmksa.size;
  }

  /** Registers a BSS and starts its GTK machine (the first GTK is installed). */
  addBss(cfg: BssConfig, now: number): { ok: true; effects: Effect[] } | { ok: false; error: BssError } {
    const key = macKey(cfg.bssid);
    if (this.bsses.has(key)) return { ok: false, error: { code: 'bssid-in-use', message: `BSSID ${formatMac(cfg.bssid)} is already served` } };
    // A wired port without RSNE: IEEE 802.1X alone (hostapd ieee8021x=1, wpa=0).
    const keyManagement = !(cfg.wired && cfg.rsne.length === 0);
    const dec = keyManagement ? decodeRsne(cfg.rsne) : decodeRsne(encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [AKM.IEEE8021X], capabilities: 0 }));
    if (!dec.ok) return { ok: false, error: { code: 'bad-rsne', message: `advertised RSNE: ${dec.error.detail}` } };
    const r = rsneDefaults(dec.value);
    const akms = r.akms.filter((a) => cfg.network.akms.includes(a) && keyDescriptorVersionFor(a) !== 0);
    if (akms.length === 0) return { ok: false, error: { code: 'no-usable-akm', message: 'the advertised RSNE offers no AKM that the network allows' } };
    const pairwise = r.pairwiseCiphers.filter((c) => tkLength(c) > 0);
    if (pairwise.length === 0 || tkLength(r.groupCipher) === 0) return { ok: false, error: { code: 'no-usable-cipher', message: 'the advertised RSNE offers no supported cipher (CCMP/GCMP)' } };
    const bss: BssState = {
      kind: 'bss',
      cfg,
      key,
      groupCipher: r.groupCipher,
      pairwiseCiphers: pairwise,
      akms,
      keyManagement,
      gtkState: 'GTK_INIT',
      GN: 1,
      GM: 2,
      gtk: [undefined, undefined, undefined],
      txKeyId: 1,
      GTKReKey: false,
      GKeyDoneStations: 0,
      stations: new Set(),
      pending: 0,
      bssidText: formatMac(cfg.bssid),
      assocRsnes: new Map(),
      detached: false,
      deferred: false,
      timerGen: 0,
      deadline: Infinity,
    };
    this.bsses.set(key, bss);
    return { ok: true, effects: this.run(now, () => {
      // Warm the PSK cache so no handshake pays for PBKDF2 (invariant 8).
      for (const p of cfg.network.passphrases) this.psk(cfg.network.ssid, p);
      if (!keyManagement) return;
      initGtk(this, bss);
      this.dirtyBss.add(bss);
    }) };
  }

  /** Removes a BSS and drops its stations (their handshakes end as 'aborted'). */
  removeBss(bssid: Buffer, now: number, detail = 'BSS removed'): Effect[] {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return [];
    return this.run(now, () => {
      for (const st of [...bss.stations]) this.dropStation(st, 'aborted', detail, AcctTerminateCause.LostService, { reason: 0, initiator: 'agent' });
      this.cancel(bss);
      for (const [ref, owner] of this.refs) if (owner === bss) this.refs.delete(ref);
      this.bsses.delete(bss.key);
      this.dirtyBss.delete(bss);
      for (const g of bss.gtk) wipe(g);
    });
  }

  /**
   * The BSS's agent is gone, for now (reconnect grace): its stations keep their keys,
   * authorization and replay counters; their timers and the BSS's GTK rekeys wait until
   * attachBss. Nothing is sent meanwhile (there is nobody to send to). Its handshakes give
   * their admission slots back at once (they restart when the agent returns and reports
   * them), so other agents' stations waiting for one start now: the returned effects.
   */
  detachBss(bssids: Buffer | readonly Buffer[], now = this.now): Effect[] {
    const gone: BssState[] = [];
    for (const bssid of Buffer.isBuffer(bssids) ? [bssids] : bssids) {
      const bss = this.bsses.get(macKey(bssid));
      if (bss === undefined) continue;
      bss.detached = true;
      gone.push(bss);
    }
    return this.run(now, () => {
      // Every slot and place in the queue first, then one round of grants (to the others).
      const holders: StationState[] = [];
      for (const bss of gone) for (const st of bss.stations) if (st.admitted || st.waitingAdmission) holders.push(st);
      this.startAdmitted(this.admission.withdraw(holders));
    });
  }

  /** True when the BSS is registered and detached. */
  isDetached(bssid: Buffer): boolean {
    return this.bsses.get(macKey(bssid))?.detached === true;
  }

  /**
   * The agent is back within its grace period and announces the BSS again. Same RSNE, SSID
   * and port kind: the BSS resumes with its stations and GTKs, and what came due while it
   * was detached runs now. Else 'changed' (the caller removes and re-adds it).
   */
  attachBss(cfg: BssConfig, now: number): { ok: true; effects: Effect[] } | { ok: false; error: BssError } {
    const bss = this.bsses.get(macKey(cfg.bssid));
    if (bss === undefined || !bss.detached) return { ok: false, error: { code: 'bssid-in-use', message: `BSSID ${formatMac(cfg.bssid)} is not waiting for its agent` } };
    const old = bss.cfg;
    if (!old.rsne.equals(cfg.rsne) || !old.network.ssid.equals(cfg.network.ssid) || old.wired !== cfg.wired || old.agentId !== cfg.agentId) {
      return { ok: false, error: { code: 'changed', message: 'the BSS came back with another RSNE, SSID, port kind or agent' } };
    }
    bss.cfg = { ...cfg, network: old.network };
    bss.detached = false;
    return { ok: true, effects: this.run(now, () => {
      if (bss.deferred) {
        bss.deferred = false;
        this.timers.schedule(bss, now);
      }
      for (const st of bss.stations) {
        if (!st.deferred) continue;
        st.deferred = false;
        this.onStationTimers(st, now);
      }
      if (bss.keyManagement) this.dirtyBss.add(bss); // whatever the GTK machine skipped while detached
    }) };
  }

  /**
   * Reconciles a BSS with the stations its agent reports in Hello (after a reconnect, or
   * when the authenticator restarted). A station the core holds authorized, and that the
   * agent reports with its key installed and port open, stays as it is. One in the middle
   * of a handshake restarts it. One the agent no longer has left meanwhile. One the core
   * cannot vouch for - unknown here, or authorized here but without key or port at the
   * agent - is disconnected so it authenticates again.
   */
  reconcile(bssid: Buffer, entries: readonly StationEntryView[], now: number): Effect[] {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return [];
    return this.run(now, () => {
      const reported = new Map<string, StationEntryView>();
      for (const e of entries) reported.set(macKey(e.sta), e);
      for (const st of [...bss.stations]) {
        const e = reported.get(st.key);
        reported.delete(st.key);
        if (e === undefined) {
          this.dropStation(st, 'aborted', 'left while its agent was away', AcctTerminateCause.LostCarrier, { reason: 0, initiator: 'agent' });
          continue;
        }
        if (st.phase === 'authorized') {
          // A rekey in flight (PTK, GTK, 802.1X reauthentication) resumes with its timers.
          if (e.portAuthorized && (e.pairwiseKeyInstalled || !bss.keyManagement)) continue;
          st.disconnectReason = Reason.PREV_AUTH_NOT_VALID;
          st.Disconnect = true;
          st.terminateCause = AcctTerminateCause.LostCarrier;
          this.finishHandshake(st, 'aborted', 'the agent lost the key or port state while away');
          this.runStation(st);
          continue;
        }
        // A handshake was in flight when the agent went away: start it again.
        this.onAssociated(bssid, e.sta, e.rsne.length > 0 ? e.rsne : st.assocRsne, true);
      }
      for (const e of reported.values()) {
        this.emit({ type: 'disconnect', bssid, sta: e.sta, reason: Reason.PREV_AUTH_NOT_VALID, deauth: true });
        this.report({ kind: 'frame-dropped', bssid, sta: e.sta, reason: 'unknown_station_in_hello', detail: 'a station the authenticator holds no keys for: disconnected so it authenticates again' });
      }
    });
  }

  /** Feeds one event. */
  handle(ev: CoreEvent, now: number): Effect[] {
    return this.run(now, () => {
      switch (ev.type) {
        case 'associated':
          this.onAssociated(ev.bssid, ev.sta, ev.rsne, ev.reassociation);
          break;
        case 'disassociated':
          this.onDisassociated(ev.bssid, ev.sta, ev.reason, ev.locallyGenerated);
          break;
        case 'eapol':
          this.onEapol(ev.bssid, ev.sta, ev.frame);
          break;
        case 'tx-status':
          this.onTxStatus(ev.ref, ev.acked);
          break;
        case 'command-result':
          this.onCommandResult(ev.ref, ev.ok, ev.error ?? '');
          break;
        case 'radius-response':
          this.onRadiusResponse(ev.ref, ev);
          break;
        default: {
          const never: never = ev;
          throw new Error(`unknown event ${JSON.stringify(never)}`);
        }
      }
    });
  }

  /** Advances virtual time: fires every deadline <= now. */
  tick(now: number): Effect[] {
    return this.run(now, () => {
      for (let t = this.timers.popDue(now); t !== undefined; t = this.timers.popDue(now)) {
        if ((t.kind === 'sta' ? t.bss : t).detached) {
          t.deferred = true; // fires on attachBss
          continue;
        }
        if (t.kind === 'sta') {
          this.onStationTimers(t, now);
        } else {
          t.GTKReKey = true;
          this.dirtyBss.add(t);
        }
      }
    });
  }

  /** The earliest pending deadline (ms, virtual time), or undefined. */
  nextDeadline(): number | undefined {
    return this.timers.peek();
  }

  /** Starts a GTK rekey on a BSS now (operator request). */
  rekeyGroup(bssid: Buffer, now: number): Effect[] | undefined {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined || !bss.keyManagement) return undefined;
    return this.run(now, () => {
      bss.GTKReKey = true;
      this.dirtyBss.add(bss);
    });
  }

  /** Disconnects a station now (operator request). */
  disconnectStation(sta: Buffer, reason: number, now: number): Effect[] | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) return undefined;
    return this.run(now, () => {
      st.disconnectReason = reason;
      st.Disconnect = true;
      st.terminateCause = AcctTerminateCause.AdminReset;
      this.finishHandshake(st, 'aborted', 'disconnected by the operator');
      this.runStation(st);
    });
  }

  /**
   * The station associated at `at` (this core's clock) with a BSS another core serves (a
   * cluster worker): if it is still here from an earlier association, it left, as on a
   * roam between two BSSes of this core: its port closes and its key goes at the BSS it left.
   */
  stationMovedAway(sta: Buffer, at: number, now: number): Effect[] | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined || st.associatedAt >= at) return undefined;
    return this.run(now, () => {
      const hadKey = st.PTK_valid || st.portAuthorized;
      const old = st.bss.cfg.bssid;
      this.dropStation(st, 'aborted', 'station associated with a BSS served elsewhere', undefined, { reason: 0, initiator: 'station' });
      if (hadKey) {
        this.emit({ type: 'set-port', bssid: old, sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
        this.emit({ type: 'remove-pairwise-key', bssid: old, sta });
      }
    });
  }

  /**
   * A configuration reload: the BSSes serving `policy.ssid` take the new policy. New
   * passphrases apply from the next handshake (keys in use stay); a changed rekey interval
   * restarts the BSS's rekey timer (0: no more periodic rekeys).
   */
  updateNetwork(policy: NetworkPolicy, now: number): Effect[] {
    return this.run(now, () => {
      for (const bss of this.bsses.values()) {
        if (!bss.cfg.network.ssid.equals(policy.ssid)) continue;
        const intervalChanged = bss.cfg.network.groupRekeyMs !== policy.groupRekeyMs;
        bss.cfg = { ...bss.cfg, network: policy };
        if (intervalChanged && bss.gtkState === 'SETKEYSDONE' && !bss.detached) {
          if (policy.groupRekeyMs > 0) this.schedule(bss, now + policy.groupRekeyMs);
          else this.cancel(bss);
        }
      }
    });
  }

  /** Every BSS: its agent, SSID, and whether its agent is away (reconnect grace). */
  bssViews(): { bssid: string; agentId: string; ssid: string; detached: boolean }[] {
    return [...this.bsses.values()].map((b) => ({ bssid: formatMac(b.cfg.bssid), agentId: b.cfg.agentId, ssid: b.cfg.network.ssid.toString('utf8'), detached: b.detached }));
  }

  /** BSSes served now, by SSID (hex) (a reload must not take an SSID away from them). */
  servedSsids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const bss of this.bsses.values()) {
      const k = bss.cfg.network.ssid.toString('hex');
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  }

  /** Whether the core holds this station (associated, in any state). */
  holds(sta: Buffer): boolean {
    return this.stations.has(macKey(sta));
  }

  /** A station's current state, or undefined. */
  station(sta: Buffer): StationView | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) return undefined;
    return {
      sta: formatMac(st.sta),
      bssid: st.bss.bssidText,
      agentId: st.bss.cfg.agentId,
      phase: st.phase,
      ptkState: st.ptkState,
      groupState: st.groupState,
      akm: st.akm,
      pairwiseCipher: st.pairwiseCipher,
      associatedAt: st.associatedAt,
      portAuthorized: st.portAuthorized,
      vlanId: st.vlanId,
      handshake: st.handshake,
    };
  }

  /** Every station (views). */
  *allStations(): Iterable<StationView> {
    for (const st of this.stations.values()) yield this.station(st.sta)!;
  }

  /** Recent finished handshakes of a station, newest first (kept after it leaves). */
  history(sta: Buffer): HandshakeRecord[] {
    return [...(this.histories.get(macKey(sta)) ?? [])];
  }

  /** Station counts by phase. */
  phaseCounts(): Record<StationPhase, number> {
    const c = { associated: 0, authenticating: 0, authorized: 0 };
    for (const st of this.stations.values()) if (st.phase) c[st.phase]++;
    return c;
  }

  /** The GTK key id currently used for transmission on a BSS (tests, admin). */
  groupKeyId(bssid: Buffer): number | undefined {
    return this.bsses.get(macKey(bssid))?.txKeyId;
  }

  /** Number of registered BSSes and stations. */
  get size(): { bsses: number; stations: number } {
    return { bsses: this.bsses.size, stations: this.stations.size };
  }

  // ---- MachineContext -------------------------------------------------------------

  random(n: number): Buffer {
    return this.rand(n);
  }

  emit(e: Effect): void {
    this.out.push(e);
  }

  report(r: Report): void {
    this.out.push({ type: 'report', report: r });
  }

  trace(t: Transition): void {
    this.traceFn?.(t);
  }

  nextRef(owner: StationState | BssState): number {
    const ref = ++this.refSeq;
    this.refs.set(ref, owner);
    return ref;
  }

  schedule(t: StationState | BssState, at: number): void {
    if (t.kind === 'bss') return this.timers.schedule(t, at);
    t.keyTimeoutAt = at;
    this.resyncTimer(t);
  }

  cancel(t: StationState | BssState): void {
    if (t.kind === 'bss') return this.timers.cancel(t);
    t.keyTimeoutAt = Infinity;
    this.resyncTimer(t);
  }

  schedulePae(st: StationState, at: number): void {
    st.paeTimeoutAt = at;
    this.resyncTimer(st);
  }

  authenticationFailed(st: StationState, result: 'reject' | 'timeout', detail: string): void {
    if (st.auth !== undefined) st.auth.result = result;
    this.report({ kind: 'eap', bssid: st.bss.cfg.bssid, sta: st.sta, result, detail, agentId: st.bss.cfg.agentId, auth: st.auth });
    this.finishHandshake(st, result === 'reject' ? 'rejected' : 'timeout', `802.1X: ${detail}`);
    this.forgetOwnPmksa(st);
    if (result === 'reject') {
      // quietWhile follows a failed authentication (HELD), not a timeout (ABORTING).
      this.quietUntil.delete(st.key);
      this.quietUntil.set(st.key, this.now + this.timing.quietPeriodMs);
      if (this.quietUntil.size > this.historyStations) {
        const oldest = this.quietUntil.keys().next().value;
        if (oldest !== undefined) this.quietUntil.delete(oldest);
      }
    }
    if (st.portAuthorized) {
      // IEEE 802.1X-2004 HELD: portStatus = Unauthorized at once (a failed reauthentication).
      this.emit({ type: 'set-port', bssid: st.bss.cfg.bssid, sta: st.sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
      st.portAuthorized = false;
      this.setPhase(st, 'authenticating');
    }
    // EAP-Failure is on its way; disconnect once the station had time to receive it.
    st.failurePending = true;
    this.schedulePae(st, this.now + this.timing.failureDisconnectMs);
  }

  authenticationSucceeded(st: StationState): void {
    const bss = st.bss;
    if (st.auth !== undefined) {
      st.auth.result = 'accept';
      st.auth.vlanId = st.vlanId;
      st.auth.sessionTimeoutS = st.sessionTimeoutS;
    }
    this.report({ kind: 'eap', bssid: bss.cfg.bssid, sta: st.sta, result: 'accept', detail: 'Access-Accept', agentId: bss.cfg.agentId, auth: st.auth });
    if (!bss.keyManagement) {
      // IEEE 802.1X-2004 §8.2.4: AUTHENTICATED opens the port; there are no keys to install.
      st.sessionEndAt = st.sessionTimeoutS > 0 ? this.now + st.sessionTimeoutS * 1000 : Infinity;
      this.resyncTimer(st);
      st.portRef = this.nextRef(st);
      this.emit({ type: 'set-port', bssid: bss.cfg.bssid, sta: st.sta, authorized: true, vlanId: st.vlanId, sessionTimeoutS: st.sessionTimeoutS, ref: st.portRef });
      this.finishHandshake(st, 'success', '802.1X: EAP success (port without key management)');
      return;
    }
    st.pmkid = this.msg1Pmkid(st, st.PMK!);
    const lifetime = Math.min(this.timing.pmksaLifetimeMs, st.sessionTimeoutS > 0 ? st.sessionTimeoutS * 1000 : Infinity);
    const entry: PmksaEntry = {
      sta: Buffer.from(st.sta),
      ssid: bss.cfg.network.ssid,
      pmk: Buffer.from(st.PMK!),
      akm: st.akm,
      expiresAt: this.now + lifetime,
      identity: st.identity ?? '',
      classes: st.classes,
      vlanId: st.vlanId,
      sessionTimeoutS: st.sessionTimeoutS,
      terminationAction: st.terminationAction,
      acctMultiSessionId: st.acctMultiSessionId,
    };
    this.pmksa.add(entry);
    if (this.pmksaListener !== undefined) {
      const { expiresAt: _, ...shared } = entry;
      this.pmksaListener.cached({ ...shared, pmk: Buffer.from(entry.pmk), remainingMs: lifetime });
    }
    this.report({ kind: 'pmksa', bssid: bss.cfg.bssid, sta: st.sta, event: 'cached' });
    st.sessionEndAt = st.sessionTimeoutS > 0 ? this.now + st.sessionTimeoutS * 1000 : Infinity;
    this.resyncTimer(st);
    // A reauthentication of a station with a PTK in use: a new 4-way handshake with the new PMK.
    if (st.ptkState === 'PTKINITDONE') st.ReAuthenticationRequest = true;
  }

  /** Forgets the station's PMKSA here and in the other cores. */
  private forgetOwnPmksa(st: StationState): void {
    this.pmksa.forget(st.sta, st.bss.cfg.network.ssid);
    this.pmksaListener?.forgotten(st.sta, st.bss.cfg.network.ssid);
  }

  /**
   * The PMKID of msg 1/4 (802.1X AKMs). Wired ports: wpa_supplicant's wired driver derives
   * it with AA = the source address of the EAPOL frame (the agent's interface MAC) while it
   * uses the BSSID (the PAE group address) as the AA of the PTK; a PMKID made with the BSSID
   * makes it abort the handshake ("RSN: PMKID mismatch"). So on a wired port: the interface
   * MAC the agent announced, or no PMKID KDE when it announced none.
   */
  private msg1Pmkid(st: StationState, pmk: Buffer): Buffer | undefined {
    const cfg = st.bss.cfg;
    if (!cfg.wired) return computePmkid(pmk, cfg.bssid, st.sta, st.akm);
    return cfg.interfaceMac !== undefined ? computePmkid(pmk, cfg.interfaceMac, st.sta, st.akm) : undefined;
  }

  loggedOff(st: StationState): void {
    this.accountingStop(st, AcctTerminateCause.UserRequest);
    if (st.portAuthorized) this.emit({ type: 'set-port', bssid: st.bss.cfg.bssid, sta: st.sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
    st.portAuthorized = false;
    this.setPhase(st, 'authenticating');
    this.finishHandshake(st, 'aborted', 'EAPOL-Logoff');
    this.forgetOwnPmksa(st);
    st.sessionEndAt = Infinity;
    // The PTK goes (INITIALIZE removes it); the association stays and 802.1X starts over.
    st.Init = true;
    st.AuthenticationRequest = true;
  }

  pmkCandidates(st: StationState): Buffer[] {
    if (!isPskAkm(st.akm)) return st.PMK !== undefined ? [st.PMK] : [];
    const net = st.bss.cfg.network;
    const own = net.stationPassphrases.get(st.key);
    const out: Buffer[] = [];
    if (own) for (const p of own) out.push(this.psk(net.ssid, p));
    for (const p of net.passphrases) out.push(this.psk(net.ssid, p));
    return out;
  }

  diagnose(st: StationState, rk: ReceivedKey): MicDiagnosis | undefined {
    // Bounded: a station sending garbage must not make the core burn CPU on PBKDF2.
    const now = this.now;
    this.diagTokens = Math.min(this.diagRate, this.diagTokens + ((now - this.diagRefillAt) / 1000) * this.diagRate);
    this.diagRefillAt = now;
    if (this.diagTokens < 1) return undefined;
    this.diagTokens -= 1;
    const bss = st.bss;
    const net = bss.cfg.network;
    const ssid = net.ssid.toString('utf8');
    const aaCandidates: AaCandidate[] = [];
    if (bss.cfg.interfaceMac) aaCandidates.push({ aa: bss.cfg.interfaceMac, label: `the interface MAC of agent ${bss.cfg.agentId}` });
    aaCandidates.push({ aa: PAE_GROUP_ADDRESS, label: 'the PAE group address' });
    for (const other of this.bsses.values()) {
      if (other === bss || other.cfg.agentId !== bss.cfg.agentId) continue;
      aaCandidates.push({ aa: other.cfg.bssid, label: `BSSID of another BSS of agent ${bss.cfg.agentId}` });
      if (other.cfg.interfaceMac) aaCandidates.push({ aa: other.cfg.interfaceMac, label: `an interface MAC of agent ${bss.cfg.agentId}` });
    }
    for (const delta of [1, -1, 2, -2]) {
      const aa = Buffer.from(bss.cfg.bssid);
      aa[5] = (aa[5] + delta + 256) & 0xff;
      aaCandidates.push({ aa, label: 'an adjacent BSSID' });
    }
    const otherStationPmks: { pmk: Buffer; sta: string }[] = [];
    for (const [k, list] of net.stationPassphrases) {
      if (k === st.key) continue;
      for (const p of list) otherStationPmks.push({ pmk: this.psk(net.ssid, p), sta: formatMac(Buffer.from(k, 'hex')) });
      if (otherStationPmks.length >= 64) break;
    }
    const otherSsids = [...new Set([...this.bsses.values()].map((b) => b.cfg.network.ssid.toString('utf8')))].filter((s) => s !== ssid);
    // The PSKs made for the diagnosis are copies (PskCache.get): wiped once it is done.
    const variantPmks: Buffer[] = [];
    // Under SSID variants: the station's own per-station passphrases too (a network may have
    // only station_psks), not hex PSKs (they do not depend on the SSID).
    const variantPassphrases = [...(net.stationPassphrases.get(st.key) ?? []), ...net.passphrases].filter((p) => pskFromHex(p) === undefined);
    const diagnosis = diagnoseMicFailure({
      zeroed: rk.zeroed,
      mic: rk.mic,
      descriptorVersion: st.descriptorVersion,
      akm: st.akm,
      cipher: st.pairwiseCipher,
      bssid: bss.cfg.bssid,
      sta: st.sta,
      anonce: st.ANonce,
      snonce: rk.nonce,
      previousANonces: st.previousANonces,
      pmks: st.pmkCandidates,
      psk: isPskAkm(st.akm),
      ssid,
      aaCandidates,
      otherStationPmks,
      ssidVariantPmks: () =>
        ssidVariants(ssid, otherSsids).flatMap((v) =>
          variantPassphrases.map((p) => {
            const pmk = this.psk(Buffer.from(v, 'utf8'), p);
            variantPmks.push(pmk);
            return { pmk, ssid: v };
          }),
        ),
    });
    for (const o of otherStationPmks) wipe(o.pmk);
    for (const k of variantPmks) wipe(k);
    return diagnosis;
  }

  groupKeyDone(bss: BssState): void {
    bss.GKeyDoneStations--;
    this.dirtyBss.add(bss);
  }

  admit(st: StationState): boolean {
    return this.admission.request(st);
  }

  /** Handshakes running, and stations waiting for a slot (admin, tests). */
  handshakeLoad(): { inFlight: number; waiting: number } {
    return { inFlight: this.admission.inFlight, waiting: this.admission.waiting };
  }

  /** Handshakes allowed at once now (the admission window, at most maxHandshakesInFlight). */
  admissionLimit(): number {
    return this.admissionWindow.limit;
  }

  keyAnswered(st: StationState): void {
    // Only first transmissions: an answer to a retransmission has no clear round trip (Karn).
    if (st.TimeoutCtr !== 1 || !st.admitted) return;
    const t = this.timing;
    this.admissionWindow.sample(this.now - st.keySentAt, st.bss.cfg.reportsTxStatus ? t.firstTimeoutMs : t.firstTimeoutNoTxStatusMs, this.now);
    if (this.admission.waiting > 0) this.startAdmitted(this.admission.pump()); // the window may have grown
  }

  /** A station's handshake slot (or place in the queue) is free again: the stations whose turn it is start. */
  private release(st: StationState): void {
    if (!st.admitted && !st.waitingAdmission) return;
    this.startAdmitted(this.admission.release(st));
  }

  /** Stations that just got a handshake slot start (their next step passes admit()). */
  private startAdmitted(stations: StationState[]): void {
    for (const next of stations) {
      // A station of a BSS whose agent is away gives its turn on (it restarts on return).
      if (next.bss.detached) this.release(next);
      else this.runStation(next);
    }
  }

  finishHandshake(st: StationState, result: HandshakeResult, detail: string): void {
    this.release(st); // before the early return: a slot is held also without a record
    const hs = st.handshake;
    if (hs === undefined || hs.result !== undefined) return;
    if (result === 'success') this.backoff?.succeeded(backoffKey(st.sta, st.bss));
    else if (result !== 'aborted') this.backoff?.failed(backoffKey(st.sta, st.bss), this.now);
    hs.result = result;
    hs.detail = detail;
    hs.endedAt = this.now;
    let list = this.histories.get(st.key);
    if (list === undefined) {
      if (this.histories.size >= this.historyStations) {
        const oldest = this.histories.keys().next().value;
        if (oldest !== undefined) this.histories.delete(oldest);
      }
      list = [];
      this.histories.set(st.key, list);
    }
    list.unshift(hs);
    if (list.length > this.historyPerStation) list.length = this.historyPerStation;
    this.report({ kind: 'handshake', bssid: st.bss.cfg.bssid, sta: st.sta, result, akm: st.akm, detail });
  }

  // ---- events ----------------------------------------------------------------------

  private run(now: number, body: () => void): Effect[] {
    this.now = now;
    this.out = [];
    body();
    // GTK machines last: station steps may have finished their part of a rekey.
    for (let guard = 0; this.dirtyBss.size > 0 && guard < MAX_MACHINE_STEPS; guard++) {
      const [bss] = this.dirtyBss;
      this.dirtyBss.delete(bss);
      if (this.bsses.get(bss.key) !== bss || bss.detached) continue; // a detached BSS rekeys on attach
      while (stepGtk(this, bss, (st) => this.runStation(st)));
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  private onAssociated(bssid: Buffer, sta: Buffer, rsne: Buffer, reassociation: boolean): void {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return this.drop(bssid, sta, 'unknown_bssid', 'association on a BSSID no agent announced');
    const existing = this.stations.get(macKey(sta));
    let carried: { anonces: Buffer[]; replay: ReplayWindow } | undefined;
    if (existing !== undefined) {
      // Invariant 2: a duplicated association event must not silently restart the
      // handshake (a new ANonce would make the station's msg 2/4 fail). Same BSS, same
      // RSNE, handshake still waiting for msg 2/4: the station's state is unchanged, so the
      // pending msg 1/4 (and its retransmissions) remain valid. Count it and go on.
      const early = existing.ptkState === 'PTKSTART' || existing.ptkState === 'PTKCALCNEGOTIATING';
      if (existing.bss === bss && !reassociation && early && existing.assocRsne.equals(rsne)) {
        this.report({ kind: 'duplicate-association', bssid, sta });
        return this.drop(bssid, sta, 'duplicate_association', 'association event for a station already in its handshake');
      }
      // A real (re)association: the standard restarts the security association. Keep the
      // ANonces for the MIC-failure diagnosis (a late answer to them is a stale ANonce) and
      // keep the replay counter increasing: if the event was a duplicate, the station still
      // holds the counters it saw; a station that did reassociate accepts any.
      existing.replay.invalidateAll();
      carried = { anonces: [existing.ANonce, ...existing.previousANonces].filter((n) => n.length > 0).slice(0, 2), replay: existing.replay };
      const moved = existing.bss !== bss;
      const hadKey = existing.PTK_valid || existing.portAuthorized;
      this.dropStation(existing, 'aborted', reassociation ? 'station reassociated' : 'station associated again', undefined, { reason: 0, initiator: 'station' });
      if (moved && hadKey) {
        // The station is now elsewhere (possibly on another agent): the BSS it left must
        // not keep its key installed or its port open.
        const old = existing.bss.cfg.bssid;
        this.emit({ type: 'set-port', bssid: old, sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
        this.emit({ type: 'remove-pairwise-key', bssid: old, sta });
      }
    }
    const refusedUntil = this.backoff?.refusedUntil(backoffKey(sta, bss), this.now);
    if (refusedUntil !== undefined) {
      this.emit({ type: 'disconnect', bssid, sta, reason: Reason.UNSPECIFIED, deauth: true });
      return this.drop(bssid, sta, 'mac_backoff', `association refused for another ${Math.ceil(refusedUntil - this.now)} ms: the station's handshakes failed again and again`);
    }
    if (this.full(bss)) {
      this.emit({ type: 'disconnect', bssid, sta, reason: Reason.AP_FULL, deauth: false });
      this.report({ kind: 'handshake', bssid, sta, result: 'rejected', akm: 0, detail: 'station limit of the BSS or agent reached' });
      return this.drop(bssid, sta, 'station_limit', 'association refused: station limit reached');
    }
    if (bss.pending >= this.maxPendingPerBss) {
      this.emit({ type: 'disconnect', bssid, sta, reason: Reason.AP_FULL, deauth: false });
      this.report({ kind: 'handshake', bssid, sta, result: 'rejected', akm: 0, detail: 'limit of stations not yet authorized on the BSS reached' });
      return this.drop(bssid, sta, 'pending_limit', 'association refused: too many stations of the BSS are not yet authorized');
    }
    let akm: number;
    let cipher: number;
    if (bss.cfg.wired && rsne.length === 0) {
      // Wired port without association frame: the port policy decides (checked in msg 2/4).
      akm = bss.akms[0]!;
      cipher = bss.pairwiseCiphers[0]!;
    } else {
      const sel = this.selectSuites(bss, rsne);
      if ('reason' in sel) {
        this.emit({ type: 'disconnect', bssid, sta, reason: sel.reason, deauth: true });
        this.report({ kind: 'handshake', bssid, sta, result: 'rejected', akm: 0, detail: sel.detail });
        return;
      }
      akm = sel.akm;
      cipher = sel.cipher;
    }
    const st = this.createStation(bss, sta, rsne, akm, cipher);
    if (carried !== undefined) {
      st.previousANonces = carried.anonces;
      st.replay = carried.replay;
    }
    if (!isPskAkm(akm)) this.start8021x(st, rsne);
    st.AuthenticationRequest = true;
    this.runStation(st);
  }

  /** 802.1X AKM: a cached PMKSA skips EAP entirely (invariant 9); else EAP starts. */
  private start8021x(st: StationState, rsne: Buffer): void {
    const dec = rsne.length > 0 ? decodeRsne(rsne) : undefined;
    const pmkids = dec !== undefined && dec.ok ? (dec.value.pmkids ?? []) : [];
    const e = this.pmksa.lookup(st.sta, st.bss.cfg.network.ssid, st.bss.cfg.bssid, pmkids, this.now);
    st.portEnabled = true;
    if (e !== undefined) {
      st.PMK = Buffer.from(e.pmk);
      st.pmkid = this.msg1Pmkid(st, e.pmk);
      st.identity = e.identity;
      st.classes = e.classes;
      st.vlanId = e.vlanId;
      st.sessionTimeoutS = e.sessionTimeoutS;
      st.terminationAction = e.terminationAction;
      st.acctMultiSessionId = e.acctMultiSessionId;
      st.auth = { identity: e.identity, method: 0, rounds: [], roundsTotal: 0, result: 'accept', pmksaCached: true, vlanId: e.vlanId, sessionTimeoutS: e.sessionTimeoutS };
      st.paeState = 'AUTHENTICATED';
      st.backendState = 'IDLE';
      st.keyRun = true;
      const left = e.expiresAt - this.now;
      st.sessionEndAt = e.sessionTimeoutS > 0 ? this.now + Math.min(left, e.sessionTimeoutS * 1000) : Infinity;
      this.resyncTimer(st);
      this.report({ kind: 'pmksa', bssid: st.bss.cfg.bssid, sta: st.sta, event: 'used' });
      return;
    }
    const quiet = this.quietUntil.get(st.key);
    if (quiet !== undefined && quiet > this.now) {
      // IEEE 802.1X HELD: the station is ignored for the rest of quietWhile.
      st.paeState = 'HELD';
      st.backendState = 'IDLE';
      this.schedulePae(st, quiet);
    }
  }

  private onRadiusResponse(ref: number, r: RadiusOutcome): void {
    const st = this.refs.get(ref);
    this.refs.delete(ref);
    if (st === undefined || st.kind !== 'sta' || this.stations.get(st.key) !== st || st.radiusRef !== ref) return;
    const auth = st.auth;
    if (auth !== undefined && r.server !== undefined && r.rttMs !== undefined) {
      // Bounded per station: the first rounds kept, the rest counted.
      if (auth.rounds.length < MAX_AUTH_ROUNDS) auth.rounds.push({ server: r.server, rttMs: r.rttMs });
      auth.roundsTotal++;
    }
    let outcome = r;
    if (r.outcome === 'accept') {
      if (r.msk === undefined || r.msk.length < 32) {
        // An RSNA needs the MSK: an Accept without MS-MPPE keys cannot go on.
        outcome = { outcome: 'reject', eap: undefined };
        this.drop(st.bss.cfg.bssid, st.sta, 'accept_without_msk', 'Access-Accept without MS-MPPE keys');
      } else {
        st.PMK = Buffer.from(r.msk.subarray(0, 32)); // PMK = first 32 octets of the MSK
        st.sessionTimeoutS = r.sessionTimeoutS ?? 0;
        st.terminationAction = r.terminationAction ?? 0;
        st.vlanId = r.vlanId ?? 0;
        st.classes = r.classes ?? [];
        if (r.userName) {
          st.identity = r.userName;
          if (auth !== undefined) auth.userName = r.userName;
        }
      }
    }
    const why = receiveServerOutcome(st, outcome);
    if (why !== undefined) this.drop(st.bss.cfg.bssid, st.sta, why, `RADIUS ${r.outcome} in backend state ${st.backendState}`);
    this.runStation(st);
  }

  private onStationTimers(st: StationState, now: number): void {
    if (st.keyTimeoutAt <= now) {
      st.keyTimeoutAt = Infinity;
      st.TimeoutEvt = true;
    }
    if (st.paeTimeoutAt <= now) {
      st.paeTimeoutAt = Infinity;
      if (st.failurePending) {
        st.failurePending = false;
        st.disconnectReason = Reason.IEEE_802_1X_AUTH_FAILED;
        st.Disconnect = true;
      } else if (st.paeState === 'HELD') {
        st.paeState = 'DISCONNECTED'; // quietWhile is over
      } else {
        st.aWhileExpired = true;
      }
    }
    if (st.sessionEndAt <= now) {
      st.sessionEndAt = Infinity;
      if (st.terminationAction === 1) {
        st.reAuthenticate = true; // Termination-Action = RADIUS-Request
      } else {
        st.terminateCause = AcctTerminateCause.SessionTimeout;
        st.disconnectReason = Reason.PREV_AUTH_NOT_VALID;
        st.Disconnect = true;
        this.finishHandshake(st, 'aborted', 'Session-Timeout');
      }
    }
    this.resyncTimer(st);
    this.runStation(st);
  }

  /** The station's heap deadline is the earliest of its timers. */
  private resyncTimer(st: StationState): void {
    const at = Math.min(st.keyTimeoutAt, st.paeTimeoutAt, st.sessionEndAt);
    if (at === st.deadline) return;
    if (at === Infinity) this.timers.cancel(st);
    else this.timers.schedule(st, at);
  }

  private onDisassociated(bssid: Buffer, sta: Buffer, reason: number, locallyGenerated: boolean): void {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) return this.drop(bssid, sta, 'unassociated_station', 'disassociation of an unknown station');
    // Events of different agents are not ordered with each other: a late disassociation
    // from the BSS the station left must not remove it from the BSS it roamed to.
    if (!st.bss.cfg.bssid.equals(bssid)) return this.drop(bssid, sta, 'stale_disassociation', 'disassociation from a BSS the station already left');
    const wasAuthorized = st.portAuthorized;
    this.dropStation(st, 'aborted', `station left (reason ${reason})`, AcctTerminateCause.UserRequest, { reason, initiator: locallyGenerated ? 'agent' : 'station', detail: locallyGenerated ? 'the AP ended the association' : '' });
    if (wasAuthorized && st.bss.cfg.network.rekeyGtkOnLeave && st.bss.keyManagement) {
      st.bss.GTKReKey = true;
      this.dirtyBss.add(st.bss);
    }
  }

  private onEapol(bssid: Buffer, sta: Buffer, frame: Buffer): void {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return this.drop(bssid, sta, 'unknown_bssid', 'EAPOL on a BSSID no agent announced');
    let st = this.stations.get(macKey(sta));
    const f = decodeEapol(frame);
    if (!f.ok) return this.drop(bssid, sta, 'malformed_eapol', f.error.detail);
    if (st === undefined) {
      if (!bss.cfg.wired) return this.drop(bssid, sta, 'unassociated_station', 'EAPOL from a station that is not associated');
      if (this.full(bss)) return this.drop(bssid, sta, 'station_limit', 'wired station refused: station limit reached');
      // A wired port's station appears with its first EAPOL frame.
      st = this.createStation(bss, sta, Buffer.alloc(0), bss.akms[0], bss.pairwiseCiphers[0]);
      if (!isPskAkm(st.akm)) this.start8021x(st, Buffer.alloc(0));
      st.AuthenticationRequest = true;
      this.runStation(st);
      // Its first frame (typically EAPOL-Start) is what made it appear; the Identity
      // request is already on its way.
      if (f.value.type !== EapolType.Key && f.value.type !== EapolType.EapPacket) return;
    }
    if (st.bss !== bss) return this.drop(bssid, sta, 'wrong_bss', `EAPOL on ${formatMac(bssid)} from a station associated to ${formatMac(st.bss.cfg.bssid)}`);
    if (!this.takeEapolToken(st)) return this.drop(bssid, sta, 'eapol_rate_limited', `more than ${this.eapolRate?.perSecond ?? 0} EAPOL frames/s from one station`);
    switch (f.value.type) {
      case EapolType.Key:
        return this.onEapolKey(st, frame, f.value.body);
      case EapolType.EapPacket: {
        if (!st.portEnabled) return this.drop(bssid, sta, 'unsupported_eapol_type', 'EAP on a PSK network');
        const why = receiveEapResponse(st, f.value.body);
        if (why !== undefined) return this.drop(bssid, sta, why, `EAP in backend state ${st.backendState}`);
        return this.runStation(st);
      }
      case EapolType.Start:
        // PSK: the handshake is already under way or done; hostapd restarts it only for
        // a station that has none.
        if (!st.portEnabled) return this.drop(bssid, sta, 'eapol_start_ignored', `EAPOL-Start in state ${st.ptkState}`);
        st.eapolStart = true;
        return this.runStation(st);
      case EapolType.Logoff:
        if (!st.portEnabled) return this.drop(bssid, sta, 'unsupported_eapol_type', 'EAPOL-Logoff on a PSK network');
        st.eapolLogoff = true;
        return this.runStation(st);
      default:
        return this.drop(bssid, sta, 'unsupported_eapol_type', `EAPOL packet type ${f.value.type}`);
    }
  }

  /** Token bucket per station: a flooding station loses its own frames, nobody else's time. */
  private takeEapolToken(st: StationState): boolean {
    const rate = this.eapolRate;
    if (rate === undefined) return true;
    const elapsed = this.now - st.eapolTokensAt;
    st.eapolTokensAt = this.now;
    st.eapolTokens = Math.min(rate.burst, st.eapolTokens + (elapsed * rate.perSecond) / 1000);
    if (st.eapolTokens < 1) return false;
    st.eapolTokens -= 1;
    return true;
  }

  private onEapolKey(st: StationState, frame: Buffer, body: Buffer): void {
    const bssid = st.bss.cfg.bssid;
    const k = decodeEapolKey(body);
    if (!k.ok) return this.drop(bssid, st.sta, 'malformed_eapol_key', k.error.detail);
    const key = k.value;
    const info = key.keyInfo;
    if ((info & KeyInfo.VERSION_MASK) !== st.descriptorVersion)
      return this.drop(bssid, st.sta, 'bad_descriptor_version', `key descriptor version ${info & KeyInfo.VERSION_MASK}, expected ${st.descriptorVersion}`);
    const zeroed = zeroedMicCopy(frame);
    if (zeroed === undefined) return this.drop(bssid, st.sta, 'malformed_eapol_key', 'cannot locate the MIC');
    // The codec's classification is hostapd's: a pairwise response without key data is
    // msg 4/4, with key data msg 2/4.
    const kind = describeKeyMessage(key);
    if (kind === 'request') return this.onKeyRequest(st, zeroed, key.mic, info, key.replayCounter);
    if (kind !== 'msg2/4' && kind !== 'msg4/4' && kind !== 'group2/2')
      return this.drop(bssid, st.sta, 'unexpected_key_info', `key info 0x${info.toString(16)} (${kind}) is not a station's response`);
    // Invariant 3: responses carry one of the last 4 counters sent, not yet consumed.
    if (!st.replay.accepts(key.replayCounter))
      return this.drop(bssid, st.sta, 'replay', `replay counter ${key.replayCounter} is not outstanding (last sent ${st.replay.current})`);
    const rk: ReceivedKey = { zeroed, mic: key.mic, keyInfo: info, replayCounter: key.replayCounter, nonce: key.nonce, keyData: key.keyData };
    switch (kind) {
      case 'group2/2':
        if (st.groupState !== 'REKEYNEGOTIATING') return this.drop(bssid, st.sta, 'unexpected_message', `group msg 2/2 in state ${st.groupState}`);
        if (!this.verifyWithPtk(st, rk)) return this.drop(bssid, st.sta, 'mic_failure', 'invalid MIC in group msg 2/2');
        return this.deliver(st, rk, false, true);
      case 'msg4/4':
        if (st.ptkState !== 'PTKINITNEGOTIATING') return this.drop(bssid, st.sta, 'unexpected_message', `msg 4/4 in state ${st.ptkState}`);
        if (!this.verifyWithPtk(st, rk)) {
          if (st.handshake) st.handshake.micFailures++;
          return this.drop(bssid, st.sta, 'mic_failure', 'invalid MIC in msg 4/4');
        }
        st.replay.invalidateAll();
        return this.deliver(st, rk, true, true);
      case 'msg2/4':
        if (st.ptkState !== 'PTKSTART' && st.ptkState !== 'PTKCALCNEGOTIATING')
          return this.drop(bssid, st.sta, 'unexpected_message', `msg 2/4 in state ${st.ptkState}`);
        // The MIC is checked in PTKCALCNEGOTIATING, against every candidate PMK.
        return this.deliver(st, rk, true, false);
    }
  }

  private onKeyRequest(st: StationState, zeroed: Buffer, mic: Buffer, info: number, counter: bigint): void {
    const bssid = st.bss.cfg.bssid;
    if (!st.PTK_valid || st.PTK === undefined) return this.drop(bssid, st.sta, 'unexpected_message', 'EAPOL-Key request before the PTK is in place');
    const ok = timingSafeEqualBytes(calculateEapolKeyMic(st.PTK.kck, zeroed, st.descriptorVersion), mic);
    if (!ok) return this.drop(bssid, st.sta, 'mic_failure', 'invalid MIC in EAPOL-Key request');
    if (counter <= st.lastRequestCounter) return this.drop(bssid, st.sta, 'replay', 'EAPOL-Key request replayed');
    st.lastRequestCounter = counter;
    if ((info & KeyInfo.PAIRWISE) !== 0) {
      st.PTKRequest = true; // station asks for a PTK rekey: a new 4-way handshake
      st.ReAuthenticationRequest = true;
      this.runStation(st);
    } else {
      st.bss.GTKReKey = true;
      this.dirtyBss.add(st.bss);
    }
  }

  private deliver(st: StationState, rk: ReceivedKey, pairwise: boolean, micVerified: boolean): void {
    st.received = rk;
    st.EAPOLKeyReceived = true;
    st.EAPOLKeyPairwise = pairwise;
    st.EAPOLKeyRequest = false;
    st.MICVerified = micVerified;
    this.runStation(st);
  }

  private verifyWithPtk(st: StationState, rk: ReceivedKey): boolean {
    if (st.PTK === undefined) return false;
    return timingSafeEqualBytes(calculateEapolKeyMic(st.PTK.kck, rk.zeroed, st.descriptorVersion), rk.mic);
  }

  private onTxStatus(ref: number, _acked: boolean): void {
    const st = this.refs.get(ref);
    this.refs.delete(ref);
    if (st === undefined || st.kind !== 'sta' || st.firstTxRef !== ref) return;
    st.firstTxRef = undefined;
    // Invariant 7: with TX status, the first timeout is the short one, counted from the
    // status (acknowledged or not: a frame the station missed is retried just as soon).
    this.schedule(st, this.now + this.timing.firstTimeoutMs);
  }

  private onCommandResult(ref: number, ok: boolean, error: string): void {
    const st = this.refs.get(ref);
    if (st === undefined) return;
    this.refs.delete(ref);
    if (st.kind === 'bss') {
      if (!ok) this.report({ kind: 'command-failed', bssid: st.cfg.bssid, sta: undefined, command: 'install-group-key', error });
      return;
    }
    if (this.stations.get(st.key) !== st) return;
    const bssid = st.bss.cfg.bssid;
    if (st.installRef === ref) {
      st.installRef = undefined;
      // As hostapd's PTKINITDONE when set_key fails: a key that is not in place ends the
      // association (reason 2), and the port never opens.
      if (!ok) return this.failCommand(st, 'install-pairwise-key', error, Reason.PREV_AUTH_NOT_VALID);
      st.portRef = this.nextRef(st);
      this.emit({ type: 'set-port', bssid, sta: st.sta, authorized: true, vlanId: st.vlanId, sessionTimeoutS: st.sessionTimeoutS, ref: st.portRef });
    } else if (st.portRef === ref) {
      st.portRef = undefined;
      if (!ok) return this.failCommand(st, 'set-port', error, Reason.UNSPECIFIED);
      // A PTK rekey re-confirms the port: that is not a join.
      const first = !st.portAuthorized;
      st.portAuthorized = true;
      if (!first) return;
      this.setPhase(st, 'authorized');
      const joinMs = this.now - st.associatedAt;
      const last = this.histories.get(st.key)?.[0];
      if (last !== undefined && last === st.handshake) last.joinMs = joinMs;
      this.report({ kind: 'joined', bssid, sta: st.sta, akm: st.akm, joinMs, agentId: st.bss.cfg.agentId, vlanId: st.vlanId, auth: st.auth });
      this.accountingStart(st);
    }
  }

  private failCommand(st: StationState, command: string, error: string, reason: number): void {
    this.report({ kind: 'command-failed', bssid: st.bss.cfg.bssid, sta: st.sta, command, error });
    st.disconnectReason = reason;
    st.Disconnect = true;
    this.runStation(st);
  }

  // ---- stations ----------------------------------------------------------------------

  private selectSuites(bss: BssState, rsne: Buffer): { akm: number; cipher: number } | { reason: number; detail: string } {
    const dec = decodeRsne(rsne);
    if (!dec.ok) {
      const reason = dec.error.code === 'bad-version' ? Reason.UNSUPPORTED_RSNE_VERSION : Reason.INVALID_ELEMENT;
      return { reason, detail: `association RSNE: ${dec.error.detail}` };
    }
    const r = rsneDefaults(dec.value);
    if (r.groupCipher !== bss.groupCipher) return { reason: Reason.GROUP_CIPHER_NOT_VALID, detail: 'association RSNE names another group cipher' };
    if (r.pairwiseCiphers.length !== 1 || !bss.pairwiseCiphers.includes(r.pairwiseCiphers[0]))
      return { reason: Reason.PAIRWISE_CIPHER_NOT_VALID, detail: 'association RSNE must select one offered pairwise cipher' };
    if (r.akms.length !== 1 || !bss.akms.includes(r.akms[0])) return { reason: Reason.AKMP_NOT_VALID, detail: 'association RSNE must select one offered AKM' };
    return { akm: r.akms[0], cipher: r.pairwiseCiphers[0] };
  }

  /** The BSS's copy of an association RSNE (at most 32 kept per BSS; others get their own copy). */
  private sharedRsne(bss: BssState, rsne: Buffer): Buffer {
    const k = rsne.toString('latin1');
    const have = bss.assocRsnes.get(k);
    if (have !== undefined) return have;
    const copy = Buffer.from(rsne);
    if (bss.assocRsnes.size < 32) bss.assocRsnes.set(k, copy);
    return copy;
  }

  private createStation(bss: BssState, sta: Buffer, rsne: Buffer, akm: number, cipher: number): StationState {
    const version = keyDescriptorVersionFor(akm);
    const st: StationState = {
      kind: 'sta',
      sta: Buffer.from(sta),
      key: macKey(sta),
      bss,
      assocRsne: this.sharedRsne(bss, rsne),
      akm,
      pairwiseCipher: cipher,
      descriptorVersion: version === 3 ? 3 : 2,
      associatedAt: this.now,
      phase: undefined,
      deferred: false,
      admitted: false,
      waitingAdmission: false,
      eapolTokens: this.eapolRate?.burst ?? 0,
      eapolTokensAt: this.now,
      ptkState: 'INITIALIZE',
      Init: false,
      AuthenticationRequest: false,
      ReAuthenticationRequest: false,
      DeauthenticationRequest: false,
      Disconnect: false,
      disconnectReason: Reason.UNSPECIFIED,
      EAPOLKeyReceived: false,
      EAPOLKeyPairwise: false,
      EAPOLKeyRequest: false,
      MICVerified: false,
      TimeoutEvt: false,
      TimeoutCtr: 0,
      PTKRequest: false,
      ANonce: Buffer.alloc(0),
      previousANonces: [],
      SNonce: undefined,
      PMK: undefined,
      pmkCandidates: [],
      PTK: undefined,
      PTK_valid: false,
      replay: new ReplayWindow(),
      received: undefined,
      firstTxRef: undefined,
      keySentAt: 0,
      lastRequestCounter: -1n,
      groupState: 'IDLE',
      GUpdateStationKeys: false,
      GTimeoutCtr: 0,
      gtkKeyId: 0,
      installRef: undefined,
      portRef: undefined,
      portAuthorized: false,
      handshake: undefined,
      timerGen: 0,
      deadline: Infinity,
      keyTimeoutAt: Infinity,
      paeTimeoutAt: Infinity,
      sessionEndAt: Infinity,
      paeState: 'INITIALIZE',
      backendState: 'INITIALIZE',
      portEnabled: false,
      eapolStart: false,
      eapolLogoff: false,
      reAuthenticate: false,
      eapRestart: false,
      reAuthCount: 0,
      eapolEap: false,
      eapResp: undefined,
      eapReq: false,
      eapReqFrame: undefined,
      lastEapReq: undefined,
      eapFinal: undefined,
      eapSuccess: false,
      eapFail: false,
      eapTimeout: false,
      authSuccess: false,
      authFail: false,
      authTimeout: false,
      aWhileExpired: false,
      keyRun: false,
      reqCount: 0,
      eapIdCounter: this.rand(1)[0],
      identity: undefined,
      radiusState: undefined,
      radiusRef: undefined,
      failurePending: false,
      sessionTimeoutS: 0,
      terminationAction: 0,
      vlanId: 0,
      classes: [],
      acctSessionId: this.nextSessionId(),
      acctMultiSessionId: '',
      acctStartedAt: undefined,
      pmkid: undefined,
      terminateCause: AcctTerminateCause.NasRequest,
      auth: undefined,
    };
    st.acctMultiSessionId = st.acctSessionId;
    this.stations.set(st.key, st);
    bss.stations.add(st);
    this.agentStations.set(bss.cfg.agentId, (this.agentStations.get(bss.cfg.agentId) ?? 0) + 1);
    this.setPhase(st, 'associated');
    return st;
  }

  /** Runs the station's machines until they settle, then consumes the one-shot events. */
  private runStation(st: StationState): void {
    for (let i = 0; i < MAX_MACHINE_STEPS; i++) {
      const p = st.portEnabled ? stepPae(this, st) || stepBackend(this, st) : false;
      const a = stepPtk(this, st);
      if (st.ptkState === 'DISCONNECTED') break;
      const b = stepGroupKey(this, st);
      if (!a && !b && !p) break;
    }
    st.EAPOLKeyReceived = false;
    st.MICVerified = false;
    st.TimeoutEvt = false;
    st.received = undefined;
    if (st.ptkState === 'DISCONNECTED') {
      // The words of the disconnect: why its handshake ended, when that is why it went.
      const hs = st.handshake;
      const why = hs?.result !== undefined && hs.result !== 'success' && hs.detail ? hs.detail : 'disconnected';
      this.dropStation(st, 'aborted', 'disconnected', undefined, { reason: st.disconnectReason, initiator: 'authenticator', detail: why });
      return;
    }
    if (st.phase === 'associated' && st.ptkState !== 'INITIALIZE') this.setPhase(st, 'authenticating');
  }

  /**
   * Forgets a station; an unfinished handshake ends with `result`. `ended` says how its
   * association ended (the 'station-left' report: reason code, who, in words).
   */
  private dropStation(st: StationState, result: HandshakeResult, detail: string, cause: number | undefined, ended: { reason: number; initiator: 'station' | 'agent' | 'authenticator'; detail?: string }): void {
    if (this.stations.get(st.key) !== st) return;
    const wasAuthorized = st.portAuthorized;
    this.finishHandshake(st, result, detail); // frees its handshake slot, record or not
    this.report({ kind: 'station-left', bssid: st.bss.cfg.bssid, sta: st.sta, agentId: st.bss.cfg.agentId, akm: st.akm, reason: ended.reason, initiator: ended.initiator, detail: ended.detail ?? detail, wasAuthorized, handshake: st.handshake });
    this.accountingStop(st, cause ?? st.terminateCause);
    if (st.GUpdateStationKeys) {
      st.GUpdateStationKeys = false;
      this.groupKeyDone(st.bss);
    }
    this.setPhase(st, undefined);
    st.keyTimeoutAt = st.paeTimeoutAt = st.sessionEndAt = Infinity;
    this.timers.cancel(st);
    for (const ref of [st.installRef, st.portRef, st.firstTxRef, st.radiusRef]) if (ref !== undefined) this.refs.delete(ref);
    this.stations.delete(st.key);
    st.bss.stations.delete(st);
    const left = (this.agentStations.get(st.bss.cfg.agentId) ?? 1) - 1;
    if (left > 0) this.agentStations.set(st.bss.cfg.agentId, left);
    else this.agentStations.delete(st.bss.cfg.agentId);
    // TK included: the install effect carried a copy of it (the glue's to wipe).
    wipePtk(st.PTK);
    st.PTK = undefined;
    // Every PMK a station holds is its own copy (PskCache.get and the PMKSA cache copy).
    for (const k of st.pmkCandidates) wipe(k);
    wipe(st.PMK);
    st.PMK = undefined;
    st.pmkCandidates = [];
  }

  private accountingStart(st: StationState): void {
    if (st.acctStartedAt !== undefined) return;
    st.acctStartedAt = this.now;
    this.emit(this.accountingEffect(st, 'start', 0));
  }

  private accountingStop(st: StationState, cause: number): void {
    if (st.acctStartedAt === undefined) return;
    const started = st.acctStartedAt;
    st.acctStartedAt = undefined;
    this.emit(this.accountingEffect(st, 'stop', cause, Math.max(0, Math.round((this.now - started) / 1000))));
  }

  private accountingEffect(st: StationState, kind: 'start' | 'stop', cause: number, sessionTimeS = 0): Effect {
    const bss = st.bss;
    return {
      type: 'accounting',
      kind,
      bssid: bss.cfg.bssid,
      sta: st.sta,
      agentId: bss.cfg.agentId,
      ssid: bss.cfg.network.ssid,
      identity: st.identity ?? '',
      classes: st.classes,
      acctSessionId: st.acctSessionId,
      acctMultiSessionId: st.acctMultiSessionId,
      akm: st.akm,
      pairwiseCipher: st.pairwiseCipher,
      groupCipher: bss.groupCipher,
      sessionTimeS,
      terminateCause: cause,
    };
  }

  private nextSessionId(): string {
    this.acctCounter = (this.acctCounter + 1) >>> 0;
    return `${this.acctPrefix}${this.acctCounter.toString(16).padStart(8, '0')}`.toUpperCase();
  }

  /** The BSS or its agent holds as many stations as allowed. */
  private full(bss: BssState): boolean {
    return bss.stations.size >= this.maxPerBss || (this.agentStations.get(bss.cfg.agentId) ?? 0) >= this.maxPerAgent;
  }

  private setPhase(st: StationState, to: StationPhase | undefined): void {
    if (st.phase === to) return;
    st.bss.pending += (isPending(to) ? 1 : 0) - (isPending(st.phase) ? 1 : 0);
    this.report({ kind: 'station-phase', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.phase, to });
    st.phase = to;
  }

  private drop(bssid: Buffer, sta: Buffer, reason: string, detail: string): void {
    this.report({ kind: 'frame-dropped', bssid, sta, reason, detail });
  }

  private psk(ssid: Buffer, passphrase: string): Buffer {
    if (passphrase.length === 64) {
      const raw = pskFromHex(passphrase);
      if (raw !== undefined) return raw;
    }
    return this.pskCache.get(ssid, passphrase);
  }
}

/** A station that associated and is not authorized yet (counted against maxPendingPerBss). */
function isPending(phase: StationPhase | undefined): boolean {
  return phase === 'associated' || phase === 'authenticating';
}

/** The backoff table's key: station and BSS. */
function backoffKey(sta: Buffer, bss: BssState): string {
  return `${macKey(sta)}@${bss.key}`;
}
