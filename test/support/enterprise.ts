/**
 * An IEEE 802.1X test bed (DESIGN.md "802.1X", "RADIUS", invariant 9, "Real components"):
 *
 * - a development PKI in a temp dir (packages/pki): CA, the FreeRADIUS server certificate
 *   and EAP-TLS station certificates (CN = EAP identity); optionally one station
 *   certificate from another CA. 2048-bit keys cost ~300 ms each, so stations share a few.
 * - one or two real FreeRADIUS 3.2 instances (test/support/freeradius.ts) with those
 *   identities and TTLS/PAP users, some with reply attributes (Session-Timeout, Tunnel-*
 *   VLAN, Class), TLS 1.2 and 1.3 allowed;
 * - a real authenticator (gRPC + HTTP on 127.0.0.1:0) serving one 802.1X network, its RADIUS
 *   client pointed at those servers with short timeouts;
 * - sim radios split over several edge agents (one air, several APs, each agent a real
 *   EdgeAgent on its own gRPC stream), so a station can roam from one agent's BSS to
 *   another's with its PMKSA (the sim's OKC), and every EAPOL frame an agent transmits is
 *   recorded.
 *
 * Everything is torn down by close(), and by startEnterpriseBed itself when it fails half-way.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import type { AuthenticatorConfig, RunningAuthenticator } from '@airlock/authenticator';
import type { LinkEvent } from '@airlock/link';
import { EdgeAgent, SimDriver, simBsses, type Driver, type SimBehaviour, type SimDriverOptions, type SimStationSpec } from '@airlock/edge-agent';
import { createCa, issueCertificate, writeDevPki, type DevPkiLayout } from '@airlock/pki';
import { AKM, decodeEapol, EapolType, macKey, type AuthenticatorCore, type Effect } from '@airlock/rsn';
import type { TlsVersion } from '@airlock/supplicant';
import { startFreeRadius, type FreeRadius, type FreeRadiusUser } from './freeradius.js';
import { fetchMetrics, startTestAuthenticator, testConfig } from './topology.js';
import { agentCredentials } from './test-pki.js';

/** The 802.1X network of the bed. */
export const CORP_SSID = 'airlock-corp';
/** Shared secret between the authenticator and every FreeRADIUS of the bed. */
export const RADIUS_SECRET = 'airlock enterprise e2e secret';
/** NAS-Identifier the authenticator sends. */
export const NAS_IDENTIFIER = 'airlock-e2e';
/** Outer identity of TTLS stations (the inner User-Name is the real one). */
export const TTLS_OUTER_IDENTITY = 'anonymous';
/** Handle of the station certificate issued by a CA FreeRADIUS does not trust (EnterpriseBedOptions.rogueCertificate). */
export const ROGUE_CERTIFICATE = '(rogue)';
/** RADIUS server names (metric labels), in priority order. */
export const RADIUS_SERVER_NAMES = ['primary', 'secondary'] as const;

/** An EAP-TLS identity: a station certificate with this CN, and a FreeRADIUS user of that name. */
export interface CertificateUser {
  name: string;
  /** Reply attributes of the FreeRADIUS user (e.g. Tunnel-Private-Group-Id, Class). */
  reply?: Record<string, string>;
}

/** A TTLS/PAP user of FreeRADIUS. */
export interface PasswordUser {
  name: string;
  password: string;
  reply?: Record<string, string>;
}

/** What the bed is built with. */
export interface EnterpriseBedOptions {
  /** FreeRADIUS instances (1 or 2): the authenticator lists them in this order. */
  radiusServers?: 1 | 2;
  certificates: CertificateUser[];
  passwords: PasswordUser[];
  /** Also issue a station certificate with this CN from a CA FreeRADIUS does not trust. */
  rogueCertificate?: string;
  /** Changes to the authenticator configuration after the bed's defaults. */
  tweak?: (c: AuthenticatorConfig) => void;
  /** The authenticator's logger (default: silent). */
  logger?: Logger;
}

/** The accounting effect of the core (what the glue turns into an Accounting-Request). */
export type AccountingEffect = Extract<Effect, { type: 'accounting' }>;

/** One EAPOL frame an agent was told to transmit. */
export interface TransmittedFrame {
  /** macKey of the station. */
  sta: string;
  bssid: Buffer;
  frame: Buffer;
  protected: boolean;
  /** performance.now() when the agent applied the command. */
  at: number;
}

/**
 * One agent's part of a shared sim radio: the Driver its EdgeAgent sees. It serves a subset
 * of the radio's BSSes, receives the events of those BSSes only, forwards commands to the
 * radio, and records every EAPOL frame it is told to transmit.
 */
export class AgentRadio implements Driver {
  readonly name = 'sim-split';
  /** EAPOL frames transmitted by this agent, in command order. */
  readonly transmitted: TransmittedFrame[] = [];
  private onEvent: ((e: LinkEvent) => void) | undefined;

  constructor(
    private readonly radio: SharedRadio,
    private readonly own: ReadonlySet<string>,
  ) {}

  get reportsTxStatus(): boolean {
    return this.radio.sim.reportsTxStatus;
  }

  /** True when this agent serves `bssid`. */
  serves(bssid: Buffer): boolean {
    return this.own.has(macKey(bssid));
  }

  bsses(): ReturnType<Driver['bsses']> {
    return this.radio.sim.bsses().filter((b) => this.serves(b.bssid));
  }

  stations(): ReturnType<Driver['stations']> {
    return this.radio.sim.stations().filter((s) => this.serves(s.bssid));
  }

  /** An event of one of this agent's BSSes. */
  deliver(e: LinkEvent): void {
    this.onEvent?.(e);
  }

  start(onEvent: (e: LinkEvent) => void): Promise<void> {
    this.onEvent = onEvent;
    return this.radio.viewStarted();
  }

  stop(): Promise<void> {
    this.onEvent = undefined;
    return this.radio.stop();
  }

  transmitEapol(c: Parameters<Driver['transmitEapol']>[0], onTxStatus?: (acked: boolean) => void): void {
    this.transmitted.push({ sta: macKey(c.sta), bssid: Buffer.from(c.bssid), frame: Buffer.from(c.frame), protected: c.protected, at: performance.now() });
    this.radio.sim.transmitEapol(c, onTxStatus);
  }

  installPairwiseKey(c: Parameters<Driver['installPairwiseKey']>[0]): void {
    this.radio.sim.installPairwiseKey(c);
  }

  installGroupKey(c: Parameters<Driver['installGroupKey']>[0]): void {
    this.radio.sim.installGroupKey(c);
  }

  removePairwiseKey(c: Parameters<Driver['removePairwiseKey']>[0]): void {
    this.radio.sim.removePairwiseKey(c);
  }

  setPortAuthorized(c: Parameters<Driver['setPortAuthorized']>[0]): void {
    this.radio.sim.setPortAuthorized(c);
  }

  disconnect(c: Parameters<Driver['disconnect']>[0]): void {
    this.radio.sim.disconnect(c);
  }

  /** EAP packets (EAPOL type 0 bodies) this agent transmitted to `sta`, in order. */
  eapTo(sta: Buffer): Buffer[] {
    const k = macKey(sta);
    const out: Buffer[] = [];
    for (const t of this.transmitted) {
      if (t.sta !== k) continue;
      const f = decodeEapol(t.frame);
      if (f.ok && f.value.type === EapolType.EapPacket) out.push(Buffer.from(f.value.body));
    }
    return out;
  }

  /** EAPOL-Key frames this agent transmitted to `sta`, in order. */
  keyFramesTo(sta: Buffer): TransmittedFrame[] {
    const k = macKey(sta);
    return this.transmitted.filter((t) => {
      if (t.sta !== k) return false;
      const f = decodeEapol(t.frame);
      return f.ok && f.value.type === EapolType.Key;
    });
  }
}

/** One sim radio (one air) whose BSSes are split over several agents. */
export class SharedRadio {
  readonly sim: SimDriver;
  readonly views: AgentRadio[];
  private arrived = 0;
  private stopping: Promise<void> | undefined;
  private open!: () => void;
  private fail!: (err: unknown) => void;
  private readonly gate = new Promise<void>((resolve, reject) => {
    this.open = resolve;
    this.fail = reject;
  });

  /** `groups[i]` lists the radio's BSS indices served by agent i. */
  constructor(opts: SimDriverOptions, groups: number[][]) {
    this.sim = new SimDriver(opts);
    const bsses = opts.bsses;
    this.views = groups.map((g) => new AgentRadio(this, new Set(g.map((i) => macKey(bsses[i].announceBssid ?? bsses[i].bssid)))));
  }

  /** The radio starts (stations begin to join) once every agent has started its view. */
  viewStarted(): Promise<void> {
    this.arrived++;
    if (this.arrived === this.views.length) {
      this.sim.start((e) => this.views.find((v) => v.serves(e.bssid))?.deliver(e)).then(this.open, this.fail);
    }
    return this.gate;
  }

  stop(): Promise<void> {
    this.stopping ??= this.sim.stop();
    return this.stopping;
  }
}

/** A shared radio with its agents. */
export interface Radio {
  radio: SharedRadio;
  sim: SimDriver;
  /** views[i] is the driver of agents[i]. */
  views: AgentRadio[];
  agents: EdgeAgent[];
  agentIds: string[];
  /** BSSIDs of the radio, by radio BSS index. */
  bssids: Buffer[];
  /** Radio BSS index of agent `agent`'s BSS number `k` (both from 0). */
  bssIndex(agent: number, k: number): number;
  stop(): Promise<void>;
}

/** How to build a radio. */
export interface RadioOptions {
  agents: number;
  /** BSSes per agent (default 2). */
  bssesPerAgent?: number;
  /** Stations; `home` is a radio BSS index (see Radio.bssIndex). */
  stations: SimStationSpec[];
  behaviour?: Partial<SimBehaviour>;
  /** The agents' logger (default: silent). */
  logger?: Logger;
  /** Join the stations by themselves (default true). */
  autoJoin?: boolean;
  /** Where agent number `a` (from 0) connects (default: the authenticator given), and the instances it fails over to. */
  target?: (a: number) => string;
  alternates?: (a: number) => string[];
  seed?: number;
}

/** A running bed. */
export interface EnterpriseBed {
  dir: string;
  pki: DevPkiLayout;
  /** PEM of the CA (what stations trust for the server certificate). */
  caPem: string;
  radius: FreeRadius[];
  auth: RunningAuthenticator;
  /** Accounting effects of the core, in order (the sessions the detail file must show). */
  accounting: AccountingEffect[];
  radios: Radio[];
  /** An EAP-TLS station with certificate `cert` (a CertificateUser name, or ROGUE_CERTIFICATE); its identity is the CN. */
  tlsStation(mac: Buffer, cert: string, tlsVersion?: TlsVersion, home?: number): SimStationSpec;
  /** A TTLS/PAP station (outer identity TTLS_OUTER_IDENTITY). */
  ttlsStation(mac: Buffer, username: string, password: string, tlsVersion?: TlsVersion, home?: number): SimStationSpec;
  /** Starts a radio split over `agents` new agents (ids ap-N, numbered across radios). */
  startRadio(o: RadioOptions): Promise<Radio>;
  metrics(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Station MAC 02:5e:GG:GG:II:II: `group` keeps the station sets of different tests apart. */
export function stationMac(group: number, i: number): Buffer {
  return Buffer.from([0x02, 0x5e, (group >> 8) & 0xff, group & 0xff, (i >> 8) & 0xff, i & 0xff]);
}

/** Starts the bed; on failure, stops what was started and rethrows. */
export async function startEnterpriseBed(o: EnterpriseBedOptions): Promise<EnterpriseBed> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-enterprise-'));
  const radius: FreeRadius[] = [];
  const radios: Radio[] = [];
  let auth: RunningAuthenticator | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await Promise.allSettled(radios.map((r) => r.stop()));
      await auth?.stop(500);
      await Promise.allSettled(radius.map((fr) => fr.stop()));
      rmSync(dir, { recursive: true, force: true });
    })();
    return closing;
  };
  try {
    const pki = writeDevPki(join(dir, 'pki'), { stations: o.certificates.map((c) => c.name) });
    const caPem = readFileSync(pki.ca.cert, 'utf8');
    /** Certificates by handle: the CN, or ROGUE_CERTIFICATE; `identity` is the CN. */
    const certs = new Map<string, { cert: string; key: string; identity: string }>();
    for (const c of o.certificates) {
      const p = pki.stations[c.name];
      certs.set(c.name, { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8'), identity: c.name });
    }
    if (o.rogueCertificate !== undefined) {
      const rogueCa = createCa({ commonName: 'rogue-ca' });
      certs.set(ROGUE_CERTIFICATE, { ...issueCertificate(rogueCa, { commonName: o.rogueCertificate, usage: 'client' }), identity: o.rogueCertificate });
    }

    const users: FreeRadiusUser[] = [
      ...o.certificates.map((c) => ({ name: c.name, reply: c.reply })),
      ...o.passwords.map((p) => ({ name: p.name, password: p.password, reply: p.reply })),
    ];
    const n = o.radiusServers ?? 1;
    const started = await Promise.allSettled(Array.from({ length: n }, () => startFreeRadius({
      secret: RADIUS_SECRET,
      users,
      pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
      tlsMaxVersion: '1.3',
    })));
    for (const s of started) if (s.status === 'fulfilled') radius.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    const config = testConfig([{ ssid: CORP_SSID, akms: ['8021x'], passphrases: [], stationPsks: [], groupRekeyS: 0, rekeyGtkOnLeave: false }], (c) => {
      c.radius.servers = radius.map((fr, i) => ({ name: RADIUS_SERVER_NAMES[i], host: '127.0.0.1', authPort: fr.authPort, acctPort: fr.acctPort, secret: RADIUS_SECRET }));
      c.radius.nasIdentifier = NAS_IDENTIFIER;
      c.radius.timeoutMs = 500;
      c.radius.maxRetransmits = 2;
      c.radius.deadAfterMs = 1500;
      c.radius.probeIntervalMs = 300;
      c.radius.interimIntervalS = 0;
      c.eap.retransmitMs = 1000;
      c.eap.maxTransmissions = 3;
      c.eap.quietPeriodS = 0;
      o.tweak?.(c);
    });
    auth = await startTestAuthenticator(config, o.logger);
    const accounting: AccountingEffect[] = [];
    recordAccountingEffects(auth.service.core, accounting);

    let nextAgent = 1;
    const eapSpec = (mac: Buffer, home: number | undefined, eap: SimStationSpec['eap']): SimStationSpec => ({ mac, passphrase: '', eap, ...(home === undefined ? {} : { home }) });
    const running = auth;
    const bed: EnterpriseBed = {
      dir,
      pki,
      caPem,
      radius,
      auth: running,
      accounting,
      radios,
      tlsStation(mac, cert, tlsVersion, home) {
        const pem = certs.get(cert);
        if (pem === undefined) throw new Error(`no station certificate ${cert}`);
        return eapSpec(mac, home, { identity: pem.identity, config: { method: 'tls', cert: pem.cert, key: pem.key, ca: caPem, serverName: 'radius-server', ...(tlsVersion ? { tlsVersion } : {}) } });
      },
      ttlsStation(mac, username, password, tlsVersion, home) {
        return ttlsStationSpec(mac, username, password, caPem, { tlsVersion, home });
      },
      startRadio(ro) {
        const first = nextAgent;
        nextAgent += ro.agents;
        return startRadio(running, ro, first, (radio) => radios.push(radio));
      },
      metrics: () => fetchMetrics(running),
      close,
    };
    return bed;
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Starts a sim radio split over `o.agents` new edge agents connected to `auth` (ids ap-N
 * from `firstAgent` on, BSSIDs of simBsses for those numbers, AKM 802.1X). `track` sees the
 * radio before its agents start, so a caller can stop it even when starting fails.
 */
export async function startRadio(auth: { grpcPort: number }, o: RadioOptions, firstAgent: number, track: (r: Radio) => void = () => undefined): Promise<Radio> {
  const per = o.bssesPerAgent ?? 2;
  const numbers = Array.from({ length: o.agents }, (_, i) => firstAgent + i);
  const bssSpecs = numbers.flatMap((agentNumber) => simBsses({ agentNumber, bsses: per, stations: 0, ssid: CORP_SSID, passphrase: '' }).map((b) => ({ ...b, akm: AKM.IEEE8021X })));
  const groups = numbers.map((_, a) => Array.from({ length: per }, (_x, k) => a * per + k));
  const radio = new SharedRadio({ bsses: bssSpecs, stations: o.stations, behaviour: { joinSpreadMs: 500, ...o.behaviour }, seed: o.seed ?? firstAgent, autoJoin: o.autoJoin ?? true }, groups);
  const agentIds = numbers.map((x) => `ap-${x}`);
  const agents = radio.views.map((view, a) => new EdgeAgent({ agentId: agentIds[a], target: o.target?.(a) ?? `127.0.0.1:${auth.grpcPort}`, alternates: o.alternates?.(a), driver: view, logger: o.logger ?? pino({ level: 'silent' }), credentials: agentCredentials(agentIds[a]) }));
  const r: Radio = {
    radio,
    sim: radio.sim,
    views: radio.views,
    agents,
    agentIds,
    bssids: bssSpecs.map((b) => b.bssid),
    bssIndex: (agent, k) => agent * per + k,
    stop: async () => {
      await Promise.allSettled(agents.map((a) => a.stop()));
      await radio.stop();
    },
  };
  track(r);
  await Promise.all(agents.map((a) => a.start()));
  return r;
}

/** A TTLS/PAP station spec (outer identity TTLS_OUTER_IDENTITY) trusting `caPem` for the server certificate. */
export function ttlsStationSpec(mac: Buffer, username: string, password: string, caPem: string, o: { tlsVersion?: TlsVersion; home?: number } = {}): SimStationSpec {
  return {
    mac,
    passphrase: '',
    eap: { identity: username, config: { method: 'ttls-pap', username, password, ca: caPem, anonymousIdentity: TTLS_OUTER_IDENTITY, serverName: 'radius-server', ...(o.tlsVersion ? { tlsVersion: o.tlsVersion } : {}) } },
    ...(o.home === undefined ? {} : { home: o.home }),
  };
}

/**
 * Records the core's accounting effects (Start/Stop, with the Acct-Session-Id the core
 * chose) by wrapping handle() and tick(), the two entry points through which the glue
 * receives them while agents are connected. Observation only: effects pass unchanged.
 */
function recordAccountingEffects(core: AuthenticatorCore, out: AccountingEffect[]): void {
  const handle = core.handle.bind(core);
  const tick = core.tick.bind(core);
  const keep = (effects: Effect[]): Effect[] => {
    for (const e of effects) if (e.type === 'accounting') out.push(e);
    return effects;
  };
  core.handle = (ev, now) => keep(handle(ev, now));
  core.tick = (now) => keep(tick(now));
}

// ---------------------------------------------------------------------------------------
// Reading what FreeRADIUS wrote and what the authenticator counted.

/** One record of a FreeRADIUS detail file: its header line and attributes (values unquoted; repeated attributes in order). */
export interface DetailRecord {
  header: string;
  attrs: Map<string, string[]>;
}

/** Parses a detail file (`header = "%t"`, then one "\tName = value" line per attribute, records separated by a blank line). */
export function parseDetailFile(text: string): DetailRecord[] {
  const out: DetailRecord[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const attrs = new Map<string, string[]>();
    for (const l of lines.slice(1)) {
      const m = /^\s+([A-Za-z0-9][A-Za-z0-9:_-]*) = (.*)$/.exec(l);
      if (m === null) continue;
      const raw = m[2];
      const value = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\"/g, '"') : raw;
      attrs.set(m[1], [...(attrs.get(m[1]) ?? []), value]);
    }
    out.push({ header: lines[0], attrs });
  }
  return out;
}

/** The accounting records FreeRADIUS wrote so far (empty before the first one). */
export function detailRecords(fr: FreeRadius): DetailRecord[] {
  const path = fr.detailFile();
  return existsSync(path) ? parseDetailFile(readFileSync(path, 'utf8')) : [];
}

/** The first value of an attribute of a detail record. */
export function detailValue(r: DetailRecord, name: string): string | undefined {
  return r.attrs.get(name)?.[0];
}

/** Labels of a sample key `name{a="x",b="y"}`. */
function labelsOf(key: string): Map<string, string> {
  const out = new Map<string, string>();
  const brace = key.indexOf('{');
  if (brace < 0) return out;
  for (const m of key.slice(brace).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out.set(m[1], m[2]);
  return out;
}

/** Sum of the samples of `name` whose labels include `labels`. */
export function metricSum(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of m) {
    const base = key.includes('{') ? key.slice(0, key.indexOf('{')) : key;
    if (base !== name) continue;
    const ls = labelsOf(key);
    if (Object.entries(labels).every(([k, v]) => ls.get(k) === v)) sum += value;
  }
  return sum;
}

/** RADIUS response codes of Access-Requests (and their failures) in airlock_radius_requests_total. */
export const ACCESS_CODES = ['Access-Accept', 'Access-Reject', 'Access-Challenge', 'timeout', 'invalid'] as const;

/** airlock_radius_requests_total for Access-Requests (every Access-* code, timeouts and drops), optionally of one server. */
export function accessRequestCount(m: Map<string, number>, server?: string): number {
  return ACCESS_CODES.reduce((n, code) => n + metricSum(m, 'airlock_radius_requests_total', { code, ...(server === undefined ? {} : { server }) }), 0);
}
