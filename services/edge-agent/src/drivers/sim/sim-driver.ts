/**
 * The sim driver: a virtual radio with N BSSes and M stations. Each station runs
 * packages/supplicant; frames cross an air model (loss, delay, duplication, reordering);
 * stations join, stay, leave, rejoin and roam between the BSSes. The radio side checks the
 * ordering invariants a real AP depends on (a protected frame needs an installed PTK; the
 * port opens only after the PTK is installed) and counts violations.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AKM, CIPHER, computePmkid, decodeEapol, EapolType, encodeEapol, encodeRsne, encodeRsnxe, formatMac, isPskAkm, macKey, PskCache, RsnCapability, sae } from '@airlock/rsn';
import { EapPeer, SaeStation, Supplicant, type EapPeerOptions, type SupplicantMisbehaviour } from '@airlock/supplicant';
import type {
  BssAnnouncement,
  DisconnectCommand,
  InstallGroupKeyCommand,
  InstallPairwiseKeyCommand,
  LinkEvent,
  RemovePairwiseKeyCommand,
  SetPortCommand,
  StationEntry,
  TransmitAuthenticationCommand,
  TransmitEapolCommand,
} from '@airlock/link';
import { DriverError, type Driver, type SessionSettings } from '../../driver.js';
import { PERFECT_AIR, planDelivery, seededRandom, type AirModel } from './air-model.js';

/** One simulated BSS. */
export interface SimBssSpec {
  /** The radio's real BSSID: what stations use as AA. */
  bssid: Buffer;
  ssid: string;
  /** AKM selector (default PSK). */
  akm?: number;
  /**
   * WPA3: the BSS offers SAE too (transition mode, AKMs 2 and 8, PMF capable) or only
   * (`akm: AKM.SAE`, PMF required). It advertises H2E in its RSNXE.
   */
  sae?: boolean;
  /** Misconfiguration under test: the agent announces this BSSID instead of the real one. */
  announceBssid?: Buffer;
}

/** One simulated station. */
export interface SimStationSpec {
  mac: Buffer;
  /** PSK BSSes: the station's passphrase. */
  passphrase: string;
  /** 802.1X BSSes: the station's EAP identity and method. */
  eap?: EapPeerOptions;
  /** Offer cached PMKIDs when (re)associating (PMKSA caching / OKC); default true. */
  pmksaCaching?: boolean;
  /** Index of the BSS it joins first (default: spread over the BSSes). */
  home?: number;
  /** WPA3 station: on a BSS that offers SAE it runs SAE (H2E) with `passphrase` as its password, with PMF. */
  wpa3?: boolean;
  misbehave?: SupplicantMisbehaviour;
}

/** What stations do over time. */
export interface SimBehaviour {
  /** Stations join at random times within this window after start (ms). */
  joinSpreadMs: number;
  /** When set, after a dwell in [min,max] ms a station leaves or roams. */
  dwellMs: [number, number] | undefined;
  /** Time away before rejoining (ms). */
  awayMs: [number, number];
  /** At the end of a dwell: probability of roaming to another BSS instead of leaving. */
  roamProbability: number;
  /** Rejoin after the AP disconnects the station. */
  rejoinAfterDisconnect: boolean;
}

/** Options of the sim driver. */
export interface SimDriverOptions {
  bsses: SimBssSpec[];
  stations: SimStationSpec[];
  air?: Partial<AirModel>;
  behaviour?: Partial<SimBehaviour>;
  /** Seed of the air and behaviour decisions. */
  seed?: number;
  /** Nonce source of the stations (default crypto.randomBytes). */
  random?: (n: number) => Buffer;
  reportsTxStatus?: boolean;
  /** Start stations automatically (default true); tests may call join() instead. */
  autoJoin?: boolean;
}

interface RadioBss {
  spec: SimBssSpec;
  real: Buffer;
  announced: Buffer;
  akm: number;
  /** Offers SAE (AKM 8): only, or beside `akm` (transition mode). */
  sae: boolean;
  rsne: Buffer;
  /** RSNXE with SAE H2E when it offers SAE. */
  rsnxe: Buffer | undefined;
  ssid: Buffer;
  /** Group keys by key id: GTKs 1/2, IGTKs 4/5, BIGTKs 6/7. */
  gtk: Map<number, Buffer>;
  txKeyId: number;
}

interface SimStation {
  spec: SimStationSpec;
  key: string;
  state: 'away' | 'authenticating' | 'associated' | 'authorized';
  /** WPA3: the SAE exchange under way, and the PMKSA of the last one per BSS (its BSSID, for PMKSA caching). */
  sae: SaeStation | undefined;
  saeCache: Map<string, { pmk: Buffer; pmkid: Buffer }>;
  saeFailures: number;
  assocRsnxe: Buffer | undefined;
  bss: RadioBss | undefined;
  supplicant: Supplicant | undefined;
  /** 802.1X: the EAP peer of the current association. */
  peer: EapPeer | undefined;
  /** The station's PMKSA cache by SSID (hex): the PMK from its last EAP success. */
  pmkCache: Map<string, Buffer>;
  /** MSK of the last EAP success (tests compare the authenticator's PMK with it). */
  lastMsk: Buffer | undefined;
  eapSuccesses: number;
  /** Bumped on every (re)association: frames of an older association are discarded. */
  epoch: number;
  apTk: Buffer | undefined;
  portAuthorized: boolean;
  vlanId: number;
  /** Simulated traffic since the association (StationCounters). */
  traffic: { rxBytes: bigint; txBytes: bigint; rxPackets: bigint; txPackets: bigint };
  assocRsne: Buffer;
  joins: number;
  timer: NodeJS.Timeout | undefined;
}

/** Keys seen on both sides of one station (tests compare them). */
export interface SimKeyView {
  sta: string;
  state: SimStation['state'];
  bssid: string | undefined;
  /** TK the AP radio was told to install (via InstallPairwiseKey). */
  apTk: Buffer | undefined;
  /** TK the station derived. */
  stationTk: Buffer | undefined;
  /** KCK and KEK the station derived (secrets tests). */
  stationKck: Buffer | undefined;
  stationKek: Buffer | undefined;
  /** GTK the station holds and the radio's GTK with the same key id. */
  stationGtk: { keyId: number; gtk: Buffer } | undefined;
  apGtk: Buffer | undefined;
}

const DEFAULT_BEHAVIOUR: SimBehaviour = { joinSpreadMs: 1000, dwellMs: undefined, awayMs: [2000, 6000], roamProbability: 0.3, rejoinAfterDisconnect: true };

/** The RSNE a sim BSS advertises: RSN v1, CCMP group and pairwise, one AKM, no capabilities. */
export function simBssRsne(akm: number): Buffer {
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [akm], capabilities: 0 });
}

/** The RSNXE of a WPA3 sim BSS and station: SAE hash-to-element. */
const SIM_RSNXE = encodeRsnxe({ h2e: true });
/** Reason code 49: the PMKID the station named is not the AP's. */
const INVALID_PMKID = 49;
/** A WPA3 sim station that has not finished SAE by then gives up and rejoins later. */
const SAE_GIVE_UP_MS = 5000;

/** The RSNE of a WPA3 sim BSS or station: CCMP, `akms`, PMF capable (1) or required (2), BIP-CMAC-128. */
export function simWpa3Rsne(akms: number[], pmf: 1 | 2, pmkids: Buffer[] = []): Buffer {
  const capabilities = RsnCapability.MFPC | (pmf === 2 ? RsnCapability.MFPR : 0);
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms, capabilities, pmkids, groupMgmtCipher: CIPHER.BIP_CMAC_128 });
}

/** A virtual radio. Emits 'associated' (sta; only while someone listens), 'authorized' (sta), 'disconnected' (sta, reason), 'violation' (text). */
export class SimDriver extends EventEmitter implements Driver {
  readonly name = 'sim';
  readonly reportsTxStatus: boolean;
  /** Ordering violations seen by the radio (must stay empty). */
  readonly violations: string[] = [];
  /** Counters of the air and the stations. */
  readonly stats = { framesDown: 0, framesUp: 0, framesLost: 0, joins: 0, authorized: 0, disconnects: 0, roams: 0, leaves: 0, saeExchanges: 0, saeFailures: 0 };
  /** H2E password elements, one per SSID and password, shared by the stations (as PT is per password). */
  private readonly passwordElements = new Map<string, sae.SaePasswordElement>();
  private readonly air: AirModel;
  private readonly behaviour: SimBehaviour;
  private readonly rnd: () => number;
  private readonly nonce: (n: number) => Buffer;
  private readonly radios: RadioBss[];
  private readonly byAnnounced = new Map<string, RadioBss>();
  private readonly stationsByMac = new Map<string, SimStation>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Zero-delay hops, in order, run by one setImmediate (`soonAlways`: run even when stopped). */
  private soon: (() => void)[] = [];
  private soonAlways: boolean[] = [];
  private soonImmediate: NodeJS.Immediate | undefined;
  private readonly pskCache = new PskCache();
  private onEvent: ((e: LinkEvent) => void) | undefined;
  private countersTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly opts: SimDriverOptions) {
    super();
    this.reportsTxStatus = opts.reportsTxStatus ?? true;
    this.air = { ...PERFECT_AIR, ...opts.air };
    this.behaviour = { ...DEFAULT_BEHAVIOUR, ...opts.behaviour };
    this.rnd = seededRandom(opts.seed ?? 1);
    this.nonce = opts.random ?? ((n) => randomBytes(n));
    this.radios = opts.bsses.map((spec) => {
      const akm = spec.akm ?? AKM.PSK;
      const offersSae = akm === AKM.SAE || spec.sae === true;
      const rsne = offersSae ? simWpa3Rsne(akm === AKM.SAE ? [AKM.SAE] : [akm, AKM.SAE], akm === AKM.SAE ? 2 : 1) : simBssRsne(akm);
      const r: RadioBss = { spec, real: spec.bssid, announced: spec.announceBssid ?? spec.bssid, akm, sae: offersSae, rsne, rsnxe: offersSae ? SIM_RSNXE : undefined, ssid: Buffer.from(spec.ssid, 'utf8'), gtk: new Map(), txKeyId: 0 };
      this.byAnnounced.set(macKey(r.announced), r);
      return r;
    });
    for (const s of opts.stations) {
      this.stationsByMac.set(macKey(s.mac), {
        spec: s,
        key: macKey(s.mac),
        state: 'away',
        bss: undefined,
        supplicant: undefined,
        peer: undefined,
        pmkCache: new Map(),
        lastMsk: undefined,
        eapSuccesses: 0,
        traffic: { rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n },
        epoch: 0,
        apTk: undefined,
        portAuthorized: false,
        vlanId: 0,
        assocRsne: Buffer.alloc(0),
        joins: 0,
        timer: undefined,
        sae: undefined,
        saeCache: new Map(),
        saeFailures: 0,
        assocRsnxe: undefined,
      });
    }
  }

  bsses(): BssAnnouncement[] {
    return this.radios.map((r) => ({ bssid: r.announced, ssid: r.ssid, rsne: r.rsne, wired: false, interfaceMac: r.real, rsnxe: r.rsnxe, beaconProtection: false }));
  }

  stations(): StationEntry[] {
    const out: StationEntry[] = [];
    for (const st of this.stationsByMac.values()) {
      if (st.state === 'away' || st.state === 'authenticating' || st.bss === undefined) continue;
      out.push({ bssid: st.bss.announced, sta: st.spec.mac, rsne: st.assocRsne, portAuthorized: st.portAuthorized, pairwiseKeyInstalled: st.apTk !== undefined, vlanId: st.vlanId, rsnxe: st.assocRsnxe });
    }
    return out;
  }

  start(onEvent: (e: LinkEvent) => void): Promise<void> {
    this.onEvent = onEvent;
    this.running = true;
    if (this.opts.autoJoin ?? true) {
      let i = 0;
      for (const st of this.stationsByMac.values()) {
        const home = st.spec.home ?? i++ % this.radios.length;
        this.after(st, this.rnd() * this.behaviour.joinSpreadMs, () => this.join(st.spec.mac, home));
      }
    }
    return Promise.resolve();
  }

  /** A new session: report StationCounters for authorized stations every countersIntervalS. */
  sessionStarted(settings: SessionSettings): void {
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.countersTimer = undefined;
    if (settings.countersIntervalS <= 0) return;
    this.countersTimer = setInterval(() => this.reportCounters(), settings.countersIntervalS * 1000);
    this.countersTimer.unref();
  }

  /** Adds simulated traffic to every authorized station and reports its counters. */
  reportCounters(): void {
    for (const st of this.stationsByMac.values()) {
      if (st.state !== 'authorized' || st.bss === undefined) continue;
      const t = st.traffic;
      const packets = BigInt(1 + Math.floor(this.rnd() * 100));
      t.rxPackets += packets;
      t.txPackets += packets * 2n;
      t.rxBytes += packets * 200n;
      t.txBytes += packets * 2n * 1200n;
      this.emitEvent({ type: 'counters', bssid: st.bss.announced, sta: st.spec.mac, ...t });
    }
  }

  stop(): Promise<void> {
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.countersTimer = undefined;
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.soonImmediate !== undefined) clearImmediate(this.soonImmediate);
    this.soonImmediate = undefined;
    this.soon = [];
    this.soonAlways = [];
    return Promise.resolve();
  }

  /** Associates a station with BSS `bssIndex` (a reassociation when it is on another BSS). */
  join(sta: Buffer, bssIndex: number): void {
    const st = this.stationsByMac.get(macKey(sta));
    const bss = this.radios[bssIndex];
    if (st === undefined || bss === undefined || !this.running) return;
    const previous = st.state !== 'away' ? st.bss : undefined;
    st.epoch++;
    st.bss = bss;
    st.state = 'associated';
    st.traffic = { rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n };
    st.apTk = undefined;
    st.portAuthorized = false;
    st.joins++;
    this.stats.joins++;
    st.supplicant = undefined;
    st.peer = undefined;
    st.sae = undefined;
    st.assocRsnxe = undefined;
    if (bss.sae && (st.spec.wpa3 === true || bss.akm === AKM.SAE)) {
      if (previous !== undefined && previous !== bss) this.stats.roams++;
      this.saeJoin(st, bss, previous);
      return;
    }
    if (isPskAkm(bss.akm)) {
      // The station selects the BSS's only AKM and cipher: its RSNE is the BSS's (never written
      // to); on a transition-mode BSS (PSK and SAE) a WPA2 station selects PSK, without PMF.
      st.assocRsne = bss.sae ? simBssRsne(bss.akm) : bss.rsne;
      st.supplicant = this.newSupplicant(st, bss, this.pskCache.get(bss.ssid, st.spec.passphrase));
    } else {
      // 802.1X: offer the cached PMKSA (its PMKID for this AA: OKC) or run EAP.
      const cached = st.spec.pmksaCaching !== false ? st.pmkCache.get(bss.ssid.toString('hex')) : undefined;
      const pmkids = cached ? [computePmkid(cached, bss.real, st.spec.mac, bss.akm)] : [];
      st.assocRsne = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [bss.akm], capabilities: 0, pmkids });
      if (cached) st.supplicant = this.newSupplicant(st, bss, cached);
      else if (st.spec.eap) st.peer = new EapPeer(st.spec.eap);
    }
    if (previous !== undefined && previous !== bss) this.stats.roams++;
    // For whoever times joins (the benchmarks' rejoin latencies); no string made otherwise.
    if (this.listenerCount('associated') > 0) this.emit('associated', formatMac(st.spec.mac));
    this.emitEvent({
      type: 'associated',
      bssid: bss.announced,
      sta: st.spec.mac,
      rsne: st.assocRsne,
      reassociation: previous !== undefined,
      previousBssid: previous?.announced,
    });
  }

  /** The station leaves (sends Disassociation, reason 8 "leaving the BSS"). */
  leave(sta: Buffer): void {
    const st = this.stationsByMac.get(macKey(sta));
    if (st === undefined || st.state === 'away' || st.bss === undefined) return;
    const bss = st.bss;
    const wasAssociated = st.state !== 'authenticating';
    this.reset(st);
    this.stats.leaves++;
    if (!wasAssociated) return; // in the middle of SAE: it just stops
    this.emitEvent({ type: 'disassociated', bssid: bss.announced, sta: st.spec.mac, reason: 8, deauth: false, locallyGenerated: false });
  }

  /** Keys on both sides of each station. */
  keyViews(): SimKeyView[] {
    return [...this.stationsByMac.values()].map((st) => {
      const sg = st.supplicant?.gtk;
      return {
        sta: formatMac(st.spec.mac),
        state: st.state,
        bssid: st.bss && formatMac(st.bss.announced),
        apTk: st.apTk,
        stationTk: st.supplicant?.ptk?.tk,
        stationKck: st.supplicant?.ptk?.kck,
        stationKek: st.supplicant?.ptk?.kek,
        stationGtk: sg ? { keyId: sg.keyId, gtk: sg.gtk } : undefined,
        apGtk: sg && st.bss ? st.bss.gtk.get(sg.keyId) : undefined,
      };
    });
  }

  /** Stations whose port is open and whose supplicant completed the handshake. */
  authorizedCount(): number {
    let n = 0;
    for (const st of this.stationsByMac.values()) if (st.state === 'authorized' && st.supplicant?.state === 'established') n++;
    return n;
  }

  /** The radio's transmit GTK key id of a BSS (by announced BSSID). */
  groupTxKeyId(bssid: Buffer): number | undefined {
    return this.byAnnounced.get(macKey(bssid))?.txKeyId;
  }

  // ---- Driver commands ----------------------------------------------------------

  transmitEapol(c: TransmitEapolCommand, onTxStatus?: (acked: boolean) => void): void {
    const st = this.associated(c.bssid, c.sta);
    if (c.protected && st.apTk === undefined) {
      this.violation(`protected EAPOL to ${formatMac(c.sta)} before its PTK is installed`);
      onTxStatus?.(false);
      return;
    }
    if (!c.protected && st.apTk !== undefined && st.state === 'authorized') {
      this.violation(`unprotected EAPOL to authorized ${formatMac(c.sta)} (a rekey must leave protected)`);
    }
    this.stats.framesDown++;
    const epoch = st.epoch;
    const copies = planDelivery(this.air, this.rnd);
    if (copies.length === 0) this.stats.framesLost++;
    const frame = Buffer.from(c.frame);
    if (onTxStatus) this.after(st, copies.length > 0 ? Math.min(...copies) : this.air.maxDelayMs, () => onTxStatus(copies.length > 0), false);
    for (const d of copies) this.after(st, d, () => st.epoch === epoch && this.toStation(st, frame));
  }

  installPairwiseKey(c: InstallPairwiseKeyCommand): void {
    const st = this.associated(c.bssid, c.sta);
    st.apTk = Buffer.from(c.key);
  }

  installGroupKey(c: InstallGroupKeyCommand): void {
    const bss = this.byAnnounced.get(macKey(c.bssid));
    if (bss === undefined) throw new DriverError(`unknown BSS ${formatMac(c.bssid)}`);
    const management = c.keyId >= 4 && c.keyId <= 7;
    if (c.keyId !== 1 && c.keyId !== 2 && !management) throw new DriverError(`group key id must be 1 or 2 (GTK), 4 or 5 (IGTK), 6 or 7 (BIGTK); got ${c.keyId}`);
    if (management && !bss.sae) throw new DriverError(`BSS ${formatMac(c.bssid)} has no PMF: no IGTK or BIGTK`);
    if (c.keyId >= 6) throw new DriverError('the sim radio does not protect Beacons');
    bss.gtk.set(c.keyId, Buffer.from(c.key));
    if (c.setTx && !management) bss.txKeyId = c.keyId;
  }

  /** WPA3: an Authentication frame (SAE) for a station, across the air. */
  transmitAuthentication(c: TransmitAuthenticationCommand): void {
    const st = this.stationsByMac.get(macKey(c.sta));
    if (st === undefined || st.bss === undefined || !st.bss.announced.equals(c.bssid)) return; // nobody there (it left): the frame goes nowhere
    this.stats.framesDown++;
    const epoch = st.epoch;
    const body = Buffer.from(c.body);
    const copies = planDelivery(this.air, this.rnd);
    if (copies.length === 0) this.stats.framesLost++;
    for (const d of copies) this.after(st, d, () => st.epoch === epoch && this.saeToStation(st, { transaction: c.transaction, status: c.status, body }));
  }

  removePairwiseKey(c: RemovePairwiseKeyCommand): void {
    const st = this.stationsByMac.get(macKey(c.sta));
    if (st && st.bss && st.bss.announced.equals(c.bssid)) st.apTk = undefined;
  }

  setPortAuthorized(c: SetPortCommand): void {
    if (!c.authorized) {
      // Closing the port of a station that already left this BSS (it roamed) is a no-op.
      const gone = this.stationsByMac.get(macKey(c.sta));
      if (gone === undefined || gone.bss === undefined || !gone.bss.announced.equals(c.bssid)) return;
    }
    const st = this.associated(c.bssid, c.sta);
    if (c.authorized && st.apTk === undefined) this.violation(`port of ${formatMac(c.sta)} opened before its PTK was installed`);
    st.portAuthorized = c.authorized;
    st.vlanId = c.vlanId;
    if (c.authorized && st.state !== 'authorized') {
      st.state = 'authorized';
      this.stats.authorized++;
      this.emit('authorized', formatMac(st.spec.mac));
      this.scheduleDwell(st);
    }
  }

  disconnect(c: DisconnectCommand): void {
    const st = this.stationsByMac.get(macKey(c.sta));
    if (st === undefined || st.bss === undefined || !st.bss.announced.equals(c.bssid) || st.state === 'away') return;
    // The AP has no PMKSA for the PMKID the station named (reason 49): as wpa_supplicant,
    // the station drops it and runs SAE next time.
    if (c.reason === INVALID_PMKID) st.saeCache.delete(macKey(st.bss.real));
    this.reset(st);
    this.stats.disconnects++;
    this.emit('disconnected', formatMac(st.spec.mac), c.reason);
    if (this.behaviour.rejoinAfterDisconnect) this.scheduleRejoin(st);
  }

  /** EAP successes of a station so far (tests: PMKSA caching skips EAP). */
  eapSuccesses(sta: Buffer): number {
    return this.stationsByMac.get(macKey(sta))?.eapSuccesses ?? 0;
  }

  /** Simulated traffic counters of a station's current association. */
  trafficOf(sta: Buffer): { rxBytes: bigint; txBytes: bigint; rxPackets: bigint; txPackets: bigint } | undefined {
    const st = this.stationsByMac.get(macKey(sta));
    return st && { ...st.traffic };
  }

  /** The MSK of a station's last EAP success. */
  lastMsk(sta: Buffer): Buffer | undefined {
    return this.stationsByMac.get(macKey(sta))?.lastMsk;
  }

  /** SAE failures of a station so far (a wrong password fails at the Confirm). */
  saeFailuresOf(sta: Buffer): number {
    return this.stationsByMac.get(macKey(sta))?.saeFailures ?? 0;
  }

  // ---- internals ----------------------------------------------------------------

  private newSupplicant(st: SimStation, bss: RadioBss, pmk: Buffer, akm = bss.akm): Supplicant {
    return new Supplicant({
      spa: st.spec.mac,
      aa: bss.real,
      pmk,
      akm,
      pairwiseCipher: CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      assocRsne: st.assocRsne,
      apRsne: bss.rsne,
      assocRsnxe: st.assocRsnxe,
      apRsnxe: bss.rsnxe,
      random: this.nonce,
      misbehave: st.spec.misbehave,
    });
  }

  /**
   * WPA3 join: with a PMKSA from an earlier exchange with this BSS the station associates at
   * once naming its PMKID (PMKSA caching, no SAE); otherwise it runs SAE first (H2E).
   */
  private saeJoin(st: SimStation, bss: RadioBss, previous: RadioBss | undefined): void {
    const cached = st.spec.pmksaCaching !== false ? st.saeCache.get(macKey(bss.real)) : undefined;
    if (cached !== undefined) return this.saeAssociate(st, bss, cached, previous);
    st.state = 'authenticating';
    const k = `${bss.ssid.toString('hex')}/${st.spec.passphrase}`;
    let pt = this.passwordElements.get(k);
    if (pt === undefined) {
      pt = sae.SaePasswordElement.derive(bss.ssid, Buffer.from(st.spec.passphrase, 'utf8'));
      this.passwordElements.set(k, pt);
    }
    st.sae = new SaeStation({ ssid: bss.ssid, password: Buffer.from(st.spec.passphrase, 'utf8'), ownMac: st.spec.mac, apMac: bss.real, pwe: 'h2e', random: this.nonce, passwordElement: pt });
    this.stats.saeExchanges++;
    this.saeUp(st, bss, st.epoch, [st.sae.start()]);
    // The station gives up on an exchange that does not finish (hostapd's peer retransmits; we rejoin).
    const epoch = st.epoch;
    this.after(st, SAE_GIVE_UP_MS, () => {
      if (st.epoch !== epoch || st.state !== 'authenticating') return;
      this.reset(st);
      this.scheduleRejoin(st);
    });
  }

  private saeToStation(st: SimStation, f: { transaction: number; status: number; body: Buffer }): void {
    const run = st.sae;
    const bss = st.bss;
    if (run === undefined || bss === undefined || st.state !== 'authenticating') return;
    const r = run.receive(f);
    this.saeUp(st, bss, st.epoch, r.send);
    if (r.done !== undefined) {
      st.sae = undefined;
      const pmksa = { pmk: r.done.pmk, pmkid: r.done.pmkid };
      st.saeCache.set(macKey(bss.real), pmksa);
      this.saeAssociate(st, bss, pmksa, undefined);
    } else if (r.failed !== undefined) {
      st.sae = undefined;
      st.saeFailures++;
      this.stats.saeFailures++;
      this.reset(st);
      if (this.behaviour.rejoinAfterDisconnect) this.scheduleRejoin(st);
    }
  }

  private saeUp(st: SimStation, bss: RadioBss, epoch: number, frames: readonly { transaction: number; status: number; body: Buffer }[]): void {
    for (const f of frames) {
      this.stats.framesUp++;
      const copies = planDelivery(this.air, this.rnd);
      if (copies.length === 0) this.stats.framesLost++;
      for (const d of copies) {
        this.after(st, d, () => {
          if (st.epoch === epoch) this.emitEvent({ type: 'authentication', bssid: bss.announced, sta: st.spec.mac, algorithm: sae.SAE_AUTH_ALGORITHM, transaction: f.transaction, status: f.status, body: f.body });
        });
      }
    }
  }

  /** The (re)association of a WPA3 station: SAE AKM, PMF, the RSNXE, the PMKID of its PMKSA. */
  private saeAssociate(st: SimStation, bss: RadioBss, pmksa: { pmk: Buffer; pmkid: Buffer }, previous: RadioBss | undefined): void {
    st.state = 'associated';
    st.assocRsne = simWpa3Rsne([AKM.SAE], bss.akm === AKM.SAE ? 2 : 1, [pmksa.pmkid]);
    st.assocRsnxe = SIM_RSNXE;
    st.supplicant = this.newSupplicant(st, bss, pmksa.pmk, AKM.SAE);
    if (this.listenerCount('associated') > 0) this.emit('associated', formatMac(st.spec.mac));
    this.emitEvent({ type: 'associated', bssid: bss.announced, sta: st.spec.mac, rsne: st.assocRsne, reassociation: previous !== undefined, previousBssid: previous?.announced, rsnxe: st.assocRsnxe });
  }

  /** 802.1X: an EAP packet for the station's peer; its answer goes up the air. */
  private toPeer(st: SimStation, eap: Buffer): void {
    const peer = st.peer;
    const bss = st.bss;
    if (peer === undefined || bss === undefined) return;
    const epoch = st.epoch;
    void peer.receive(eap).then((resp) => {
      if (st.epoch !== epoch || st.bss !== bss) return;
      if (peer.state === 'success' && st.supplicant === undefined) this.eapSucceeded(st, bss, peer);
      if (resp !== undefined) this.up(st, bss, epoch, encodeEapol({ version: 1, type: EapolType.EapPacket, body: resp }));
    });
  }

  /** EAP succeeded (explicitly, or implied by msg 1/4): PMK = MSK[0..32], cached for OKC. */
  private eapSucceeded(st: SimStation, bss: RadioBss, peer: EapPeer): void {
    if (peer.msk === undefined) return;
    st.eapSuccesses++;
    st.lastMsk = peer.msk;
    const pmk = Buffer.from(peer.msk.subarray(0, 32));
    st.pmkCache.set(bss.ssid.toString('hex'), pmk);
    st.supplicant = this.newSupplicant(st, bss, pmk);
  }

  private up(st: SimStation, bss: RadioBss, epoch: number, frame: Buffer): void {
    this.stats.framesUp++;
    const copies = planDelivery(this.air, this.rnd);
    if (copies.length === 0) this.stats.framesLost++;
    for (const d of copies) {
      this.after(st, d, () => {
        if (st.epoch === epoch) this.emitEvent({ type: 'eapol', bssid: bss.announced, sta: st.spec.mac, frame });
      });
    }
  }

  private associated(bssid: Buffer, sta: Buffer): SimStation {
    const st = this.stationsByMac.get(macKey(sta));
    if (st === undefined || st.bss === undefined || st.state === 'away') throw new DriverError(`station ${formatMac(sta)} is not associated`);
    if (!st.bss.announced.equals(bssid)) throw new DriverError(`station ${formatMac(sta)} is not associated to ${formatMac(bssid)}`);
    return st;
  }

  private toStation(st: SimStation, frame: Buffer): void {
    if (st.bss === undefined) return;
    const bss = st.bss;
    const epoch = st.epoch;
    const f = decodeEapol(frame);
    if (f.ok && f.value.type === EapolType.EapPacket) {
      // The station offered a cached PMKSA, and the authenticator answered with EAP: it has
      // no such PMKSA (it restarted, or the entry expired there). As wpa_supplicant does, the
      // station runs a full EAP authentication and drops the cached PMK.
      if (st.peer === undefined && st.spec.eap !== undefined && st.supplicant !== undefined && st.supplicant.state !== 'established') {
        st.pmkCache.delete(bss.ssid.toString('hex'));
        st.supplicant = undefined;
        st.peer = new EapPeer(st.spec.eap);
      }
      return this.toPeer(st, f.value.body);
    }
    if (st.supplicant === undefined && st.peer !== undefined && st.peer.implicitSuccess()) this.eapSucceeded(st, bss, st.peer);
    const sup = st.supplicant;
    if (sup === undefined) return;
    for (const e of sup.receive(frame)) {
      if (e.type === 'transmit') this.up(st, bss, epoch, e.frame);
    }
  }

  private scheduleDwell(st: SimStation): void {
    const dwell = this.behaviour.dwellMs;
    if (dwell === undefined) return;
    const epoch = st.epoch;
    this.after(st, dwell[0] + this.rnd() * (dwell[1] - dwell[0]), () => {
      if (st.epoch !== epoch || st.state === 'away') return;
      if (this.radios.length > 1 && this.rnd() < this.behaviour.roamProbability) {
        const current = this.radios.indexOf(st.bss!);
        const next = (current + 1 + Math.floor(this.rnd() * (this.radios.length - 1))) % this.radios.length;
        this.join(st.spec.mac, next);
      } else {
        this.leave(st.spec.mac);
        this.scheduleRejoin(st);
      }
    });
  }

  private scheduleRejoin(st: SimStation): void {
    const [lo, hi] = this.behaviour.awayMs;
    const epoch = st.epoch;
    this.after(st, lo + this.rnd() * (hi - lo), () => {
      if (st.epoch === epoch && st.state === 'away') this.join(st.spec.mac, Math.floor(this.rnd() * this.radios.length));
    });
  }

  private reset(st: SimStation): void {
    st.epoch++;
    st.state = 'away';
    st.apTk = undefined;
    st.portAuthorized = false;
  }

  private after(_st: SimStation, ms: number, fn: () => void, requireRunning = true): void {
    if (ms <= 0) {
      // A perfect air delivers at once: setTimeout(0) would wait a whole millisecond. The
      // hops of one turn share one setImmediate and run in the order they were queued.
      this.soon.push(fn);
      this.soonAlways.push(!requireRunning);
      this.soonImmediate ??= setImmediate(() => this.runSoon());
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (requireRunning && !this.running) return;
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Runs the zero-delay hops queued so far; hops they queue run in the next turn (as setImmediate's would). */
  private runSoon(): void {
    const fns = this.soon;
    const always = this.soonAlways;
    this.soon = [];
    this.soonAlways = [];
    this.soonImmediate = undefined;
    for (let i = 0; i < fns.length; i++) {
      if (always[i] || this.running) fns[i]();
    }
  }

  private emitEvent(e: LinkEvent): void {
    if (this.running) this.onEvent?.(e);
  }

  private violation(text: string): void {
    this.violations.push(text);
    this.emit('violation', text);
  }
}
