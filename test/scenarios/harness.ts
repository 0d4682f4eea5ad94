/**
 * Scenario harness (CONVENTIONS.md point 9): the real AuthenticatorCore against real
 * Supplicant instances, in memory, on virtual time, with a scripted "air" in between.
 *
 * The air plays the edge agent and the radio: it delivers the core's transmit-eapol
 * effects to the right supplicant and the supplicant's frames back as 'eapol' events,
 * applies key installs, port changes and disconnects to a fake radio table, answers every
 * command ref with 'command-result' ok (and 'tx-status' for a transmit with a ref), and
 * lets a test intercept, drop, duplicate, delay (reorder) or hold single frames. Virtual
 * time jumps to whichever comes first, the next delivery or core.nextDeadline() (then
 * core.tick(now)), until nothing is in flight and no deadline is pending; a step cap turns
 * a livelock into a test failure. Every report is fed to a Prometheus registry with the
 * service's mapping, so tests assert on airlock_* metrics.
 */
import { createHash } from 'node:crypto';
import {
  AKM,
  AuthenticatorCore,
  CIPHER,
  EapolType,
  PskCache,
  decodeEapol,
  decodeEapolKey,
  describeKeyMessage,
  encodeRsne,
  formatMac,
  macKey,
  type BssConfig,
  type CoreEvent,
  type CoreOptions,
  type CoreTiming,
  type Effect,
  type EapolKey,
  type KeyMessageKind,
  type NetworkPolicy,
  type Report,
} from '@airlock/rsn';
import { Supplicant, type SupplicantEffect, type SupplicantMisbehaviour } from '@airlock/supplicant';
import { createMetrics, parsePrometheusText, recordReport, type AirlockMetrics } from '@airlock/authenticator';

// ---- deterministic inputs ------------------------------------------------------------

/** A deterministic byte source: SHA-256(seed || counter) blocks. Same seed, same bytes. */
export function seededRandom(seed: string): (n: number) => Buffer {
  let counter = 0;
  return (n: number): Buffer => {
    const out = Buffer.alloc(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(seed).update(':').update(String(counter++)).digest();
      block.copy(out, off, 0, Math.min(32, n - off));
    }
    return out;
  };
}

/** A locally administered MAC: 02:<prefix>:00:00:<hi>:<lo>. */
export function mac(prefix: number, n: number): Buffer {
  return Buffer.from([0x02, prefix & 0xff, 0x00, 0x00, (n >> 8) & 0xff, n & 0xff]);
}

/** RSN element with CCMP-128 group and pairwise cipher and one AKM (what the sim driver advertises). */
export function rsneFor(akm: number, capabilities = 0): Buffer {
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [akm], capabilities });
}

// ---- metrics ---------------------------------------------------------------------------

/** The service's own mapping from core reports to metrics. */
export { recordReport };

// ---- frames ----------------------------------------------------------------------------

/** An EAPOL-Key frame decoded for assertions; undefined fields when it is not one. */
export interface KeyFrameInfo {
  kind: KeyMessageKind | 'not-eapol-key';
  key: EapolKey | undefined;
  replayCounter: bigint;
  nonce: Buffer;
}

/** Decodes a frame as the tests look at it (never throws). */
export function keyFrameInfo(frame: Buffer): KeyFrameInfo {
  const e = decodeEapol(frame);
  if (!e.ok || e.value.type !== EapolType.Key) return { kind: 'not-eapol-key', key: undefined, replayCounter: -1n, nonce: Buffer.alloc(0) };
  const k = decodeEapolKey(e.value.body);
  if (!k.ok) return { kind: 'not-eapol-key', key: undefined, replayCounter: -1n, nonce: Buffer.alloc(0) };
  return { kind: describeKeyMessage(k.value), key: k.value, replayCounter: k.value.replayCounter, nonce: Buffer.from(k.value.nonce) };
}

/** A frame in the air, shown to the interceptor. */
export interface AirFrame {
  /** 'down': authenticator to station; 'up': station to authenticator. */
  dir: 'down' | 'up';
  bssid: Buffer;
  sta: Buffer;
  frame: Buffer;
  info: KeyFrameInfo;
  /** Downlink only: the transmit was marked protected. */
  protected: boolean;
  /** Virtual time the frame entered the air. */
  t: number;
}

/** What the air does with a frame: deliver (after the link latency), lose it, deliver two copies, delay it, or hold it until release(). */
export type Verdict = 'deliver' | 'drop' | 'duplicate' | 'hold' | { delayMs: number };

/** One line of the timeline: an input to the core (an event, a tick when a deadline fired, an operator call) or an effect it emitted. */
export type TimelineEntry =
  | { i: number; t: number; kind: 'event'; event: CoreEvent }
  | { i: number; t: number; kind: 'tick' }
  | { i: number; t: number; kind: 'operator'; what: string }
  | { i: number; t: number; kind: 'effect'; effect: Effect };

// ---- stations and BSSes ----------------------------------------------------------------

/** Key of the fake radio's station table: one entry per (BSS, station). */
export function radioKey(bssid: Buffer, sta: Buffer): string {
  return `${macKey(bssid)}/${macKey(sta)}`;
}

/** A BSS as a test sets it up. */
export interface BssSpec {
  bssid: Buffer;
  ssid?: string;
  akms?: number[];
  /** AKM advertised in the RSNE (default: the first of akms). */
  rsneAkm?: number;
  passphrases?: string[];
  reportsTxStatus?: boolean;
  interfaceMac?: Buffer;
  agentId?: string;
  groupRekeyMs?: number;
  rekeyGtkOnLeave?: boolean;
}

/** A station as a test sets it up. */
export interface StationSpec {
  mac: Buffer;
  /** Passphrase the station was given (default: the network's first). */
  passphrase?: string;
  /** SSID the station derives its PSK with (default: the BSS's). */
  ssid?: string;
  /** The AA the station uses (default: the BSSID it associates to). */
  aa?: Buffer;
  akm?: number;
  misbehave?: SupplicantMisbehaviour;
}

/** A simulated station: its supplicant and what happened to it. */
export interface Station {
  readonly mac: Buffer;
  readonly spec: StationSpec;
  /** The BSS it was created for: where associate() goes by default. */
  readonly home: Buffer;
  supplicant: Supplicant;
  /** The BSS it is associated to (undefined when away). */
  bssid: Buffer | undefined;
  assocRsne: Buffer;
  /** Bumped on every (dis)association: frames in flight to an old association vanish. */
  epoch: number;
  /** Every effect the supplicant returned, in order, with the time. */
  readonly log: { t: number; effect: SupplicantEffect }[];
  /** Disconnects the authenticator ordered for it (reason codes). */
  readonly disconnects: number[];
}

/** What the fake radio holds for a station. */
export interface RadioStation {
  tk: Buffer | undefined;
  portAuthorized: boolean;
}

/** What the fake radio holds for a BSS. */
export interface RadioBss {
  gtk: Map<number, Buffer>;
  txKeyId: number | undefined;
}

/** Knobs of the air. */
export interface AirOptions {
  /** Core timing overrides. */
  timing?: Partial<CoreTiming>;
  /** Extra core options (diagnosis rate, history sizes). */
  core?: Omit<Partial<CoreOptions>, 'random' | 'timing'>;
  /** Seed of the core's random source. */
  seed?: string;
  /** One-way latency of every frame (ms). */
  latencyMs?: number;
  /** Delay from a transmit to its TX status (ms). */
  txStatusDelayMs?: number;
  /** Never report TX status (the status is lost on the way). */
  loseTxStatus?: boolean;
  /** Delay from a command to its command-result (ms). */
  commandDelayMs?: number;
  /** Maximum deliveries + ticks per run() (default 100000). */
  stepCap?: number;
}

interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

const DEFAULT_SSID = 'airlock-scenario';
const DEFAULT_PASSPHRASE = 'correct horse battery staple';

/** The air between one AuthenticatorCore and many supplicants, on virtual time. */
export class Air {
  readonly core: AuthenticatorCore;
  readonly metrics: AirlockMetrics = createMetrics();
  /** Virtual time (ms). */
  now = 0;
  /** Events fed to the core and effects it emitted, in order. */
  readonly timeline: TimelineEntry[] = [];
  /** Ordering violations the radio saw (must stay empty). */
  readonly violations: string[] = [];
  /** Frames the interceptor said to hold, until release(). */
  readonly held: { frame: AirFrame; epoch: number }[] = [];
  /** Decides the fate of each frame; default: deliver. */
  intercept: ((f: AirFrame) => Verdict) | undefined;
  /** Called with each batch of core effects after the air applied it. */
  onEffects: ((effects: Effect[]) => void) | undefined;
  /** The fake radio's station table, keyed by radioKey(bssid, sta). */
  readonly radioStations = new Map<string, RadioStation>();
  readonly radioBsses = new Map<string, RadioBss>();
  readonly stations = new Map<string, Station>();
  readonly bsses = new Map<string, BssConfig>();
  private readonly opts: Required<Omit<AirOptions, 'timing' | 'core' | 'seed'>>;
  private readonly queue: Pending[] = [];
  private seq = 0;
  private readonly pskCache = new PskCache();
  private readonly networks = new Map<string, NetworkPolicy>();

  constructor(opts: AirOptions = {}) {
    this.core = new AuthenticatorCore({ ...opts.core, random: seededRandom(opts.seed ?? 'core'), timing: opts.timing });
    this.opts = {
      latencyMs: opts.latencyMs ?? 1,
      txStatusDelayMs: opts.txStatusDelayMs ?? 2,
      loseTxStatus: opts.loseTxStatus ?? false,
      commandDelayMs: opts.commandDelayMs ?? 1,
      stepCap: opts.stepCap ?? 100_000,
    };
  }

  // ---- setup ---------------------------------------------------------------------

  /** Registers a BSS with the core (its first GTK is installed). */
  addBss(spec: BssSpec): BssConfig {
    const ssid = spec.ssid ?? DEFAULT_SSID;
    const akms = spec.akms ?? [AKM.PSK];
    const passphrases = spec.passphrases ?? [DEFAULT_PASSPHRASE];
    const netKey = `${ssid}\0${akms.join(',')}\0${passphrases.join('\0')}`;
    let network = this.networks.get(netKey);
    if (network === undefined) {
      network = {
        ssid: Buffer.from(ssid, 'utf8'),
        akms,
        passphrases,
        stationPassphrases: new Map(),
        groupRekeyMs: spec.groupRekeyMs ?? 0,
        rekeyGtkOnLeave: spec.rekeyGtkOnLeave ?? false,
      };
      this.networks.set(netKey, network);
    }
    const cfg: BssConfig = {
      bssid: Buffer.from(spec.bssid),
      agentId: spec.agentId ?? 'ap-1',
      rsne: rsneFor(spec.rsneAkm ?? akms[0]),
      wired: false,
      interfaceMac: spec.interfaceMac,
      reportsTxStatus: spec.reportsTxStatus ?? false,
      network,
    };
    this.radioBsses.set(macKey(cfg.bssid), { gtk: new Map(), txKeyId: undefined });
    this.timeline.push({ i: this.timeline.length, t: this.now, kind: 'operator', what: `addBss ${formatMac(cfg.bssid)}` });
    const r = this.core.addBss(cfg, this.now);
    if (!r.ok) throw new Error(`addBss: ${r.error.message}`);
    this.bsses.set(macKey(cfg.bssid), cfg);
    this.apply(r.effects);
    return cfg;
  }

  /** Creates a station (not yet associated) for BSS `bssid`; its PMK is computed here, once per (SSID, passphrase). */
  addStation(spec: StationSpec, bssid: Buffer): Station {
    const cfg = this.bssConfig(bssid);
    const akm = spec.akm ?? cfg.network.akms[0];
    const assocRsne = rsneFor(akm);
    const st: Station = {
      mac: Buffer.from(spec.mac),
      spec,
      home: Buffer.from(bssid),
      supplicant: this.newSupplicant(spec, cfg, assocRsne),
      bssid: undefined,
      assocRsne,
      epoch: 0,
      log: [],
      disconnects: [],
    };
    this.stations.set(macKey(spec.mac), st);
    return st;
  }

  /** The station's PMK as it derives it. */
  stationPmk(spec: StationSpec, cfg: BssConfig): Buffer {
    const ssid = spec.ssid !== undefined ? Buffer.from(spec.ssid, 'utf8') : cfg.network.ssid;
    return this.pskCache.get(ssid, spec.passphrase ?? cfg.network.passphrases[0]);
  }

  /** A second, fresh supplicant with the station's current options (a scripted "other copy" of the station). */
  freshSupplicant(sta: Buffer): Supplicant {
    const st = this.station(sta);
    if (st.bssid === undefined) throw new Error(`${formatMac(sta)} is not associated`);
    return this.newSupplicant(st.spec, this.bssConfig(st.bssid), st.assocRsne, `copy-${st.epoch}`);
  }

  private newSupplicant(spec: StationSpec, cfg: BssConfig, assocRsne: Buffer, seed = ''): Supplicant {
    return new Supplicant({
      spa: spec.mac,
      aa: spec.aa ?? cfg.bssid,
      pmk: this.stationPmk(spec, cfg),
      akm: spec.akm ?? cfg.network.akms[0],
      pairwiseCipher: CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      assocRsne,
      apRsne: cfg.rsne,
      random: seededRandom(`sta-${formatMac(spec.mac)}${seed}`),
      misbehave: spec.misbehave,
    });
  }

  // ---- radio events ------------------------------------------------------------------

  /** The station associates to `bssid` (default: the one it was created for): a new supplicant association, then 'associated' to the core. */
  associate(sta: Buffer, o: { bssid?: Buffer; reassociation?: boolean } = {}): void {
    const st = this.station(sta);
    const previous = st.bssid;
    const bssid = o.bssid ?? st.home;
    st.epoch++;
    st.bssid = Buffer.from(bssid);
    const cfg = this.bsses.get(macKey(bssid));
    // A new association: a new supplicant, with its own nonces.
    if (cfg !== undefined) st.supplicant = this.newSupplicant(st.spec, cfg, st.assocRsne, `-assoc${st.epoch}`);
    // The new BSS starts with nothing for the station; what an old BSS holds stays until the
    // core clears it (a roam) or the station is disconnected.
    this.radioStations.set(radioKey(bssid, sta), { tk: undefined, portAuthorized: false });
    this.inject({ type: 'associated', bssid, sta, rsne: st.assocRsne, reassociation: o.reassociation ?? false, previousBssid: previous });
  }

  /** The station leaves (Disassociation, reason 8). */
  leave(sta: Buffer, reason = 8): void {
    const st = this.station(sta);
    const bssid = st.bssid;
    if (bssid === undefined) throw new Error(`${formatMac(sta)} is not associated`);
    st.epoch++;
    st.bssid = undefined;
    st.supplicant.reset();
    this.radioStations.delete(radioKey(bssid, sta));
    this.inject({ type: 'disassociated', bssid, sta, reason, deauth: false, locallyGenerated: false });
  }

  /** Feeds one event to the core now and applies its effects (no radio-side change). */
  inject(event: CoreEvent): Effect[] {
    this.timeline.push({ i: this.timeline.length, t: this.now, kind: 'event', event });
    const effects = this.core.handle(event, this.now);
    this.apply(effects);
    return effects;
  }

  /** Calls an operator API of the core (rekeyGroup, disconnectStation, ...) now and applies its effects. */
  operator(what: string, call: (core: AuthenticatorCore, now: number) => Effect[] | undefined): Effect[] {
    this.timeline.push({ i: this.timeline.length, t: this.now, kind: 'operator', what });
    const effects = call(this.core, this.now) ?? [];
    this.apply(effects);
    return effects;
  }

  /** Sends `frame` from the station to the authenticator through the air (interceptor included). */
  sendUp(sta: Buffer, frame: Buffer, bssid?: Buffer): void {
    const st = this.stations.get(macKey(sta));
    const b = bssid ?? st?.bssid;
    if (b === undefined) throw new Error(`no BSSID for ${formatMac(sta)}`);
    this.air({ dir: 'up', bssid: b, sta, frame, info: keyFrameInfo(frame), protected: false, t: this.now }, st?.epoch ?? 0);
  }

  /** Delivers a held frame now (plus the link latency). */
  release(h: { frame: AirFrame; epoch: number }, extraDelayMs = 0): void {
    const i = this.held.indexOf(h);
    if (i >= 0) this.held.splice(i, 1);
    this.schedule(this.opts.latencyMs + extraDelayMs, () => this.deliver(h.frame, h.epoch));
  }

  /** Runs until nothing is in flight and no deadline is pending, or until virtual time `until`. */
  run(o: { until?: number } = {}): void {
    for (let steps = 0; ; steps++) {
      if (steps > this.opts.stepCap) throw new Error(`step cap ${this.opts.stepCap} reached at t=${this.now} ms`);
      const next = this.queue[0];
      const deadline = this.core.nextDeadline();
      const t = Math.min(next?.at ?? Infinity, deadline ?? Infinity);
      if (t === Infinity) {
        if (o.until !== undefined) this.now = Math.max(this.now, o.until);
        return;
      }
      if (o.until !== undefined && t > o.until) {
        this.now = Math.max(this.now, o.until);
        return;
      }
      this.now = Math.max(this.now, t);
      if (next !== undefined && next.at <= (deadline ?? Infinity)) {
        this.queue.shift();
        next.run();
      } else {
        this.timeline.push({ i: this.timeline.length, t: this.now, kind: 'tick' });
        this.apply(this.core.tick(this.now));
      }
    }
  }

  /** Runs for `ms` of virtual time from now. */
  runFor(ms: number): void {
    this.run({ until: this.now + ms });
  }

  // ---- observation ---------------------------------------------------------------------

  /** Every effect the core emitted, in order (optionally only those matching `pred`). */
  effects<T extends Effect['type']>(type: T, pred: (e: Extract<Effect, { type: T }>) => boolean = () => true): { i: number; t: number; effect: Extract<Effect, { type: T }> }[] {
    const out: { i: number; t: number; effect: Extract<Effect, { type: T }> }[] = [];
    for (const e of this.timeline) {
      if (e.kind !== 'effect' || e.effect.type !== type) continue;
      const eff = e.effect as Extract<Effect, { type: T }>;
      if (pred(eff)) out.push({ i: e.i, t: e.t, effect: eff });
    }
    return out;
  }

  /** EAPOL frames the core transmitted to `sta`, decoded, optionally of one message kind. */
  transmissions(sta: Buffer, kind?: KeyMessageKind): { i: number; t: number; effect: Extract<Effect, { type: 'transmit-eapol' }>; info: KeyFrameInfo }[] {
    return this.effects('transmit-eapol', (e) => e.sta.equals(sta))
      .map((x) => ({ ...x, info: keyFrameInfo(x.effect.frame) }))
      .filter((x) => kind === undefined || x.info.kind === kind);
  }

  /** The input (event, tick or operator call) whose handling emitted the effect at timeline index `i`. */
  causeOf(i: number): Exclude<TimelineEntry, { kind: 'effect' }> {
    for (let j = i; j >= 0; j--) {
      const e = this.timeline[j];
      if (e.kind !== 'effect') return e;
    }
    throw new Error(`no input before timeline index ${i}`);
  }

  /** The effects emitted while handling the input at timeline index `i`. */
  effectsOf(i: number): Effect[] {
    const out: Effect[] = [];
    for (let j = i + 1; j < this.timeline.length; j++) {
      const e = this.timeline[j];
      if (e.kind !== 'effect') break;
      out.push(e.effect);
    }
    return out;
  }

  /** Every report of one kind. */
  reports<K extends Report['kind']>(kind: K): Extract<Report, { kind: K }>[] {
    return this.effects('report', (e) => e.report.kind === kind).map((x) => x.effect.report as Extract<Report, { kind: K }>);
  }

  /** Events fed to the core, with their timeline index. */
  events<T extends CoreEvent['type']>(type: T): { i: number; t: number; event: Extract<CoreEvent, { type: T }> }[] {
    const out: { i: number; t: number; event: Extract<CoreEvent, { type: T }> }[] = [];
    for (const e of this.timeline) if (e.kind === 'event' && e.event.type === type) out.push({ i: e.i, t: e.t, event: e.event as Extract<CoreEvent, { type: T }> });
    return out;
  }

  /** The value of one sample, e.g. 'airlock_handshakes_total{result="success"}'; 0 when absent. */
  async metric(key: string): Promise<number> {
    const samples = parsePrometheusText(await this.metrics.registry.metrics());
    return samples.get(key) ?? 0;
  }

  /** The station by MAC. */
  station(sta: Buffer): Station {
    const st = this.stations.get(macKey(sta));
    if (st === undefined) throw new Error(`unknown station ${formatMac(sta)}`);
    return st;
  }

  /** Radio state of a station at `bssid` (default: the BSS it is associated to); undefined when that BSS has no entry for it. */
  radio(sta: Buffer, bssid?: Buffer): RadioStation | undefined {
    const b = bssid ?? this.stations.get(macKey(sta))?.bssid;
    return b === undefined ? undefined : this.radioStations.get(radioKey(b, sta));
  }

  /** Radio state of a BSS. */
  radioBss(bssid: Buffer): RadioBss {
    const r = this.radioBsses.get(macKey(bssid));
    if (r === undefined) throw new Error(`unknown BSS ${formatMac(bssid)}`);
    return r;
  }

  // ---- internals ---------------------------------------------------------------------

  private bssConfig(bssid: Buffer): BssConfig {
    const cfg = this.bsses.get(macKey(bssid));
    if (cfg === undefined) throw new Error(`unknown BSS ${formatMac(bssid)}`);
    return cfg;
  }

  private schedule(delayMs: number, run: () => void): void {
    const p: Pending = { at: this.now + delayMs, seq: this.seq++, run };
    // Stable insertion: equal times keep their order.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].at > p.at) i--;
    this.queue.splice(i, 0, p);
  }

  /** The agent applies the core's effects in order. */
  private apply(effects: Effect[]): void {
    for (const effect of effects) {
      this.timeline.push({ i: this.timeline.length, t: this.now, kind: 'effect', effect });
      switch (effect.type) {
        case 'report':
          recordReport(this.metrics, effect.report);
          break;
        case 'transmit-eapol':
          this.transmit(effect);
          break;
        case 'install-pairwise-key': {
          const r = this.radioStations.get(radioKey(effect.bssid, effect.sta));
          if (r === undefined) this.violations.push(`install-pairwise-key for ${formatMac(effect.sta)}, which is not associated at the radio`);
          else r.tk = Buffer.from(effect.tk);
          this.commandResult(effect.ref);
          break;
        }
        case 'install-group-key': {
          const b = this.radioBss(effect.bssid);
          b.gtk.set(effect.keyId, Buffer.from(effect.gtk));
          if (effect.setTx) b.txKeyId = effect.keyId;
          this.commandResult(effect.ref);
          break;
        }
        case 'remove-pairwise-key': {
          const r = this.radioStations.get(radioKey(effect.bssid, effect.sta));
          if (r !== undefined) r.tk = undefined;
          break;
        }
        case 'set-port': {
          const r = this.radioStations.get(radioKey(effect.bssid, effect.sta));
          if (r === undefined) {
            if (effect.authorized) this.violations.push(`port of ${formatMac(effect.sta)} opened on ${formatMac(effect.bssid)}, where it is not associated`);
          } else {
            if (effect.authorized && r.tk === undefined) this.violations.push(`port of ${formatMac(effect.sta)} opened before its PTK was installed`);
            r.portAuthorized = effect.authorized;
          }
          if (effect.ref !== undefined) this.commandResult(effect.ref);
          break;
        }
        case 'disconnect': {
          const st = this.stations.get(macKey(effect.sta));
          if (st !== undefined && st.bssid !== undefined && st.bssid.equals(effect.bssid)) {
            st.disconnects.push(effect.reason);
            st.epoch++;
            st.bssid = undefined;
            st.supplicant.reset();
          }
          this.radioStations.delete(radioKey(effect.bssid, effect.sta));
          break;
        }
        default: {
          const never: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    this.onEffects?.(effects);
  }

  private commandResult(ref: number): void {
    this.schedule(this.opts.commandDelayMs, () => this.inject({ type: 'command-result', ref, ok: true }));
  }

  private transmit(e: Extract<Effect, { type: 'transmit-eapol' }>): void {
    const r = this.radioStations.get(radioKey(e.bssid, e.sta));
    if (r !== undefined) {
      if (e.protected && r.tk === undefined) this.violations.push(`protected EAPOL to ${formatMac(e.sta)} before its PTK is installed`);
      if (!e.protected && r.tk !== undefined) this.violations.push(`unprotected EAPOL (${keyFrameInfo(e.frame).kind}) to ${formatMac(e.sta)}, whose PTK is installed`);
    }
    const st = this.stations.get(macKey(e.sta));
    const verdict = this.air({ dir: 'down', bssid: e.bssid, sta: e.sta, frame: Buffer.from(e.frame), info: keyFrameInfo(e.frame), protected: e.protected, t: this.now }, st?.epoch ?? 0);
    if (e.ref !== undefined && !this.opts.loseTxStatus) {
      const ref = e.ref;
      const acked = verdict !== 'drop' && r !== undefined;
      this.schedule(this.opts.txStatusDelayMs, () => this.inject({ type: 'tx-status', ref, acked }));
    }
  }

  /** Puts a frame in the air; returns the verdict. */
  private air(f: AirFrame, epoch: number): Verdict {
    const v = this.intercept?.(f) ?? 'deliver';
    if (v === 'drop') return v;
    if (v === 'hold') {
      this.held.push({ frame: f, epoch });
      return v;
    }
    const delay = typeof v === 'object' ? v.delayMs : 0;
    const copies = v === 'duplicate' ? 2 : 1;
    for (let c = 0; c < copies; c++) this.schedule(this.opts.latencyMs + delay, () => this.deliver(f, epoch));
    return v;
  }

  private deliver(f: AirFrame, epoch: number): void {
    if (f.dir === 'up') {
      this.inject({ type: 'eapol', bssid: f.bssid, sta: f.sta, frame: f.frame });
      return;
    }
    const st = this.stations.get(macKey(f.sta));
    // A frame to a station that left (or to another association of it) is lost.
    if (st === undefined || st.epoch !== epoch || st.bssid === undefined || !st.bssid.equals(f.bssid)) return;
    for (const effect of st.supplicant.receive(f.frame)) {
      st.log.push({ t: this.now, effect });
      if (effect.type === 'transmit') this.air({ dir: 'up', bssid: f.bssid, sta: f.sta, frame: effect.frame, info: keyFrameInfo(effect.frame), protected: false, t: this.now }, st.epoch);
    }
  }
}
