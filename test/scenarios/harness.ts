/**
 * Scenario harness (CONVENTIONS.md point 9): the real AuthenticatorCore against real
 * Supplicant instances, in memory, on virtual time, with a scripted "air" in between.
 *
 * The air plays the edge agent and the radio: it delivers the core's transmit-eapol
 * effects to the right supplicant and the supplicant's frames back as 'eapol' events,
 * applies key installs, port changes and disconnects to a fake radio table, answers every
 * command ref with 'command-result' (ok unless commandOutcome says otherwise; 'tx-status'
 * for a transmit with a ref), and
 * lets a test intercept, drop, duplicate, delay (reorder) or hold single frames. Virtual
 * time jumps to whichever comes first, the next delivery or core.nextDeadline() (then
 * core.tick(now)), until nothing is in flight and no deadline is pending; a step cap turns
 * a livelock into a test failure. Every report is fed to a Prometheus registry with the
 * service's mapping, so tests assert on airlock_* metrics.
 *
 * IEEE 802.1X (RFC 3579 relay): the air also plays the RADIUS server and the station's EAP
 * peer. Each 'radius-request' effect goes to an injectable responder (scriptedRadius() or
 * the test's own), whose answer comes back as a 'radius-response' event after a virtual
 * delay; 'accounting' effects are recorded. A station with `eap` in its spec answers
 * EAP-Requests with a scripted peer, and on EAP-Success takes PMK = MSK[0..32] of the
 * MSK the server gave for it in its last Access-Accept — both ends of an EAP method derive
 * the same MSK — and keeps it as its PMKSA for later associations.
 */
import { seededRandom } from '@airlock/rsn/testing';
import {
  AKM,
  AuthenticatorCore,
  CIPHER,
  EapCode,
  EapType,
  EapolType,
  PskCache,
  decodeEap,
  decodeEapol,
  decodeEapolKey,
  describeKeyMessage,
  encodeEap,
  encodeEapol,
  encodeRsne,
  formatMac,
  isPskAkm,
  macKey,
  type BssConfig,
  type CoreEvent,
  type CoreOptions,
  type CoreTiming,
  type Effect,
  type EapPacket,
  type EapolKey,
  type KeyMessageKind,
  type NetworkPolicy,
  type RadiusOutcome,
  type Report,
  type SaePolicy,
} from '@airlock/rsn';
import { SaeStation, Supplicant, type SupplicantEffect, type SupplicantMisbehaviour } from '@airlock/supplicant';
import { createMetrics, parsePrometheusText, recordReport, type AirlockMetrics } from '@airlock/authenticator';

// ---- deterministic inputs ------------------------------------------------------------

export { seededRandom };

/** A locally administered MAC: 02:<prefix>:00:00:<hi>:<lo>. */
export function mac(prefix: number, n: number): Buffer {
  return Buffer.from([0x02, prefix & 0xff, 0x00, 0x00, (n >> 8) & 0xff, n & 0xff]);
}

/** RSN element with CCMP-128 group and pairwise cipher and one AKM (what the sim driver advertises), optionally with a PMKID List. */
export function rsneFor(akm: number, capabilities = 0, pmkids?: Buffer[]): Buffer {
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [akm], capabilities, pmkids });
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

/** The EAP packet of an EAPOL-EAP frame (raw: exactly Length octets), or undefined when the frame is not one. */
export function eapOf(frame: Buffer): { packet: EapPacket; raw: Buffer } | undefined {
  const e = decodeEapol(frame);
  if (!e.ok || e.value.type !== EapolType.EapPacket) return undefined;
  const p = decodeEap(e.value.body);
  if (!p.ok) return undefined;
  return { packet: p.value, raw: Buffer.from(e.value.body.subarray(0, e.value.body.readUInt16BE(2))) };
}

/** An EAPOL frame from a station (version 1, as wpa_supplicant's default eapol_version). */
export function stationEapol(type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return encodeEapol({ version: 1, type, body });
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
  /** The whole advertised RSNE, exactly as the agent announces it (overrides rsneAkm). */
  rsne?: Buffer;
  /**
   * A wired 802.1X port (BssConfig.wired): `bssid` is its AA (normally the PAE group address
   * 01:80:c2:00:00:03); associate() announces a static station with an empty RSNE, as the
   * wired driver does, so the msg 2/4 RSNE is checked against the port's policy.
   */
  wired?: boolean;
  passphrases?: string[];
  reportsTxStatus?: boolean;
  interfaceMac?: Buffer;
  agentId?: string;
  groupRekeyMs?: number;
  rekeyGtkOnLeave?: boolean;
  /** WPA3: the network's SAE policy (its passwords), and what the BSS advertises. */
  sae?: SaePolicy;
  rsnxe?: Buffer;
  beaconProtection?: boolean;
  /** Where PSK stations' PSKs come from (NetworkPolicy.pskSource): 'radius' asks Air.pskLookup. */
  pskSource?: 'config' | 'radius';
}

/** An SAE station's side of the exchange (WPA3). */
export interface StationSaeSpec {
  password: string;
  identifier?: string;
  /** Default hash-to-element. */
  pwe?: 'h2e' | 'hunting-and-pecking';
  /** Start with another group (the AP answers 77; the station retries with 19 and Rejected Groups). */
  group?: number;
}

/** What the station's SAE saw. */
export interface StationSaeState {
  /** PMK and PMKID of the last Accepted exchange, and the BSS it was with. */
  pmk: Buffer | undefined;
  pmkid: Buffer | undefined;
  bssid: Buffer | undefined;
  /** Frames received from the AP (transaction, status). */
  readonly received: { t: number; transaction: number; status: number }[];
  accepted: number;
  failures: string[];
}

/** The EAP peer of an 802.1X station (scripted: the EAP method itself is not run here). */
export interface StationEapSpec {
  /** The identity in EAP-Response/Identity. */
  identity: string;
  /** Answer EAP-Requests by itself (default true); false: the test sends every response. */
  autoRespond?: boolean;
  /** Overrides the answer to one request: EAP-Response bytes, undefined to stay silent, 'default' for the built-in answer. */
  respond?: (req: EapPacket, st: Station) => Buffer | undefined | 'default';
}

/** What the station's EAP peer saw and did. */
export interface StationEapState {
  /** PMK = MSK[0..32] of the last EAP success: the station's PMKSA (undefined before any). */
  pmk: Buffer | undefined;
  /** EAP packets received from the authenticator, in order. */
  readonly received: { t: number; packet: EapPacket; raw: Buffer }[];
  successes: number;
  failures: number;
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
  /** Pairwise cipher the station derives its PTK for (default CCMP-128). */
  pairwiseCipher?: number;
  /** The RSNE the station sends in its (Re)Association Request and msg 2/4 (default: rsneFor(akm)). */
  rsne?: Buffer;
  misbehave?: SupplicantMisbehaviour;
  /** 802.1X station: its EAP peer. */
  eap?: StationEapSpec;
  /** SAE station (AKM 8): its password. */
  sae?: StationSaeSpec;
  /** The RSNXE of its (Re)Association Request and msg 2/4 (WPA3 H2E). */
  rsnxe?: Buffer;
  /** It uses beacon protection (wpa_supplicant's beacon_prot=1). */
  beaconProtection?: boolean;
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
  /** Its EAP peer (802.1X stations). */
  readonly eap: StationEapState;
  /** Its SAE (AKM 8 stations). */
  readonly sae: StationSaeState;
  /** The exchange under way. */
  saeRun: SaeStation | undefined;
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
  /** Delay from a radius-request to its radius-response (ms), unless the responder says otherwise. */
  radiusDelayMs?: number;
}

/** A 'radius-request' effect. */
export type RadiusRequest = Extract<Effect, { type: 'radius-request' }>;

/** A 'psk-request' effect (a PSK from RADIUS). */
export type PskRequest = Extract<Effect, { type: 'psk-request' }>;

/** An effect the agent answers with a 'command-result' (a set-port only when it has a ref). */
export type CommandEffect = Extract<Effect, { type: 'install-pairwise-key' | 'install-group-key' | 'set-port' }>;

/** What the agent answers to one command. */
export interface CommandOutcome {
  ok: boolean;
  error?: string;
}

/** What the scripted RADIUS server answers, and after how long (default: AirOptions.radiusDelayMs). */
export type RadiusReply = RadiusOutcome & { delayMs?: number };

/** Decides the answer to one Access-Request; undefined: no answer (the test may answer with answerRadius()). */
export type RadiusResponder = (req: RadiusRequest, air: Air) => RadiusReply | undefined;

/** One authentication as the scripted server runs it. */
export interface RadiusScript {
  /** Access-Challenge rounds before the final answer (default 1). */
  challenges?: number;
  /** The final answer (default 'accept'); 'silent' never answers. */
  final?: 'accept' | 'reject' | 'timeout' | 'silent';
  /** EAP method of the server's EAP-Requests (default PEAP). */
  method?: number;
  /** MSK of an accept (default: 64 bytes derived from the station and the authentication number). */
  msk?: Buffer;
  /** An Access-Accept without MS-MPPE keys. */
  omitMsk?: boolean;
  /** An Access-Accept / Reject without an EAP-Message. */
  omitEap?: boolean;
  sessionTimeoutS?: number;
  terminationAction?: number;
  vlanId?: number;
  classes?: Buffer[];
  userName?: string;
  /** Delay of every answer (ms). */
  delayMs?: number;
}

/** The MSK the scripted server gives a station in its authentication number `n` (1-based). */
export function scriptedMsk(sta: Buffer, n: number): Buffer {
  return seededRandom(`msk:${formatMac(sta)}:${n}`)(64);
}

/**
 * A scripted RADIUS server (RFC 3579): a new conversation (no State) answers with
 * `challenges` Access-Challenges, each an EAP-Request with the next identifier and a new
 * State, then the final answer: Accept with EAP-Success and the MSK, Reject with
 * EAP-Failure (identifier of the last response, RFC 3748 §4.2). `script` may depend on the
 * station's authentication number n (1-based) and the request.
 */
export function scriptedRadius(script: RadiusScript | ((n: number, req: RadiusRequest) => RadiusScript) = {}): RadiusResponder {
  const conversations = new Map<string, { n: number; round: number }>();
  const auths = new Map<string, number>();
  return (req) => {
    const k = macKey(req.sta);
    let conv = conversations.get(k);
    if (req.state === undefined || conv === undefined) {
      const n = (auths.get(k) ?? 0) + 1;
      auths.set(k, n);
      conv = { n, round: 0 };
      conversations.set(k, conv);
    }
    const s = typeof script === 'function' ? script(conv.n, req) : script;
    const resp = decodeEap(req.eap);
    const id = resp.ok ? resp.value.identifier : 0;
    const delayMs = s.delayMs;
    if (conv.round < (s.challenges ?? 1)) {
      conv.round++;
      const eap = encodeEap({ code: EapCode.Request, identifier: (id + 1) & 0xff, type: s.method ?? EapType.Peap, data: Buffer.from(`server round ${conv.round}`) });
      return { outcome: 'challenge', eap, state: Buffer.from(`state:${formatMac(req.sta)}:${conv.n}:${conv.round}`), delayMs };
    }
    conversations.delete(k);
    switch (s.final ?? 'accept') {
      case 'accept':
        return {
          outcome: 'accept',
          eap: s.omitEap ? undefined : encodeEap({ code: EapCode.Success, identifier: id, type: undefined, data: Buffer.alloc(0) }),
          msk: s.omitMsk ? undefined : (s.msk ?? scriptedMsk(req.sta, conv.n)),
          sessionTimeoutS: s.sessionTimeoutS,
          terminationAction: s.terminationAction,
          vlanId: s.vlanId,
          classes: s.classes,
          userName: s.userName,
          delayMs,
        };
      case 'reject':
        return { outcome: 'reject', eap: s.omitEap ? undefined : encodeEap({ code: EapCode.Failure, identifier: id, type: undefined, data: Buffer.alloc(0) }), delayMs };
      case 'timeout':
        return { outcome: 'timeout', delayMs };
      case 'silent':
        return undefined;
    }
  };
}

interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

const DEFAULT_SSID = 'airlock-scenario';
/** The PMK of an 802.1X station's supplicant before its first EAP success (never verifies). */
const NO_PMK_YET = Buffer.alloc(32, 0xee);
const DEFAULT_PASSPHRASE = 'correct horse battery staple';

/** The air between one AuthenticatorCore and many supplicants, on virtual time. */
export class Air {
  /** The authenticator core; another takes over with takeOver() (several instances on a shared store). */
  core: AuthenticatorCore;
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
  /** Decides the agent's answer to each command; default ok. A failed command leaves the radio as it was. */
  commandOutcome: ((e: CommandEffect) => CommandOutcome) | undefined;
  /** The RADIUS server: answers each 'radius-request' effect (undefined: nobody answers). */
  radius: RadiusResponder | undefined;
  /** The RADIUS server's MAC authentication: answers each 'psk-request' effect (undefined: nobody answers; answerRadius() can). */
  pskLookup: ((req: PskRequest, air: Air) => RadiusReply | undefined) | undefined;
  /** Accounting effects, in order, with the time. */
  readonly accounting: { t: number; effect: Extract<Effect, { type: 'accounting' }> }[] = [];
  /** The fake radio's station table, keyed by radioKey(bssid, sta). */
  readonly radioStations = new Map<string, RadioStation>();
  readonly radioBsses = new Map<string, RadioBss>();
  readonly stations = new Map<string, Station>();
  readonly bsses = new Map<string, BssConfig>();
  private readonly opts: Required<Omit<AirOptions, 'timing' | 'core' | 'seed'>>;
  /** Station of each outstanding radius-request ref. */
  private readonly radiusRefs = new Map<number, Buffer>();
  /** The MSK of the last Access-Accept delivered for a station (what its EAP method derived too). */
  private readonly msks = new Map<string, Buffer>();
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
      radiusDelayMs: opts.radiusDelayMs ?? 5,
    };
  }

  // ---- setup ---------------------------------------------------------------------

  /**
   * Another authenticator takes over from now on (issue 16): events go to `core`, which
   * `adopt` fills from the current one's snapshots; effects of the old core still in flight
   * are delivered as if they had left before it died.
   */
  takeOver(core: AuthenticatorCore, adopt: (from: AuthenticatorCore, to: AuthenticatorCore, now: number) => Effect[]): void {
    this.timeline.push({ i: this.timeline.length, t: this.now, kind: 'operator', what: 'takeover by another authenticator' });
    const effects = adopt(this.core, core, this.now);
    this.core = core;
    this.apply(effects);
  }

  /** Registers a BSS with the core (its first GTK is installed). */
  addBss(spec: BssSpec): BssConfig {
    const ssid = spec.ssid ?? DEFAULT_SSID;
    const akms = spec.akms ?? [AKM.PSK];
    const passphrases = spec.passphrases ?? [DEFAULT_PASSPHRASE];
    const netKey = `${ssid}\0${akms.join(',')}\0${passphrases.join('\0')}\0${spec.pskSource ?? 'config'}`;
    let network = this.networks.get(netKey);
    if (network === undefined) {
      network = {
        ssid: Buffer.from(ssid, 'utf8'),
        akms,
        passphrases,
        stationPassphrases: new Map(),
        groupRekeyMs: spec.groupRekeyMs ?? 0,
        rekeyGtkOnLeave: spec.rekeyGtkOnLeave ?? false,
        sae: spec.sae,
        pskSource: spec.pskSource,
      };
      this.networks.set(netKey, network);
    }
    const cfg: BssConfig = {
      bssid: Buffer.from(spec.bssid),
      agentId: spec.agentId ?? 'ap-1',
      rsne: spec.rsne !== undefined ? Buffer.from(spec.rsne) : rsneFor(spec.rsneAkm ?? akms[0]),
      wired: spec.wired ?? false,
      interfaceMac: spec.interfaceMac,
      rsnxe: spec.rsnxe,
      beaconProtection: spec.beaconProtection,
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
    const assocRsne = spec.rsne !== undefined ? Buffer.from(spec.rsne) : rsneFor(akm);
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
      eap: { pmk: undefined, received: [], successes: 0, failures: 0 },
      sae: { pmk: undefined, pmkid: undefined, bssid: undefined, received: [], accepted: 0, failures: [] },
      saeRun: undefined,
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
    return this.newSupplicant(st.spec, this.bssConfig(st.bssid), st.assocRsne, `copy-${st.epoch}`, st.eap.pmk ?? st.sae.pmk);
  }

  /** `pmk`: the PMK of an 802.1X station (its last EAP success) or an SAE station (its last exchange); PSK stations derive theirs. */
  private newSupplicant(spec: StationSpec, cfg: BssConfig, assocRsne: Buffer, seed = '', pmk?: Buffer): Supplicant {
    const akm = spec.akm ?? cfg.network.akms[0];
    return new Supplicant({
      spa: spec.mac,
      aa: spec.aa ?? cfg.bssid,
      pmk: isPskAkm(akm) ? this.stationPmk(spec, cfg) : (pmk ?? NO_PMK_YET),
      akm,
      pairwiseCipher: spec.pairwiseCipher ?? CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      assocRsne,
      apRsne: cfg.rsne,
      assocRsnxe: spec.rsnxe,
      apRsnxe: cfg.rsnxe,
      beaconProtection: spec.beaconProtection,
      random: seededRandom(`sta-${formatMac(spec.mac)}${seed}`),
      misbehave: spec.misbehave,
    });
  }

  // ---- radio events ------------------------------------------------------------------

  /**
   * The station associates to `bssid` (default: the one it was created for): a new
   * supplicant association, then 'associated' to the core. `pmkids`: the PMKID List of its
   * association RSNE (PMKSA caching); msg 2/4 then carries the same RSNE. On a wired port
   * the agent announces a static station: 'associated' with an empty RSNE.
   */
  associate(sta: Buffer, o: { bssid?: Buffer; reassociation?: boolean; pmkids?: Buffer[] } = {}): void {
    const st = this.station(sta);
    const previous = st.bssid;
    const bssid = o.bssid ?? st.home;
    st.epoch++;
    st.bssid = Buffer.from(bssid);
    const cfg = this.bsses.get(macKey(bssid));
    st.assocRsne = st.spec.rsne !== undefined ? Buffer.from(st.spec.rsne) : rsneFor(st.spec.akm ?? cfg?.network.akms[0] ?? AKM.PSK, 0, o.pmkids);
    // A new association: a new supplicant, with its own nonces.
    if (cfg !== undefined) st.supplicant = this.newSupplicant(st.spec, cfg, st.assocRsne, `-assoc${st.epoch}`, st.eap.pmk ?? st.sae.pmk);
    // The new BSS starts with nothing for the station; what an old BSS holds stays until the
    // core clears it (a roam) or the station is disconnected.
    this.radioStations.set(radioKey(bssid, sta), { tk: undefined, portAuthorized: false });
    const rsne = cfg?.wired === true ? Buffer.alloc(0) : st.assocRsne;
    this.inject({ type: 'associated', bssid, sta, rsne, reassociation: o.reassociation ?? false, previousBssid: previous, rsnxe: st.spec.rsnxe });
  }

  /**
   * The station runs SAE with `bssid` (default: its home BSS): its Commit goes up now, the
   * AP's frames come back through the air; run() completes the exchange. The PMK and PMKID
   * of an Accepted exchange are kept in `station.sae` for the association.
   */
  saeAuthenticate(sta: Buffer, o: { bssid?: Buffer } = {}): void {
    const st = this.station(sta);
    const spec = st.spec.sae;
    if (spec === undefined) throw new Error(`${formatMac(sta)} has no SAE password`);
    const bssid = o.bssid ?? st.home;
    const cfg = this.bssConfig(bssid);
    st.saeRun = new SaeStation({
      ssid: cfg.network.ssid,
      password: Buffer.from(spec.password, 'utf8'),
      identifier: spec.identifier !== undefined ? Buffer.from(spec.identifier, 'utf8') : undefined,
      ownMac: st.mac,
      apMac: bssid,
      pwe: spec.pwe === 'hunting-and-pecking' ? 'hunt-and-peck' : 'h2e',
      random: seededRandom(`sae-${formatMac(sta)}-${st.sae.received.length}`),
      group: spec.group,
    });
    this.sendSae(st, bssid, [st.saeRun.start()]);
  }

  /** Authentication frames of the station's SAE go up the air (as the agent relays them). */
  private sendSae(st: Station, bssid: Buffer, frames: readonly { transaction: number; status: number; body: Buffer }[]): void {
    for (const f of frames) {
      this.schedule(this.opts.latencyMs, () => this.inject({ type: 'authentication', bssid, sta: st.mac, algorithm: 3, transaction: f.transaction, status: f.status, body: f.body }));
    }
  }

  /** An Authentication frame from the AP reaches the station's SAE. */
  private saeToStation(e: Extract<Effect, { type: 'transmit-authentication' }>): void {
    const st = this.stations.get(macKey(e.sta));
    if (st === undefined) return;
    this.schedule(this.opts.latencyMs, () => {
      st.sae.received.push({ t: this.now, transaction: e.transaction, status: e.status });
      const run = st.saeRun;
      if (run === undefined) return;
      const r = run.receive({ transaction: e.transaction, status: e.status, body: e.body });
      if (r.done !== undefined) {
        st.sae.pmk = r.done.pmk;
        st.sae.pmkid = r.done.pmkid;
        st.sae.bssid = Buffer.from(e.bssid);
        st.sae.accepted++;
        st.saeRun = undefined;
      }
      if (r.failed !== undefined) {
        st.sae.failures.push(r.failed);
        st.saeRun = undefined;
      }
      this.sendSae(st, e.bssid, r.send);
    });
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

  /** The station sends an EAP packet (EAPOL-EAP) through the air. */
  sendEap(sta: Buffer, eap: Buffer): void {
    this.sendUp(sta, stationEapol(EapolType.EapPacket, eap));
  }

  /** The station sends EAPOL-Start. */
  eapolStart(sta: Buffer): void {
    this.sendUp(sta, stationEapol(EapolType.Start));
  }

  /** The station sends EAPOL-Logoff. */
  eapolLogoff(sta: Buffer): void {
    this.sendUp(sta, stationEapol(EapolType.Logoff));
  }

  /** Answers an Access-Request (by its ref) after `reply.delayMs` (default AirOptions.radiusDelayMs). */
  answerRadius(ref: number, reply: RadiusReply): void {
    const { delayMs, ...outcome } = reply;
    this.schedule(delayMs ?? this.opts.radiusDelayMs, () => {
      const sta = this.radiusRefs.get(ref);
      this.radiusRefs.delete(ref);
      if (sta !== undefined && outcome.outcome === 'accept' && outcome.msk !== undefined) this.msks.set(macKey(sta), Buffer.from(outcome.msk));
      this.inject({ type: 'radius-response', ref, ...outcome });
    });
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

  /** EAP packets the core transmitted to `sta` (EAPOL-EAP frames), decoded, optionally filtered. */
  eapTransmissions(sta: Buffer, pred: (p: EapPacket) => boolean = () => true): { i: number; t: number; effect: Extract<Effect, { type: 'transmit-eapol' }>; packet: EapPacket; raw: Buffer }[] {
    const out: { i: number; t: number; effect: Extract<Effect, { type: 'transmit-eapol' }>; packet: EapPacket; raw: Buffer }[] = [];
    for (const x of this.effects('transmit-eapol', (e) => e.sta.equals(sta))) {
      const eap = eapOf(x.effect.frame);
      if (eap !== undefined && pred(eap.packet)) out.push({ ...x, ...eap });
    }
    return out;
  }

  /** Every 'radius-request' effect for `sta` (or for every station). */
  radiusRequests(sta?: Buffer): { i: number; t: number; effect: RadiusRequest }[] {
    return this.effects('radius-request', (e) => sta === undefined || e.sta.equals(sta));
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

  bssConfig(bssid: Buffer): BssConfig {
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
          const outcome = this.commandOutcome?.(effect) ?? { ok: true };
          if (r === undefined) this.violations.push(`install-pairwise-key for ${formatMac(effect.sta)}, which is not associated at the radio`);
          else if (outcome.ok) r.tk = Buffer.from(effect.key);
          this.commandResult(effect.ref, outcome);
          break;
        }
        case 'install-group-key': {
          const outcome = this.commandOutcome?.(effect) ?? { ok: true };
          const b = this.radioBss(effect.bssid);
          if (outcome.ok) {
            b.gtk.set(effect.keyId, Buffer.from(effect.key));
            if (effect.setTx) b.txKeyId = effect.keyId;
          }
          this.commandResult(effect.ref, outcome);
          break;
        }
        case 'remove-pairwise-key': {
          const r = this.radioStations.get(radioKey(effect.bssid, effect.sta));
          if (r !== undefined) r.tk = undefined;
          break;
        }
        case 'set-port': {
          const outcome = effect.ref !== undefined ? (this.commandOutcome?.(effect) ?? { ok: true }) : { ok: true };
          const r = this.radioStations.get(radioKey(effect.bssid, effect.sta));
          if (r === undefined) {
            if (effect.authorized) this.violations.push(`port of ${formatMac(effect.sta)} opened on ${formatMac(effect.bssid)}, where it is not associated`);
          } else {
            if (effect.authorized && r.tk === undefined) this.violations.push(`port of ${formatMac(effect.sta)} opened before its PTK was installed`);
            if (outcome.ok) r.portAuthorized = effect.authorized;
          }
          if (effect.ref !== undefined) this.commandResult(effect.ref, outcome);
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
        case 'radius-request': {
          this.radiusRefs.set(effect.ref, Buffer.from(effect.sta));
          const reply = this.radius?.(effect, this);
          if (reply !== undefined) this.answerRadius(effect.ref, reply);
          break;
        }
        case 'psk-request': {
          const reply = this.pskLookup?.(effect, this);
          if (reply !== undefined) this.answerRadius(effect.ref, reply);
          break;
        }
        case 'accounting':
          this.accounting.push({ t: this.now, effect });
          break;
        case 'transmit-authentication':
          this.saeToStation(effect);
          break;
        default: {
          const never: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    this.onEffects?.(effects);
  }

  private commandResult(ref: number, outcome: CommandOutcome): void {
    this.schedule(this.opts.commandDelayMs, () => this.inject({ type: 'command-result', ref, ok: outcome.ok, error: outcome.error }));
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

  /** The station's EAP peer: answers requests, and takes the PMK on EAP-Success. */
  private stationEap(st: Station, packet: EapPacket, raw: Buffer): void {
    const spec = st.spec.eap!;
    st.eap.received.push({ t: this.now, packet, raw });
    switch (packet.code) {
      case EapCode.Request: {
        if (spec.autoRespond === false) return;
        const custom = spec.respond?.(packet, st) ?? 'default';
        let resp: Buffer | undefined;
        if (custom !== 'default') resp = custom;
        else if (packet.type === EapType.Identity) resp = encodeEap({ code: EapCode.Response, identifier: packet.identifier, type: EapType.Identity, data: Buffer.from(spec.identity, 'utf8') });
        else resp = encodeEap({ code: EapCode.Response, identifier: packet.identifier, type: packet.type, data: Buffer.from(`peer answer ${st.eap.received.length}`) });
        if (resp === undefined) return;
        const frame = stationEapol(EapolType.EapPacket, resp);
        this.air({ dir: 'up', bssid: st.bssid!, sta: st.mac, frame, info: keyFrameInfo(frame), protected: false, t: this.now }, st.epoch);
        return;
      }
      case EapCode.Success: {
        st.eap.successes++;
        const msk = this.msks.get(macKey(st.mac));
        if (msk === undefined) return;
        const pmk = Buffer.from(msk.subarray(0, 32));
        const old = st.eap.pmk;
        st.eap.pmk = pmk;
        if (old !== undefined && old.equals(pmk)) return;
        // wpa_supplicant hands the new PMK to its key management (wpa_sm_set_pmk) and keeps
        // the PTK in use; our Supplicant takes a PMK only when created or reset, so a
        // reauthentication with a new MSK gets a new instance (it answers the protected
        // msg 1/4 as a first handshake: no Secure bit in msg 2/4, which the core ignores).
        const cfg = this.bssConfig(st.bssid!);
        st.supplicant = this.newSupplicant(st.spec, cfg, st.assocRsne, `-eap${st.eap.successes}-${st.epoch}`, pmk);
        return;
      }
      case EapCode.Failure:
        st.eap.failures++;
        return;
      default:
        return;
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
    const eap = st.spec.eap !== undefined ? eapOf(f.frame) : undefined;
    if (eap !== undefined) return this.stationEap(st, eap.packet, eap.raw);
    for (const effect of st.supplicant.receive(f.frame)) {
      st.log.push({ t: this.now, effect });
      if (effect.type === 'transmit') this.air({ dir: 'up', bssid: f.bssid, sta: f.sta, frame: effect.frame, info: keyFrameInfo(effect.frame), protected: false, t: this.now }, st.epoch);
    }
  }
}
