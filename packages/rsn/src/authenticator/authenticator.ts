/**
 * The authenticator core: every BSS and station of one authenticator, driven by events
 * and virtual time, answering with effects (IEEE 802.11-2020 §12.7). No I/O, no clock, no
 * randomness of its own. The glue calls handle()/tick() and schedules one timer for
 * nextDeadline().
 *
 * The core is the dispatcher: it keeps the BSSes and associations, routes each event to the
 * machine it is for (the pairwise machine for EAPOL-Key frames, the port machine for EAP,
 * the GTK machine per BSS), runs the machines until they settle, and owns the one timer
 * structure and the environment they act through. Policy lives in the machines and in the
 * endpoint modules: association admission (backoff, caps, suites), handshake admission, the
 * PMK source, the PMKSA cache, IEEE 802.1X outcomes, accounting, the handshake history, the
 * MIC-failure diagnoser and the stations' key memory.
 */
import { tkLength, wipe } from '../crypto/index.js';
import { decodeEapol, decodeRsne, EapolType, encodeRsne, pmfOf, rsneDefaults } from '../codec/index.js';
import { formatMac, macKey, macUserName } from '../mac.js';
import { AKM, CIPHER, isPskAkm, isSupportedAkm } from '../suites.js';
import { Accounting } from './accounting.js';
import { AssociationAdmission } from './association-admission.js';
import { DeadlineQueue } from './deadline-queue.js';
import { MicDiagnoser } from './diagnosis.js';
import { dropped, report, type Environment, type StationTimer } from './environment.js';
import { gtkLength, initGtk, installTransmitKeys, stepGtk } from './gtk-machine.js';
import { HandshakeAdmission } from './handshake-admission.js';
import { HandshakeHistory } from './history.js';
import { Ieee8021xPolicy, type StationControl } from './ieee8021x.js';
import type { MacBackoffOptions } from './mac-backoff.js';
import { PairwiseMachine, type PairwisePeer } from './pairwise-machine.js';
import { PmksaCache, type PmksaListener, type SharedPmksa } from './pmksa-cache.js';
import { PmkSource } from './pmk-source.js';
import { PortMachine } from './port-machine.js';
import { Reason } from './reason-codes.js';
import { ReplayWindow } from './replay-window.js';
import { StationKeys } from './station-keys.js';
import { Association, Sig, usesIeee8021x, type AuthRecord, type BssState, type HandshakeRecord, type StationTimers } from './records.js';
import { DEFAULT_SAE_LIMITS, SaeResponder, type SaeBss, type SaeLimits, type SaeResult } from './sae-responder.js';
import { REPLAY_RESERVATION, type BssSnapshot, type SaListener, type StationSnapshot } from './snapshot.js';
import { ptkFromOctets } from '../crypto/index.js';
import {
  AcctTerminateCause,
  DEFAULT_TIMING,
  type BssConfig,
  type NetworkPolicy,
  type CoreEvent,
  type CoreTiming,
  type Effect,
  type HandshakeResult,
  type RadiusOutcome,
  type Report,
  type StationEntryView,
  type StationPhase,
  type Transition,
} from './types.js';

export type { PmksaListener, SharedPmksa } from './pmksa-cache.js';

/** A station's session as a Dynamic Authorization request names it (RFC 5176 §3): no key material. */
export interface SessionView {
  sta: Buffer;
  bssid: Buffer;
  ssid: Buffer;
  /** The EAP identity (or a PSK lookup's User-Name); '' for a PSK or SAE station. */
  identity: string;
  /** User-Name of the Access-Accept, when the server set one. */
  userName: string | undefined;
  acctSessionId: string;
  acctMultiSessionId: string;
  akm: number;
  authorized: boolean;
  /** It authenticates through IEEE 802.1X (a reauthentication can run). */
  ieee8021x: boolean;
}
export { REPLAY_RESERVATION, type BssSnapshot, type StationSnapshot, type AuthorizationSnapshot, type SaListener } from './snapshot.js';

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
  /**
   * Told when an authorized station's security association or a BSS's group keys change,
   * so an authenticator that shares them (several instances on a store) can write them:
   * exportStation / exportBss give the state, adoptBss / adoptStation take it elsewhere.
   */
  saListener?: SaListener;
  /** Accounting Interim-Update interval (RFC 2869 Acct-Interim-Interval), ms; 0 or absent: none. */
  accountingInterimMs?: number;
  /** SAE timing and bounds (sae-responder.ts; default DEFAULT_SAE_LIMITS). */
  saeLimits?: Partial<SaeLimits>;
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
export class AuthenticatorCore implements Environment {
  readonly timing: CoreTiming;
  now = 0;
  private readonly rand: (n: number) => Buffer;
  private readonly traceFn: ((t: Transition) => void) | undefined;
  private readonly bsses = new Map<string, BssState>();
  private readonly stations = new Map<string, Association>();
  private readonly timers = new DeadlineQueue<StationTimers | BssState>();
  private readonly refs = new Map<number, Association | BssState>();
  /** The station being disconnected by disconnect() and why, while it runs (its station-left report says so). */
  private disconnectWhy: { st: Association; detail: string } | undefined;
  private readonly histories: HandshakeHistory;
  private readonly historyStations: number;
  private readonly pmks = new PmkSource();
  private readonly dirtyBss = new Set<BssState>();
  private out: Effect[] = [];
  private refSeq = 0;
  private readonly eapolRate: { perSecond: number; burst: number } | undefined;
  private readonly associations: AssociationAdmission;
  // Endpoint modules.
  private readonly admission: HandshakeAdmission;
  private readonly pmksa: PmksaCache;
  private readonly accounting: Accounting;
  private readonly diagnoser: MicDiagnoser;
  private readonly keys = new StationKeys();
  private readonly ieee8021x: Ieee8021xPolicy;
  // Machines.
  private readonly pairwise: PairwiseMachine;
  private readonly port: PortMachine;
  private readonly sa: SaListener | undefined;
  private readonly sae: SaeResponder;

  constructor(opts: CoreOptions) {
    this.rand = opts.random;
    this.traceFn = opts.trace;
    this.sa = opts.saListener;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.historyStations = opts.historyStations ?? 65536;
    this.histories = new HandshakeHistory(opts.historyPerStation ?? 8, this.historyStations);
    this.associations = new AssociationAdmission(opts);
    this.eapolRate = opts.eapolRate;
    this.admission = new HandshakeAdmission(opts.maxHandshakesInFlight ?? Infinity, opts.admission ?? 'adaptive', this.timing);
    this.pmksa = new PmksaCache(undefined, opts.pmksaListener);
    this.accounting = new Accounting(this, this.rand(4).toString('hex'), opts.accountingInterimMs ?? 0);
    this.diagnoser = new MicDiagnoser(opts.diagnosesPerSecond ?? 20, (ssid, p) => this.pmks.psk(ssid, p), () => this.bsses.values());
    const control: StationControl = {
      ended: (st, result, detail) => this.finishHandshake(st, result, detail),
      closePort: (st) => this.closePort(st),
      openPort: (st) => this.openPort(st),
    };
    this.ieee8021x = new Ieee8021xPolicy(this, this.pmksa, this.accounting, control, this.keys, this.historyStations);
    const peer: PairwisePeer = {
      pmkCandidates: (st) => this.pmks.candidates(st),
      admit: (st) => this.admission.request(st),
      answered: (st, rttMs) => this.startAdmitted(this.admission.answered(st, rttMs, this.now)),
      release: (st) => this.startAdmitted(this.admission.release(st)),
      diagnose: (st, hs, rk) => this.diagnoser.diagnose(st, hs, rk, this.now),
      ended: (st, result, detail) => this.finishHandshake(st, result, detail),
      replaced: (st, previous) => {
        if (previous.result !== undefined) this.histories.add(st.key, previous);
      },
      groupKeyDone: (bss, st) => {
        bss.GKeyDoneStations--;
        this.dirtyBss.add(bss);
        if (st.groupState === 'REKEYESTABLISHED') this.sa?.stationChanged(bss.cfg.bssid, st.sta); // it holds the new GTK
      },
      groupRekeyRequested: (bss) => this.requestGroupRekey(bss),
    };
    this.pairwise = new PairwiseMachine(this, peer, this.keys);
    this.port = new PortMachine(this, this.ieee8021x);
    this.sae = new SaeResponder(
      {
        random: (n) => this.rand(n),
        emit: (e) => {
          this.emit(e);
          if (e.type === 'report' && e.report.kind === 'sae') this.saeOutcome(e.report);
        },
        accepted: (bss, sta, result) => this.saeAccepted(bss, sta, result),
      },
      { ...DEFAULT_SAE_LIMITS, ...opts.saeLimits },
    );
  }

  // ---- public API -------------------------------------------------------------------

  /** Caches a PMKSA another core made (the PMK is copied); not reported back to the listener. */
  importPmksa(e: SharedPmksa, now: number): void {
    this.pmksa.importShared(e, now);
  }

  /** Forgets a PMKSA another core forgot (with `aa`: an SAE PMKSA of that BSS); not reported back to the listener. */
  forgetPmksa(sta: Buffer, ssid: Buffer, aa?: Buffer): void {
    this.pmksa.forget(sta, ssid, aa);
  }

  /** Forgets every PMKSA of a station here and on every other core (a Disconnect-Request); how many there were. */
  dropPmksas(sta: Buffer): number {
    return this.pmksa.dropStation(sta);
  }

  /** PMKSAs cached (metrics, tests). */
  get pmksaCount(): number {
    return this.pmksa.size;
  }

  /** Registers a BSS and starts its GTK machine (the first GTK is installed). */
  addBss(cfg: BssConfig, now: number): { ok: true; effects: Effect[] } | { ok: false; error: BssError } {
    return this.registerBss(cfg, now, undefined);
  }

  /**
   * Registers a BSS taken over from another authenticator (snapshot.ts) with its group keys
   * and its authorized stations, which go on as they were: no message to them, no new
   * accounting Start. `installGtk`: the agent may not have the GTK (it reported no station of
   * the BSS), so the transmit GTK is installed again; otherwise it is left as the agent has it
   * (a reinstall would reset its packet number under the stations' feet). A rekey that was
   * under way starts again at once. Without usable group keys (`snap` undefined or not
   * opening) the BSS gets a new GTK, and a rekey at once gives it to the stations adopted.
   * `adopted`: the stations taken (one that does not fit - unknown suites, bad keys, already
   * here - is left out; reconcile then treats it as a station the core cannot vouch for).
   */
  adoptBss(cfg: BssConfig, snap: BssSnapshot | undefined, stations: readonly StationSnapshot[], installGtk: boolean, now: number): { ok: true; effects: Effect[]; adopted: StationSnapshot[] } | { ok: false; error: BssError } {
    const adopted: StationSnapshot[] = [];
    const r = this.registerBss(cfg, now, { snap, installGtk, stations, adopted });
    return r.ok ? { ...r, adopted } : r;
  }

  private registerBss(cfg: BssConfig, now: number, adopt: { snap: BssSnapshot | undefined; installGtk: boolean; stations: readonly StationSnapshot[]; adopted: StationSnapshot[] } | undefined): { ok: true; effects: Effect[] } | { ok: false; error: BssError } {
    const key = macKey(cfg.bssid);
    if (this.bsses.has(key)) return { ok: false, error: { code: 'bssid-in-use', message: `BSSID ${formatMac(cfg.bssid)} is already served` } };
    // A wired port without RSNE: IEEE 802.1X alone (hostapd ieee8021x=1, wpa=0).
    const keyManagement = !(cfg.wired && cfg.rsne.length === 0);
    const dec = keyManagement ? decodeRsne(cfg.rsne) : decodeRsne(encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [AKM.IEEE8021X], capabilities: 0 }));
    if (!dec.ok) return { ok: false, error: { code: 'bad-rsne', message: `advertised RSNE: ${dec.error.detail}` } };
    const r = rsneDefaults(dec.value);
    const pmfBits = pmfOf(dec.value);
    const pmf = !keyManagement || !pmfBits.capable ? 0 : pmfBits.required ? 2 : 1;
    const akms = r.akms.filter((a) => cfg.network.akms.includes(a) && isSupportedAkm(a) && (a !== AKM.SAE || cfg.network.sae !== undefined));
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
      pmf,
      igtk: [undefined, undefined, undefined],
      beaconProtection: pmf > 0 && cfg.beaconProtection === true,
      bigtk: [undefined, undefined, undefined],
      txPn: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n],
      txPnRef: [],
      txKeyId: 1,
      GTKReKey: false,
      GKeyDoneStations: 0,
      stations: new Set(),
      pending: 0,
      bssidText: formatMac(cfg.bssid),
      assocRsnes: new Map(),
      detached: false,
      held: false,
      deferred: false,
      graceEndsAt: Infinity,
      rekeyAt: Infinity,
      timerGen: 0,
      deadline: Infinity,
    };
    this.bsses.set(key, bss);
    return { ok: true, effects: this.run(now, () => {
      // Warm the PSK cache so no handshake pays for PBKDF2 (invariant 8).
      for (const p of cfg.network.passphrases) wipe(this.pmks.psk(cfg.network.ssid, p));
      const gtkAdopted = keyManagement && adopt !== undefined && this.adoptGtk(bss, adopt.snap, adopt.installGtk, now);
      if (keyManagement && !gtkAdopted) {
        initGtk(this, bss);
        this.dirtyBss.add(bss);
      }
      if (adopt === undefined) return;
      for (const snap of adopt.stations) if (this.adoptStation(bss, snap)) adopt.adopted.push(snap);
      // Their GTK is not this one: a rekey gives it to them (GTK_INIT, then SETKEYS at once).
      if (keyManagement && !gtkAdopted && adopt.adopted.length > 0) this.requestGroupRekey(bss);
    }) };
  }

  /** The group keys of a snapshot for `bss`; false when there are none usable (the caller makes a GTK). */
  private adoptGtk(bss: BssState, snap: BssSnapshot | undefined, installGtk: boolean, now: number): boolean {
    if (snap === undefined || (snap.txKeyId === 1 ? snap.gtk1 : snap.gtk2)?.length !== gtkLength(bss.groupCipher)) return false;
    // PMF: the IGTK (and BIGTK) of the generation in use must come too, or every key is made anew.
    if (bss.pmf > 0 && (snap.txKeyId === 1 ? snap.igtk1 : snap.igtk2) === undefined) return false;
    if (bss.beaconProtection && (snap.txKeyId === 1 ? snap.bigtk1 : snap.bigtk2) === undefined) return false;
    bss.GN = snap.GN;
    bss.GM = snap.GM;
    bss.gtk[1] = snap.gtk1 === undefined ? undefined : Buffer.from(snap.gtk1);
    bss.gtk[2] = snap.gtk2 === undefined ? undefined : Buffer.from(snap.gtk2);
    if (bss.pmf > 0) bss.igtk = [undefined, copy(snap.igtk1), copy(snap.igtk2)];
    if (bss.beaconProtection) bss.bigtk = [undefined, copy(snap.bigtk1), copy(snap.bigtk2)];
    bss.txKeyId = snap.txKeyId;
    bss.gtkState = 'SETKEYSDONE';
    if (installGtk) installTransmitKeys(this, bss, bss.txKeyId, false);
    if (snap.rekeying) this.requestGroupRekey(bss);
    else this.setRekeyTimer(bss, Math.max(now, snap.rekeyAt));
    return true;
  }

  /**
   * One station's security association taken over (adoptBss): authorized at once with its
   * keys, replay counters above the reserved ones, its 802.1X grant, Session-Timeout and
   * accounting session. False when it does not fit (another BSS's, the station already here,
   * the BSS full, suites or keys that do not match).
   */
  private adoptStation(bss: BssState, snap: StationSnapshot): boolean {
    if (!snap.bssid.equals(bss.cfg.bssid) || this.stations.has(macKey(snap.sta)) || this.associations.full(bss)) return false;
    if (!bss.akms.includes(snap.akm) || !bss.pairwiseCiphers.includes(snap.pairwiseCipher)) return false;
    if (bss.keyManagement ? snap.ptk.length < 48 || snap.ptk.length > 16 + 16 + 32 : snap.ptk.length !== 0) return false;
    const now = this.now;
    const st = new Association(this.keys.mac(snap.sta), macKey(snap.sta), bss, this.sharedRsne(bss, snap.assocRsne), snap.akm, snap.pairwiseCipher, Math.min(snap.associatedAt, now), snap.lastEapId, snap.acctSessionId, this.eapolRate?.burst ?? 0, ReplayWindow.after(snap.replayCounter));
    this.stations.set(st.key, st);
    bss.stations.add(st);
    this.associations.added(bss.cfg.agentId);
    if (snap.pmk !== undefined) this.keys.setPmk(st, snap.pmk);
    st.mfp = bss.pmf > 0 && stationPmfCapable(snap.assocRsne);
    if (snap.assocRsnxe !== undefined) st.assocRsnxe = Buffer.from(snap.assocRsnxe);
    if (bss.keyManagement) {
      this.keys.setPtk(st, ptkFromOctets(Buffer.from(snap.ptk)));
      st.ptkState = 'PTKINITDONE';
      st.PTK_valid = true;
      st.gtkKeyId = snap.gtkKeyId;
    }
    st.portAuthorized = true;
    const a = snap.authz;
    if (a !== undefined) {
      st.authz = { identity: a.identity, classes: a.classes.map((c) => Buffer.from(c)), vlanId: a.vlanId, sessionTimeoutS: a.sessionTimeoutS, terminationAction: a.terminationAction, acctMultiSessionId: a.acctMultiSessionId, pmkid: a.pmkid === undefined ? undefined : Buffer.from(a.pmkid), record: a.record };
      st.paeState = 'AUTHENTICATED';
      this.setTimer(st, 'sessionEndAt', snap.sessionEndAt);
    }
    this.setPhase(st, 'authorized');
    this.accounting.resume(st, snap.acctStartedAt);
    return true;
  }

  /** Removes a BSS and drops its stations (their handshakes end as 'aborted'). */
  removeBss(bssid: Buffer, now: number, detail = 'BSS removed'): Effect[] {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return [];
    return this.run(now, () => this.forgetBss(bss, detail));
  }

  private forgetBss(bss: BssState, detail: string): void {
    for (const st of [...bss.stations]) this.dropStation(st, 'aborted', detail, AcctTerminateCause.LostService, { reason: 0, initiator: 'agent' });
    this.discardBss(bss);
  }

  /** Takes a BSS (its stations already gone) out of every table, its GTKs wiped. */
  private discardBss(bss: BssState): void {
    this.timers.cancel(bss);
    this.sae.forgetBss(bss.cfg.bssid);
    for (const [ref, owner] of this.refs) if (owner === bss) this.refs.delete(ref);
    this.bsses.delete(bss.key);
    this.dirtyBss.delete(bss);
    for (const g of [...bss.gtk, ...bss.igtk, ...bss.bigtk]) wipe(g);
  }

  /**
   * The BSS's agent is gone, for now (reconnect grace): its stations keep their keys,
   * authorization and replay counters; their timers and the BSS's GTK rekeys wait until
   * attachBss. Nothing is sent meanwhile (there is nobody to send to). Its handshakes give
   * their admission slots back at once (they restart when the agent returns and reports
   * them), so other agents' stations waiting for one start now: the returned effects.
   * Unless attachBss comes within `graceMs`, the BSS goes with its stations, and the report
   * 'agent-expired' says so (one per agent and expiry).
   */
  detachBss(bssids: Buffer | readonly Buffer[], now = this.now, graceMs = Infinity): Effect[] {
    const gone: BssState[] = [];
    for (const bssid of Buffer.isBuffer(bssids) ? [bssids] : bssids) {
      const bss = this.bsses.get(macKey(bssid));
      if (bss === undefined) continue;
      bss.detached = true;
      gone.push(bss);
    }
    return this.run(now, () => {
      for (const bss of gone) {
        bss.graceEndsAt = now + graceMs;
        this.resyncBss(bss);
      }
      // Every slot and place in the queue first, then one round of grants (to the others).
      const holders: Association[] = [];
      for (const bss of gone) for (const st of bss.stations) holders.push(st);
      this.startAdmitted(this.admission.withdraw(holders));
    });
  }

  /**
   * Holds a BSS's timers, or releases them (the authenticator cannot vouch for now that it
   * still serves the BSS: a shared-store lease waits for renewal). Events still run. On
   * release, what came due meanwhile runs now.
   */
  holdBss(bssid: Buffer, held: boolean, now: number): Effect[] {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined || bss.held === held) return [];
    bss.held = held;
    if (held) return [];
    return this.run(now, () => this.resumeBss(bss, now));
  }

  /**
   * After attachBss or holdBss(false): a BSS that may act again (its agent is here and it is
   * not held) runs what came due meanwhile - a deferred GTK rekey now, its stations' timers,
   * what its GTK machine skipped. Else only its own deadline is set again (a grace period
   * that ended while it was held ends now).
   */
  private resumeBss(bss: BssState, now: number): void {
    if (bss.detached || bss.held) {
      this.resyncBss(bss);
      return;
    }
    if (bss.deferred) {
      bss.deferred = false;
      bss.rekeyAt = now;
    }
    this.resyncBss(bss);
    for (const st of bss.stations) {
      if (!st.deferred) continue;
      st.deferred = false;
      this.onStationTimers(st, now);
    }
    if (bss.keyManagement) this.dirtyBss.add(bss);
  }

  /**
   * Forgets a BSS served by another authenticator now (it took the BSS over): its stations
   * and keys go here without a word to anyone (no disconnect, no accounting, no reports but
   * the phase changes that keep the gauges right).
   */
  relinquishBss(bssid: Buffer, now: number): Effect[] {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return [];
    return this.run(now, () => {
      // Its handshakes' admission slots and places in the queue go to others' stations.
      const next = this.admission.withdraw([...bss.stations]);
      for (const st of [...bss.stations]) this.forgetStation(st);
      this.discardBss(bss);
      this.startAdmitted(next);
    });
  }

  /** The group keys of a BSS, for another authenticator (snapshot.ts); undefined when unknown or without key management. */
  exportBss(bssid: Buffer): BssSnapshot | undefined {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined || !bss.keyManagement || bss.gtk[bss.txKeyId] === undefined) return undefined;
    return {
      bssid: Buffer.from(bss.cfg.bssid),
      GN: bss.GN,
      GM: bss.GM,
      gtk1: copy(bss.gtk[1]),
      gtk2: copy(bss.gtk[2]),
      igtk1: copy(bss.igtk[1]),
      igtk2: copy(bss.igtk[2]),
      bigtk1: copy(bss.bigtk[1]),
      bigtk2: copy(bss.bigtk[2]),
      txKeyId: bss.txKeyId,
      rekeying: bss.gtkState === 'SETKEYS',
      rekeyAt: bss.rekeyAt,
    };
  }

  /**
   * An authorized station's security association, for another authenticator (snapshot.ts).
   * undefined: none here (not authorized, or gone); 'busy': a handshake or an EAP
   * conversation runs (the state is taken when it settles, which reports it changed).
   */
  exportStation(sta: Buffer): StationSnapshot | 'busy' | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined || st.phase !== 'authorized' || !st.portAuthorized) return undefined;
    const km = st.bss.keyManagement;
    if (st.hs !== undefined || st.eap !== undefined || (km && (st.ptkState !== 'PTKINITDONE' || st.PTK === undefined))) return 'busy';
    const a = st.authz;
    return {
      bssid: Buffer.from(st.bss.cfg.bssid),
      sta: Buffer.from(st.sta),
      assocRsne: Buffer.from(st.assocRsne),
      assocRsnxe: copy(st.assocRsnxe),
      akm: st.akm,
      pairwiseCipher: st.pairwiseCipher,
      associatedAt: st.associatedAt,
      pmk: st.PMK === undefined ? undefined : Buffer.from(st.PMK),
      ptk: km ? Buffer.from(st.PTK!.octets) : Buffer.alloc(0),
      replayCounter: reservedReplay(st.replay.lastSent),
      gtkKeyId: st.gtkKeyId,
      lastEapId: st.lastEapId,
      acctSessionId: st.acctSessionId,
      acctStartedAt: st.acctStartedAt,
      sessionEndAt: st.timer('sessionEndAt'),
      authz: a === undefined ? undefined : { identity: a.identity, classes: a.classes.map((c) => Buffer.from(c)), vlanId: a.vlanId, sessionTimeoutS: a.sessionTimeoutS, terminationAction: a.terminationAction, acctMultiSessionId: a.acctMultiSessionId, pmkid: a.pmkid === undefined ? undefined : Buffer.from(a.pmkid), record: a.record },
    };
  }

  /** The stations of a BSS (their MACs). */
  stationsOf(bssid: Buffer): Buffer[] {
    const bss = this.bsses.get(macKey(bssid));
    return bss === undefined ? [] : [...bss.stations].map((st) => st.sta);
  }

  /** Every live PMKSA, as it travels (PMKs are copies: the caller wipes them). */
  pmksaEntries(now: number): SharedPmksa[] {
    return this.pmksa.shared(now);
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
      bss.graceEndsAt = Infinity;
      this.resumeBss(bss, now);
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
          st.terminateCause = AcctTerminateCause.LostCarrier;
          this.disconnect(st, Reason.PREV_AUTH_NOT_VALID, 'the agent lost the key or port state while away');
          continue;
        }
        // A handshake was in flight when the agent went away: start it again.
        this.onAssociated(bssid, e.sta, e.rsne.length > 0 ? e.rsne : st.assocRsne, true, e.rsnxe ?? st.assocRsnxe);
      }
      for (const e of reported.values()) {
        this.emit({ type: 'disconnect', bssid, sta: e.sta, reason: Reason.PREV_AUTH_NOT_VALID, deauth: true });
        dropped(this, bssid, e.sta, 'unknown_station_in_hello', 'a station the authenticator holds no keys for: disconnected so it authenticates again');
      }
    });
  }

  /** Feeds one event. */
  handle(ev: CoreEvent, now: number): Effect[] {
    return this.run(now, () => {
      switch (ev.type) {
        case 'associated':
          this.onAssociated(ev.bssid, ev.sta, ev.rsne, ev.reassociation, ev.rsnxe);
          break;
        case 'disassociated':
          this.onDisassociated(ev.bssid, ev.sta, ev.reason, ev.locallyGenerated);
          break;
        case 'eapol':
          this.onEapol(ev.bssid, ev.sta, ev.frame);
          break;
        case 'authentication':
          this.onAuthentication(ev.bssid, ev.sta, ev.algorithm, ev.transaction, ev.status, ev.body);
          break;
        case 'group-key-sequence': {
          const bss = this.bsses.get(macKey(ev.bssid));
          // Only forward, and not for a new key whose install is not confirmed yet.
          if (bss !== undefined && ev.keyId >= 1 && ev.keyId <= 7 && bss.txPnRef[ev.keyId] === undefined && ev.txPn > bss.txPn[ev.keyId]) bss.txPn[ev.keyId] = ev.txPn;
          break;
        }
        case 'tx-status':
          this.onTxStatus(ev.ref);
          break;
        case 'command-result':
          this.onCommandResult(ev.ref, ev.ok, ev.error ?? '');
          break;
        case 'radius-response': {
          const st = this.refs.get(ev.ref);
          this.refs.delete(ev.ref);
          if (st === undefined || st.kind !== 'sta' || this.stations.get(st.key) !== st) return;
          if (st.pskRef === ev.ref) return this.onPskAnswer(st, ev);
          const drop = this.port.receiveServerOutcome(st, ev.ref, ev);
          if (drop !== undefined) dropped(this, st.bss.cfg.bssid, st.sta, drop[0], drop[1]);
          this.runStation(st);
          break;
        }
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
      const expired = new Map<string, Buffer[]>();
      for (let t = this.timers.popDue(now); t !== undefined; t = this.timers.popDue(now)) {
        if (t.kind === 'sta') {
          if (t.st.bss.detached || t.st.bss.held) t.st.deferred = true; // fires on attachBss / holdBss(false)
          else this.onStationTimers(t.st, now);
          continue;
        }
        if (t.held) {
          // A rekey waits for the release (resumeBss); so does the end of a grace period,
          // which is not set again until then: nothing is dropped on an unvouched lease.
          if (t.rekeyAt <= now) {
            t.rekeyAt = Infinity;
            t.deferred = true;
          }
          continue;
        }
        if (t.detached && t.graceEndsAt <= now) {
          // The agent did not come back within its reconnect grace period.
          const list = expired.get(t.cfg.agentId) ?? [];
          list.push(t.cfg.bssid);
          expired.set(t.cfg.agentId, list);
          this.forgetBss(t, 'the agent did not return within the reconnect grace period');
          continue;
        }
        if (t.rekeyAt <= now) {
          t.rekeyAt = Infinity;
          if (t.detached) t.deferred = true; // rekeys on attachBss
          else this.requestGroupRekey(t);
        }
        this.resyncBss(t);
      }
      for (const [agentId, bssids] of expired) report(this, { kind: 'agent-expired', agentId, bssids });
      this.sae.tick(now);
    });
  }

  /** The earliest pending deadline (ms, virtual time), or undefined. */
  nextDeadline(): number | undefined {
    const a = this.timers.peek();
    const b = this.sae.nextDeadline();
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Starts a GTK rekey on a BSS now (operator request). */
  rekeyGroup(bssid: Buffer, now: number): Effect[] | undefined {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined || !bss.keyManagement) return undefined;
    return this.run(now, () => this.requestGroupRekey(bss));
  }

  /** Disconnects a station now (operator request; `by` says who, for explain). Its Accounting-Stop says Admin-Reset. */
  disconnectStation(sta: Buffer, reason: number, now: number, by = 'the operator'): Effect[] | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) return undefined;
    return this.run(now, () => {
      st.terminateCause = AcctTerminateCause.AdminReset;
      this.disconnect(st, reason, `disconnected by ${by}`);
    });
  }

  /**
   * The sessions a Dynamic Authorization request may name (RFC 5176 §3): the station `sta`
   * when given (one lookup), else every station. Views, no key material.
   */
  sessions(sta?: Buffer): SessionView[] {
    const list = sta !== undefined ? [this.stations.get(macKey(sta))].filter((s) => s !== undefined) : [...this.stations.values()];
    return list.map((st) => ({
      sta: st.sta,
      bssid: st.bss.cfg.bssid,
      ssid: st.bss.cfg.network.ssid,
      identity: st.authz?.identity ?? st.eap?.identity ?? '',
      userName: st.authz?.record.userName,
      acctSessionId: st.acctSessionId,
      acctMultiSessionId: st.authz?.acctMultiSessionId || st.acctSessionId,
      akm: st.akm,
      authorized: st.portAuthorized,
      ieee8021x: usesIeee8021x(st.akm),
    }));
  }

  /**
   * A new Session-Timeout for a station's session, counted from now (a CoA-Request, RFC
   * 5176 §3.1); 0 removes it. Undefined when the station is unknown.
   */
  setSessionTimeout(sta: Buffer, seconds: number, now: number): Effect[] | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) return undefined;
    return this.run(now, () => {
      if (st.authz !== undefined) st.authz.sessionTimeoutS = seconds;
      this.setTimer(st, 'sessionEndAt', seconds > 0 ? now + seconds * 1000 : Infinity);
    });
  }

  /**
   * Reauthenticates a station now (IEEE 802.1X-2004 §8.2.4 reAuthenticate; a CoA-Request
   * asking for it): EAP runs again over the open port, and a Reject ends the session.
   * Undefined when the station is unknown or does not authenticate through 802.1X.
   */
  reauthenticate(sta: Buffer, now: number): Effect[] | undefined {
    const st = this.stations.get(macKey(sta));
    if (st === undefined || !usesIeee8021x(st.akm) || !st.portAuthorized) return undefined;
    return this.run(now, () => {
      st.sig |= Sig.reAuthenticate;
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
      this.dropStation(st, 'aborted', 'station associated with a BSS served elsewhere', undefined, { reason: 0, initiator: 'station' });
      if (hadKey) this.revokeAt(st.bss.cfg.bssid, sta);
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
        if (bss.cfg.network.sae !== policy.sae) this.sae.passwordsChanged();
        bss.cfg = { ...bss.cfg, network: policy };
        if (intervalChanged && bss.gtkState === 'SETKEYSDONE' && !bss.detached) this.setRekeyTimer(bss, policy.groupRekeyMs > 0 ? now + policy.groupRekeyMs : Infinity);
      }
    });
  }

  /** A configuration reload: a new accounting Interim-Update interval (ms; 0: none). */
  updateAccounting(interimMs: number, now: number): Effect[] {
    return this.run(now, () => this.accounting.setInterim(interimMs, this.stations.values()));
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
    return st === undefined ? undefined : view(st);
  }

  /** Every station (views). */
  *allStations(): Iterable<StationView> {
    for (const st of this.stations.values()) yield view(st);
  }

  /** Recent finished handshakes of a station, newest first (kept after it leaves). */
  history(sta: Buffer): HandshakeRecord[] {
    const key = macKey(sta);
    return this.histories.of(key, this.stations.get(key)?.record);
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

  /** Handshakes running, and stations waiting for a slot (admin, tests). */
  handshakeLoad(): { inFlight: number; waiting: number } {
    return { inFlight: this.admission.inFlight, waiting: this.admission.waiting };
  }

  /** Handshakes allowed at once now (the admission window, at most maxHandshakesInFlight). */
  admissionLimit(): number {
    return this.admission.limit;
  }

  // ---- Environment (what the machines and modules act through) -----------------------

  random(n: number): Buffer {
    return this.rand(n);
  }

  emit(e: Effect): void {
    this.out.push(e);
  }

  trace(t: Transition): void {
    this.traceFn?.(t);
  }

  nextRef(owner: Association | BssState): number {
    const ref = ++this.refSeq;
    this.refs.set(ref, owner);
    return ref;
  }

  setTimer(st: Association, timer: StationTimer, at: number): void {
    let t = st.timers;
    if (t === undefined) {
      if (at === Infinity) return;
      t = st.timers = { kind: 'sta', st, timerGen: 0, deadline: Infinity, keyTimeoutAt: Infinity, paeTimeoutAt: Infinity, sessionEndAt: Infinity, interimAt: Infinity };
    }
    t[timer] = at;
    this.resyncStation(t);
  }

  /** The station's heap deadline is the earliest of its timers; with none left, its timers go. */
  private resyncStation(t: StationTimers): void {
    const next = Math.min(t.keyTimeoutAt, t.paeTimeoutAt, t.sessionEndAt, t.interimAt);
    if (next === Infinity) {
      this.timers.cancel(t);
      if (t.st.timers === t && !t.st.deferred) t.st.timers = undefined;
      return;
    }
    if (next !== t.deadline) this.timers.schedule(t, next);
  }

  setRekeyTimer(bss: BssState, at: number): void {
    bss.rekeyAt = at;
    this.resyncBss(bss);
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
      if (this.bsses.get(bss.key) !== bss || bss.detached || bss.held) continue; // a detached BSS rekeys on attach
      const { gtkState, GN, txKeyId } = bss;
      while (stepGtk(this, bss, (st) => this.runStation(st)));
      if (this.sa !== undefined && (bss.gtkState !== gtkState || bss.GN !== GN || bss.txKeyId !== txKeyId)) this.sa.bssChanged(bss.cfg.bssid);
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  private resyncBss(bss: BssState): void {
    const at = Math.min(bss.rekeyAt, bss.graceEndsAt);
    if (at === bss.deadline) return;
    if (at === Infinity) this.timers.cancel(bss);
    else this.timers.schedule(bss, at);
  }

  private requestGroupRekey(bss: BssState): void {
    if (!bss.keyManagement) return;
    bss.GTKReKey = true;
    this.dirtyBss.add(bss);
  }

  private onAssociated(bssid: Buffer, sta: Buffer, rsne: Buffer, reassociation: boolean, rsnxe?: Buffer): void {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return dropped(this, bssid, sta, 'unknown_bssid', 'association on a BSSID no agent announced');
    const existing = this.stations.get(macKey(sta));
    let carried: { anonces: Buffer[]; replay: ReplayWindow } | undefined;
    if (existing !== undefined) {
      // Invariant 2: a duplicated association event must not silently restart the
      // handshake (a new ANonce would make the station's msg 2/4 fail). Same BSS, same
      // RSNE, handshake still waiting for msg 2/4: the station's state is unchanged, so the
      // pending msg 1/4 (and its retransmissions) remain valid. Count it and go on.
      const early = existing.ptkState === 'PTKSTART' || existing.ptkState === 'PTKCALCNEGOTIATING';
      if (existing.bss === bss && !reassociation && early && existing.assocRsne.equals(rsne)) {
        report(this, { kind: 'duplicate-association', bssid, sta });
        return dropped(this, bssid, sta, 'duplicate_association', 'association event for a station already in its handshake');
      }
      // A real (re)association: the standard restarts the security association. Keep the
      // ANonces for the MIC-failure diagnosis (a late answer to them is a stale ANonce) and
      // keep the replay counter increasing: if the event was a duplicate, the station still
      // holds the counters it saw; a station that did reassociate accepts any.
      existing.replay.invalidateAll();
      const hs = existing.hs;
      const anonces = hs !== undefined ? [hs.ANonce, ...hs.previousANonces] : existing.lastANonce !== undefined ? [Buffer.from(existing.lastANonce, 'latin1')] : [];
      carried = { anonces: anonces.filter((n) => n.length > 0).slice(0, 2), replay: existing.replay };
      const moved = existing.bss !== bss;
      const hadKey = existing.PTK_valid || existing.portAuthorized;
      this.dropStation(existing, 'aborted', reassociation ? 'station reassociated' : 'station associated again', undefined, { reason: 0, initiator: 'station' });
      // The station is now elsewhere (possibly on another agent): the BSS it left must not
      // keep its key installed or its port open.
      if (moved && hadKey) this.revokeAt(existing.bss.cfg.bssid, sta);
    }
    const verdict = this.associations.check(bss, sta, rsne, this.now);
    if ('reason' in verdict) {
      this.emit({ type: 'disconnect', bssid, sta, reason: verdict.reason, deauth: verdict.deauth });
      if (verdict.rejected !== undefined) report(this, { kind: 'handshake', bssid, sta, result: 'rejected', akm: 0, detail: verdict.rejected });
      if (verdict.drop !== undefined) dropped(this, bssid, sta, verdict.drop[0], verdict.drop[1]);
      return;
    }
    let saeKey: SaeResult | undefined;
    if (verdict.akm === AKM.SAE) {
      saeKey = this.saeKeyFor(bss, sta, rsne);
      if (saeKey === undefined) {
        // hostapd refuses such an association with status 53; the agent has already let it in.
        this.emit({ type: 'disconnect', bssid, sta, reason: Reason.INVALID_PMKID, deauth: true });
        report(this, { kind: 'handshake', bssid, sta, result: 'rejected', akm: AKM.SAE, detail: 'SAE association without a completed SAE exchange or a cached PMKSA' });
        return;
      }
    }
    const st = this.createStation(bss, sta, rsne, verdict.akm, verdict.cipher);
    st.mfp = verdict.mfp;
    if (rsnxe !== undefined && rsnxe.length > 0) st.assocRsnxe = Buffer.from(rsnxe);
    if (saeKey !== undefined) this.startSae(st, saeKey);
    if (carried !== undefined) {
      st.replay = carried.replay;
      if (carried.anonces.length > 0) st.hs = { ANonce: Buffer.alloc(0), previousANonces: carried.anonces, SNonce: undefined, pmkCandidates: [], TimeoutCtr: 0, firstTxRef: undefined, keySentAt: 0 };
    }
    this.begin(st, rsne);
  }

  /** A new association starts: IEEE 802.1X first for its AKMs, then (or at once, PSK and SAE) the 4-way handshake. */
  private begin(st: Association, rsne: Buffer): void {
    if (usesIeee8021x(st.akm)) this.ieee8021x.start(st, rsne);
    else if (isPskAkm(st.akm) && st.bss.cfg.network.pskSource === 'radius') return this.requestPsk(st);
    st.sig |= Sig.AuthenticationRequest;
    this.runStation(st);
  }

  /**
   * A PSK from RADIUS (NetworkPolicy.pskSource): the handshake waits for the station's PSK.
   * Nothing is sent to the station meanwhile (it waits for msg 1/4 anyway).
   */
  private requestPsk(st: Association): void {
    const bss = st.bss;
    st.pskRef = this.nextRef(st);
    this.emit({
      type: 'psk-request',
      ref: st.pskRef,
      bssid: bss.cfg.bssid,
      sta: st.sta,
      agentId: bss.cfg.agentId,
      ssid: bss.cfg.network.ssid,
      akm: st.akm,
      pairwiseCipher: st.pairwiseCipher,
      groupCipher: bss.groupCipher,
      acctSessionId: st.acctSessionId,
    });
  }

  /**
   * The answer to a PSK lookup: an Accept with a PSK starts the 4-way handshake with it (and
   * its VLAN, Class and Session-Timeout go with the station as an 802.1X grant would); a
   * Reject, an Accept without a usable PSK or no answer refuses the station, and explain
   * says which.
   */
  private onPskAnswer(st: Association, ev: RadiusOutcome): void {
    st.pskRef = undefined;
    const round = ev.server !== undefined ? [{ server: ev.server, rttMs: ev.rttMs ?? 0 }] : [];
    const identity = macUserName(st.sta);
    if (ev.outcome === 'accept' && ev.psk !== undefined && ev.psk.length === 32) {
      this.keys.setPmk(st, ev.psk);
      const vlanId = ev.vlanId ?? 0;
      const sessionTimeoutS = ev.sessionTimeoutS ?? 0;
      const record: AuthRecord = { identity, userName: ev.userName, method: 0, rounds: round, roundsTotal: round.length, result: 'accept', pmksaCached: false, vlanId, sessionTimeoutS };
      st.authz = { identity: ev.userName ?? identity, classes: ev.classes ?? [], vlanId, sessionTimeoutS, terminationAction: 0, acctMultiSessionId: '', pmkid: undefined, record };
      // As hostapd applies a MAC-authentication Session-Timeout: the session ends then, and
      // the station's next join asks again (a changed PSK or VLAN takes effect there).
      if (sessionTimeoutS > 0) this.setTimer(st, 'sessionEndAt', this.now + sessionTimeoutS * 1000);
      st.sig |= Sig.AuthenticationRequest;
      this.runStation(st);
      return;
    }
    const why =
      ev.outcome === 'reject' ? 'RADIUS refused the station (Access-Reject to its MAC-authentication request): no PSK for it'
      : ev.outcome === 'accept' ? `RADIUS accepted the station without a usable PSK${ev.detail !== undefined ? ` (${ev.detail})` : ''}`
      : 'no RADIUS server answered the station\'s PSK lookup';
    const bssid = st.bss.cfg.bssid;
    this.histories.add(st.key, {
      bssid: formatMac(bssid),
      akm: st.akm,
      startedAt: this.now,
      endedAt: this.now,
      result: 'rejected',
      detail: why,
      msg1Sent: 0,
      msg3Sent: 0,
      micFailures: 0,
      anonceFp: '',
      stage: 'psk-lookup',
    });
    // hostapd refuses the station (IEEE 802.1X authentication failed is the closest reason).
    report(this, { kind: 'handshake', bssid, sta: st.sta, result: 'rejected', akm: st.akm, detail: why });
    this.disconnect(st, Reason.IEEE_802_1X_AUTH_FAILED, why);
  }

  private onStationTimers(st: Association, now: number): void {
    const t = st.timers;
    if (t === undefined) return;
    if (t.keyTimeoutAt <= now) {
      t.keyTimeoutAt = Infinity;
      st.sig |= Sig.TimeoutEvt;
    }
    if (t.paeTimeoutAt <= now) {
      t.paeTimeoutAt = Infinity;
      this.ieee8021x.paeTimer(st);
    }
    if (t.sessionEndAt <= now) {
      t.sessionEndAt = Infinity;
      this.ieee8021x.sessionTimer(st);
    }
    if (t.interimAt <= now) {
      t.interimAt = Infinity;
      this.accounting.interim(st);
    }
    if (st.timers === t) this.resyncStation(t); // the earliest timer left (the handlers may have set some)
    this.runStation(st);
  }

  private onDisassociated(bssid: Buffer, sta: Buffer, reason: number, locallyGenerated: boolean): void {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) return dropped(this, bssid, sta, 'unassociated_station', 'disassociation of an unknown station');
    // Events of different agents are not ordered with each other: a late disassociation
    // from the BSS the station left must not remove it from the BSS it roamed to.
    if (!st.bss.cfg.bssid.equals(bssid)) return dropped(this, bssid, sta, 'stale_disassociation', 'disassociation from a BSS the station already left');
    const wasAuthorized = st.portAuthorized;
    this.sae.forget(bssid, sta);
    this.dropStation(st, 'aborted', `station left (reason ${reason})`, AcctTerminateCause.UserRequest, { reason, initiator: locallyGenerated ? 'agent' : 'station', detail: locallyGenerated ? 'the AP ended the association' : '' });
    if (wasAuthorized && st.bss.cfg.network.rekeyGtkOnLeave) this.requestGroupRekey(st.bss);
  }

  /** An Authentication frame (SAE) of a station on a BSS whose network runs SAE. */
  private onAuthentication(bssid: Buffer, sta: Buffer, algorithm: number, transaction: number, status: number, body: Buffer): void {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return dropped(this, bssid, sta, 'unknown_bssid', 'Authentication frame on a BSSID no agent announced');
    const policy = bss.cfg.network.sae;
    if (algorithm !== SAE_ALGORITHM || policy === undefined || !bss.akms.includes(AKM.SAE)) return dropped(this, bssid, sta, 'sae_not_offered', `Authentication algorithm ${algorithm} on a BSS that does not run SAE`);
    this.sae.receive(saeBss(bss), sta, transaction, status, body, this.now);
  }

  /**
   * A failed SAE exchange goes to the station's history, for explain: a station with a wrong
   * password never associates, so no handshake of its would say why it cannot join. Token
   * requests and group negotiation are steps of a working exchange, not failures.
   */
  private saeOutcome(r: Extract<Report, { kind: 'sae' }>): void {
    if (r.result === 'accepted' || r.result === 'token-required' || r.result === 'unsupported-group') return;
    const words = r.result === 'wrong-password' ? 'wrong password' : r.result === 'unknown-password-identifier' ? 'unknown password identifier' : r.result;
    this.histories.add(macKey(r.sta), {
      bssid: formatMac(r.bssid),
      akm: AKM.SAE,
      startedAt: this.now,
      endedAt: this.now,
      result: 'rejected',
      detail: `SAE failed (${words})${r.detail !== '' ? `: ${r.detail}` : ''}`,
      msg1Sent: 0,
      msg3Sent: 0,
      micFailures: 0,
      anonceFp: '',
      stage: 'sae',
    });
  }

  /** An SAE exchange was Accepted: its PMKSA is cached (for this BSS only). */
  private saeAccepted(b: SaeBss, sta: Buffer, r: SaeResult): void {
    this.pmksa.cache(
      {
        sta: Buffer.from(sta),
        ssid: b.ssid,
        pmk: r.pmk,
        akm: AKM.SAE,
        identity: r.identifier ?? '',
        classes: [],
        vlanId: r.vlanId,
        sessionTimeoutS: 0,
        terminationAction: 0,
        acctMultiSessionId: '',
        pmkid: r.pmkid,
        aa: Buffer.from(b.bssid),
        expiresAt: this.now + this.timing.pmksaLifetimeMs,
      },
      this.now,
    );
    report(this, { kind: 'pmksa', bssid: b.bssid, sta, event: 'cached' });
  }

  /** The PMK of an SAE association: the exchange just Accepted, else the cached PMKSA its PMKID names. */
  private saeKeyFor(bss: BssState, sta: Buffer, rsne: Buffer): (SaeResult & { cached: boolean }) | undefined {
    const fresh = this.sae.takeAccepted(bss.cfg.bssid, sta);
    if (fresh !== undefined) return { ...fresh, cached: false };
    const dec = decodeRsne(rsne);
    const pmkids = dec.ok ? (dec.value.pmkids ?? []) : [];
    const e = this.pmksa.lookup(sta, bss.cfg.network.ssid, bss.cfg.bssid, pmkids, this.now);
    if (e === undefined || e.akm !== AKM.SAE || e.pmkid === undefined) return undefined;
    report(this, { kind: 'pmksa', bssid: bss.cfg.bssid, sta, event: 'used' });
    return { pmk: Buffer.from(e.pmk), pmkid: Buffer.from(e.pmkid), vlanId: e.vlanId, identifier: e.identity || undefined, cached: true };
  }

  /** An SAE station's PMK and grant (its VLAN, its password identifier), before the 4-way handshake. */
  private startSae(st: Association, k: SaeResult & { cached?: boolean }): void {
    this.keys.setPmk(st, k.pmk);
    wipe(k.pmk);
    const identity = k.identifier ?? '';
    const record: AuthRecord = { identity, userName: undefined, method: 0, rounds: [], roundsTotal: 0, result: 'accept', pmksaCached: k.cached === true, vlanId: k.vlanId, sessionTimeoutS: 0 };
    st.authz = { identity, classes: [], vlanId: k.vlanId, sessionTimeoutS: 0, terminationAction: 0, acctMultiSessionId: '', pmkid: k.pmkid, record };
  }

  private onEapol(bssid: Buffer, sta: Buffer, frame: Buffer): void {
    const bss = this.bsses.get(macKey(bssid));
    if (bss === undefined) return dropped(this, bssid, sta, 'unknown_bssid', 'EAPOL on a BSSID no agent announced');
    let st = this.stations.get(macKey(sta));
    const f = decodeEapol(frame);
    if (!f.ok) return dropped(this, bssid, sta, 'malformed_eapol', f.error.detail);
    if (st === undefined) {
      if (!bss.cfg.wired) return dropped(this, bssid, sta, 'unassociated_station', 'EAPOL from a station that is not associated');
      if (this.associations.full(bss)) return dropped(this, bssid, sta, 'station_limit', 'wired station refused: station limit reached');
      // A wired port's station appears with its first EAPOL frame.
      st = this.createStation(bss, sta, Buffer.alloc(0), bss.akms[0], bss.pairwiseCiphers[0]);
      this.begin(st, Buffer.alloc(0));
      // Its first frame (typically EAPOL-Start) is what made it appear; the Identity
      // request is already on its way.
      if (f.value.type !== EapolType.Key && f.value.type !== EapolType.EapPacket) return;
    }
    if (st.bss !== bss) return dropped(this, bssid, sta, 'wrong_bss', `EAPOL on ${formatMac(bssid)} from a station associated to ${formatMac(st.bss.cfg.bssid)}`);
    if (!this.takeEapolToken(st)) return dropped(this, bssid, sta, 'eapol_rate_limited', `more than ${this.eapolRate?.perSecond ?? 0} EAPOL frames/s from one station`);
    const usesPort = usesIeee8021x(st.akm);
    switch (f.value.type) {
      case EapolType.Key: {
        const drop = this.pairwise.onKeyFrame(st, frame, f.value.body);
        if (drop !== undefined) return dropped(this, bssid, sta, drop[0], drop[1]);
        return this.runStation(st);
      }
      case EapolType.EapPacket: {
        if (!usesPort) return dropped(this, bssid, sta, 'unsupported_eapol_type', 'EAP on a PSK network');
        const why = this.port.receiveEapResponse(st, f.value.body);
        if (why !== undefined) return dropped(this, bssid, sta, why, `EAP in backend state ${st.eap?.backendState ?? 'IDLE'}`);
        return this.runStation(st);
      }
      case EapolType.Start:
        // PSK: the handshake is already under way or done; hostapd restarts it only for
        // a station that has none.
        if (!usesPort) return dropped(this, bssid, sta, 'eapol_start_ignored', `EAPOL-Start in state ${st.ptkState}`);
        st.sig |= Sig.eapolStart;
        return this.runStation(st);
      case EapolType.Logoff:
        if (!usesPort) return dropped(this, bssid, sta, 'unsupported_eapol_type', 'EAPOL-Logoff on a PSK network');
        st.sig |= Sig.eapolLogoff;
        return this.runStation(st);
      default:
        return dropped(this, bssid, sta, 'unsupported_eapol_type', `EAPOL packet type ${f.value.type}`);
    }
  }

  /**
   * Token bucket per station: a flooding station loses its own frames, nobody else's time.
   * Counted in thousandths of a token over whole milliseconds, so both stay small integers.
   */
  private takeEapolToken(st: Association): boolean {
    const rate = this.eapolRate;
    if (rate === undefined) return true;
    const now = Math.floor(this.now);
    const elapsed = now - st.eapolCreditAt;
    st.eapolCreditAt = now;
    st.eapolCredit = Math.min(rate.burst * 1000, st.eapolCredit + Math.floor(elapsed * rate.perSecond));
    if (st.eapolCredit < 1000) return false;
    st.eapolCredit -= 1000;
    return true;
  }

  private onTxStatus(ref: number): void {
    const st = this.refs.get(ref);
    this.refs.delete(ref);
    if (st === undefined || st.kind !== 'sta') return;
    this.pairwise.txStatus(st, ref);
  }

  private onCommandResult(ref: number, ok: boolean, error: string): void {
    const st = this.refs.get(ref);
    if (st === undefined) return;
    this.refs.delete(ref);
    if (st.kind === 'bss') {
      const slot = st.txPnRef.indexOf(ref);
      if (slot >= 0) st.txPnRef[slot] = undefined;
      if (!ok) report(this, { kind: 'command-failed', bssid: st.cfg.bssid, sta: undefined, command: 'install-group-key', error });
      return;
    }
    if (this.stations.get(st.key) !== st) return;
    const bssid = st.bss.cfg.bssid;
    if (st.installRef === ref) {
      st.installRef = undefined;
      // As hostapd's PTKINITDONE when set_key fails: a key that is not in place ends the
      // association (reason 2), and the port never opens.
      if (!ok) return this.failCommand(st, 'install-pairwise-key', error, Reason.PREV_AUTH_NOT_VALID);
      // The handshake succeeded now that its key is in place.
      this.finishHandshake(st, 'success', 'msg 4/4 verified, pairwise key installed');
      st.portRef = this.nextRef(st);
      this.emit({ type: 'set-port', bssid, sta: st.sta, authorized: true, vlanId: st.authz?.vlanId ?? 0, sessionTimeoutS: st.authz?.sessionTimeoutS ?? 0, ref: st.portRef });
    } else if (st.portRef === ref) {
      st.portRef = undefined;
      if (!ok) return this.failCommand(st, 'set-port', error, Reason.UNSPECIFIED);
      // A PTK rekey re-confirms the port: that is not a join.
      const first = !st.portAuthorized;
      st.portAuthorized = true;
      if (!first) {
        this.sa?.stationChanged(bssid, st.sta); // a new PTK (or a new 802.1X grant) in place
        return;
      }
      if (!st.bss.keyManagement) this.finishHandshake(st, 'success', '802.1X: EAP success (port without key management)');
      this.setPhase(st, 'authorized');
      const joinMs = this.now - st.associatedAt;
      if (st.record !== undefined && st.record.result === 'success') st.record.joinMs = joinMs;
      report(this, { kind: 'joined', bssid, sta: st.sta, akm: st.akm, joinMs, agentId: st.bss.cfg.agentId, vlanId: st.authz?.vlanId ?? 0, auth: st.authz?.record });
      this.accounting.start(st);
      this.sa?.stationChanged(bssid, st.sta);
    }
  }

  private failCommand(st: Association, command: string, error: string, reason: number): void {
    report(this, { kind: 'command-failed', bssid: st.bss.cfg.bssid, sta: st.sta, command, error });
    this.disconnect(st, reason, `${command} failed at the agent: ${error}`);
  }

  /** Disconnects a station with `reason`; its handshake record (if still open) ends as aborted with `detail`. */
  private disconnect(st: Association, reason: number, detail: string): void {
    st.disconnectReason = reason;
    st.sig |= Sig.Disconnect;
    this.finishHandshake(st, 'aborted', detail);
    // The words of its station-left report, when no failed handshake says why (an operator, a policy server).
    this.disconnectWhy = { st, detail };
    try {
      this.runStation(st);
    } finally {
      this.disconnectWhy = undefined;
    }
  }

  // ---- StationControl and PairwisePeer -------------------------------------------------

  private finishHandshake(st: Association, result: HandshakeResult, detail: string): void {
    this.startAdmitted(this.admission.release(st)); // a slot is held also without a record
    const rec = st.record;
    if (rec === undefined || rec.result !== undefined) return;
    this.associations.ended(st.sta, st.bss, result, this.now);
    rec.result = result;
    rec.detail = detail;
    rec.endedAt = this.now;
    // The record stays with the association (history() reads it there) until it is replaced or the station goes.
    report(this, { kind: 'handshake', bssid: st.bss.cfg.bssid, sta: st.sta, result, akm: st.akm, detail });
  }

  private closePort(st: Association): void {
    if (!st.portAuthorized) return;
    this.emit({ type: 'set-port', bssid: st.bss.cfg.bssid, sta: st.sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
    st.portAuthorized = false;
    this.setPhase(st, 'authenticating');
  }

  private openPort(st: Association): void {
    st.portRef = this.nextRef(st);
    this.emit({ type: 'set-port', bssid: st.bss.cfg.bssid, sta: st.sta, authorized: true, vlanId: st.authz?.vlanId ?? 0, sessionTimeoutS: st.authz?.sessionTimeoutS ?? 0, ref: st.portRef });
  }

  /** The station left `bssid` for a BSS elsewhere: the BSS it left closes its port and removes its key. */
  private revokeAt(bssid: Buffer, sta: Buffer): void {
    this.emit({ type: 'set-port', bssid, sta, authorized: false, vlanId: 0, sessionTimeoutS: 0 });
    this.emit({ type: 'remove-pairwise-key', bssid, sta });
  }

  /** Stations that just got a handshake slot start (their next step passes admit()). */
  private startAdmitted(stations: Association[]): void {
    for (const next of stations) {
      // A station of a BSS whose agent is away gives its turn on (it restarts on return).
      if (next.bss.detached) this.startAdmitted(this.admission.release(next));
      else this.runStation(next);
    }
  }

  // ---- stations ----------------------------------------------------------------------

  /** The BSS's copy of an association RSNE (at most 32 kept per BSS; others get their own copy). */
  private sharedRsne(bss: BssState, rsne: Buffer): Buffer {
    const k = rsne.toString('latin1');
    const have = bss.assocRsnes.get(k);
    if (have !== undefined) return have;
    const copy = Buffer.from(rsne);
    if (bss.assocRsnes.size < 32) bss.assocRsnes.set(k, copy);
    return copy;
  }

  private createStation(bss: BssState, sta: Buffer, rsne: Buffer, akm: number, cipher: number): Association {
    const st = new Association(this.keys.mac(sta), macKey(sta), bss, this.sharedRsne(bss, rsne), akm, cipher, this.now, this.rand(1)[0], this.accounting.newSessionId(), this.eapolRate?.burst ?? 0, new ReplayWindow());
    this.stations.set(st.key, st);
    bss.stations.add(st);
    this.associations.added(bss.cfg.agentId);
    this.setPhase(st, 'associated');
    return st;
  }

  /** Runs the station's machines until they settle, then consumes the one-shot inputs. */
  private runStation(st: Association): void {
    const usesPort = usesIeee8021x(st.akm);
    const replayBefore = st.replay.lastSent;
    for (let i = 0; i < MAX_MACHINE_STEPS; i++) {
      const p = usesPort && this.port.step(st);
      const a = this.pairwise.step(st);
      if (st.ptkState === 'DISCONNECTED') break;
      if (!a && !p) break;
    }
    this.pairwise.settle(st);
    if (st.ptkState === 'DISCONNECTED') {
      // The words of the disconnect: why its handshake ended, when that is why it went.
      const rec = st.record;
      const asked = this.disconnectWhy?.st === st ? this.disconnectWhy.detail : 'disconnected';
      const why = rec?.result !== undefined && rec.result !== 'success' && rec.detail ? rec.detail : asked;
      this.dropStation(st, 'aborted', 'disconnected', undefined, { reason: st.disconnectReason, initiator: 'authenticator', detail: why });
      return;
    }
    if (st.phase === 'associated' && st.ptkState !== 'INITIALIZE') this.setPhase(st, 'authenticating');
    // The counters a shared snapshot reserved are about to run out: it is written again.
    if (this.sa !== undefined && st.phase === 'authorized' && reservedReplay(st.replay.lastSent) !== reservedReplay(replayBefore)) this.sa.stationChanged(st.bss.cfg.bssid, st.sta);
  }

  /**
   * Forgets a station; an unfinished handshake ends with `result`. `ended` says how its
   * association ended (the 'station-left' report: reason code, who, in words).
   */
  private dropStation(st: Association, result: HandshakeResult, detail: string, cause: number | undefined, ended: { reason: number; initiator: 'station' | 'agent' | 'authenticator'; detail?: string }): void {
    if (this.stations.get(st.key) !== st) return;
    const wasAuthorized = st.portAuthorized;
    if (wasAuthorized) this.sa?.stationGone(st.bss.cfg.bssid, st.sta);
    this.finishHandshake(st, result, detail); // frees its handshake slot, record or not
    report(this, { kind: 'station-left', bssid: st.bss.cfg.bssid, sta: st.sta, agentId: st.bss.cfg.agentId, akm: st.akm, reason: ended.reason, initiator: ended.initiator, detail: ended.detail ?? detail, wasAuthorized, handshake: st.record });
    if (st.record?.result !== undefined) this.histories.add(st.key, st.record);
    this.accounting.stop(st, cause ?? st.terminateCause);
    this.forgetStation(st);
  }

  /**
   * Takes a station out of every table, its keys wiped, without a word (the part of
   * dropStation after its reports and accounting; alone for relinquishBss: a station
   * served elsewhere now).
   */
  private forgetStation(st: Association): void {
    this.pairwise.leaveGroupUpdate(st);
    this.setPhase(st, undefined);
    if (st.timers !== undefined) this.timers.cancel(st.timers);
    st.timers = undefined;
    for (const ref of [st.installRef, st.portRef, st.pskRef, st.hs?.firstTxRef, st.eap?.radiusRef]) if (ref !== undefined) this.refs.delete(ref);
    this.stations.delete(st.key);
    st.bss.stations.delete(st);
    this.associations.removed(st.bss.cfg.agentId);
    // TK included: the install effect carried a copy of it (the glue's to wipe).
    this.keys.dropPtk(st);
    // Every PMK a station holds is its own copy (PskCache.get and the PMKSA cache copy).
    if (st.hs !== undefined) for (const k of st.hs.pmkCandidates) wipe(k);
    wipe(st.eap?.pmk);
    this.keys.dropPmk(st);
    st.hs = undefined;
    st.eap = undefined;
  }

  private setPhase(st: Association, to: StationPhase | undefined): void {
    if (st.phase === to) return;
    st.bss.pending += (isPending(to) ? 1 : 0) - (isPending(st.phase) ? 1 : 0);
    report(this, { kind: 'station-phase', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.phase, to });
    st.phase = to;
  }

}

/**
 * The replay counter a snapshot records for a station whose last counter sent is `last`:
 * past every counter it may send before its counters cross the next multiple of
 * REPLAY_RESERVATION / 2, when the snapshot is written again (runStation).
 */
function reservedReplay(last: number): number {
  const step = REPLAY_RESERVATION / 2;
  return (Math.floor(last / step) + 2) * step;
}

function view(st: Association): StationView {
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
    vlanId: st.authz?.vlanId ?? 0,
    handshake: st.record,
  };
}

/** A station that associated and is not authorized yet (counted against maxPendingPerBss). */
function isPending(phase: StationPhase | undefined): boolean {
  return phase === 'associated' || phase === 'authenticating';
}

/** Authentication Algorithm Number of SAE. */
const SAE_ALGORITHM = 3;

/** A BSS as the SAE responder needs it (only called for BSSes whose network has an SAE policy). */
function saeBss(bss: BssState): SaeBss {
  return { bssid: bss.cfg.bssid, ssid: bss.cfg.network.ssid, policy: bss.cfg.network.sae! };
}

/** The association RSNE sets MFPC (with a BSS that offers PMF, PMF is in use). */
function stationPmfCapable(rsne: Buffer): boolean {
  const dec = rsne.length > 0 ? decodeRsne(rsne) : undefined;
  return dec !== undefined && dec.ok && pmfOf(dec.value).capable;
}

/** A copy of an optional buffer (snapshots own their octets). */
function copy(b: Buffer | undefined): Buffer | undefined {
  return b === undefined ? undefined : Buffer.from(b);
}
