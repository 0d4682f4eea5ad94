/**
 * The nl80211 driver: the agent as the MLME of an access point on a Linux mac80211
 * interface (DESIGN.md "Real radios"), doing what hostapd's driver_nl80211.c and the MLME
 * part of ieee802_11.c do, and nothing of RSN:
 * - BSS start: the interface becomes an AP (SET_INTERFACE), registers for the management
 *   frames the MLME answers (REGISTER_FRAME), and starts beaconing (START_AP with the
 *   Beacon head and tail built here, carrying exactly the RSNE of the Hello, the control
 *   port over nl80211 for EtherType 0x888E, and this socket as its owner: if the agent
 *   dies, the kernel stops the BSS);
 * - Authentication, (Re)Association, Probe, Deauthentication and Disassociation through
 *   ApMlme (ap-mlme.ts), with NEW_STATION / DEL_STATION and FRAME; SAE Authentication
 *   frames relayed both ways (the authenticator runs SAE); SA Query Action frames;
 * - PMF (802.11w): stations that negotiated it are added with the MFP flag, so mac80211
 *   protects the robust management frames sent to them with FRAME once their pairwise key is
 *   in, and drops unprotected ones from them (reported as UNPROT_DEAUTHENTICATE /
 *   UNPROT_DISASSOCIATE, counted); IGTK (key IDs 4, 5) and BIGTK (6, 7) installed as the
 *   default management and beacon keys;
 * - EAPOL through the control port (CONTROL_PORT_FRAME both ways), TX status from the
 *   control port's TX status notifications, matched per station in order (the socket
 *   binding enables no extended ACK, so the request's cookie is not seen; the notification
 *   carries the frame, whose destination names the station);
 * - keys with NEW_KEY / SET_KEY, the port with SET_STATION's AUTHORIZED flag, counters with
 *   GET_STATION, inactivity with GET_STATION and PROBE_CLIENT, and stations the kernel
 *   drops (DEL_STATION notifications, CQM packet loss) reported as disassociations.
 *
 * Every frame, notification and command runs through one queue, in arrival order: the MLME
 * sees the radio in order, and a command's netlink requests finish before the next
 * command's begin.
 */
import { takeOldest } from '@airlock/bytes';
import { CIPHER, formatMac, formatSuite, macKey } from '@airlock/rsn';
import type { Logger } from 'pino';
import { interfaceMac } from '../interface-mac.js';
import { StationLog } from '../../station-log.js';
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
import { ApMlme, bssCapability, type MlmeAction, type MlmeCounters } from './ap-mlme.js';
import { ACTION_CATEGORY, AUTH_ALG, channelFrequency, encodeBeacon, MGMT, REASON, type BssAdvertisement } from './ieee80211.js';
import { attr, type Attr, type Attrs } from './netlink.js';
import { ATTR, AUTHTYPE, CHAN_WIDTH, CMD, CQM_ATTR, ETHERTYPE_EAPOL, EXT_FEATURE, IFTYPE, KEY_ATTR, KEYTYPE, SAE_PWE, STA_FLAG, STA_INFO, WPA_VERSION } from './nl80211-constants.js';
import { NetlinkError, NetlinkSocket, NETLINK_PROTOCOL, type NetlinkNotification } from './netlink-socket.js';
import { AKM_SAE, derivedBssid, radioExtendedCapabilities, radioRsne, radioRsnxe, type RadioBssSpec } from './radio-spec.js';

/** Options of the nl80211 driver. */
export interface Nl80211DriverOptions {
  /** One entry per BSS (see radio-spec.ts). */
  bsses: RadioBssSpec[];
  logger?: Logger;
  /** Reads an interface's MAC; default /sys/class/net/IF/address. */
  interfaceMac?: (name: string) => Buffer;
  /** How often stations' inactivity is looked at, ms (the MLME's clock). Default 10 s. */
  inactivityCheckMs?: number;
  /** How often the counters are logged (when they changed), ms; 0 = never. Default 60 s. */
  countersLogMs?: number;
}

/** Counters of the driver (per BSS counters are in `mlmeCounters`). */
export interface Nl80211DriverCounters {
  eapolReceived: number;
  eapolSent: number;
  eapolSendErrors: number;
  /** EAPOL frames from stations that are not associated. */
  eapolDropped: number;
  /** Received frames dropped because their BSS's share of the queue was full (a flood). */
  queueDrops: number;
  /** Netlink requests that failed, and socket errors. */
  netlinkErrors: number;
  /** Times the kernel dropped netlink messages for the agent: its receive queue was full (ENOBUFS). */
  netlinkOverruns: number;
  /** Exceptions caught in the netlink sockets' callbacks: a bug, each one logged with its stack. */
  netlinkCallbackErrors: number;
  txStatusUnmatched: number;
  /** SAE Authentication frames sent for the authenticator. */
  authenticationsSent: number;
  /** Unprotected Deauthentication / Disassociation frames from MFP stations that mac80211 dropped (UNPROT_* notifications). */
  unprotectedDropped: number;
}

interface Bss {
  spec: RadioBssSpec;
  ifname: string;
  /** True when the driver created the interface (an extra BSS on a radio). */
  created: boolean;
  ifindex: number;
  bssid: Buffer;
  ssid: Buffer;
  rsne: Buffer;
  /** Empty when the BSS announces none. */
  rsnxe: Buffer;
  adv: BssAdvertisement;
  mlme: ApMlme;
  /** Received frames of this BSS waiting in the queue. */
  queued: number;
  stations: Map<string, StationState>;
  /** Key ids of the group keys the BSS transmits with now (GTK, IGTK, BIGTK), for their sequence reports. */
  txGroupKeys: { gtk?: number; igtk?: number; bigtk?: number };
}

interface StationState {
  sta: Buffer;
  portAuthorized: boolean;
  pairwiseKeyInstalled: boolean;
  vlanId: number;
  /** Callbacks of EAPOL frames sent and not yet reported, oldest first. */
  eapolTx: { onTxStatus: ((acked: boolean) => void) | undefined; at: number }[];
}

/** 802.11b/g rates (500 kb/s units; bit 7 = basic) on 2.4 GHz; 802.11a rates on 5 GHz. */
const RATES_2G = [0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c];
const RATES_5G = [0x8c, 0x12, 0x98, 0x24, 0xb0, 0x48, 0x60, 0x6c];

/** Key lengths of the data ciphers the driver installs (pairwise keys and GTKs). */
const KEY_LENGTH: Record<number, number> = { [CIPHER.CCMP_128]: 16, [CIPHER.GCMP_128]: 16, [CIPHER.CCMP_256]: 32, [CIPHER.GCMP_256]: 32, [CIPHER.TKIP]: 32 };
/** Key lengths of the group management ciphers (IGTKs and BIGTKs). */
const MGMT_KEY_LENGTH: Record<number, number> = { [CIPHER.BIP_CMAC_128]: 16 };
/** The longest Authentication frame body after the Status Code: an MMPDU body is at most 2304 octets (§9.2.4.7.1). */
const MAX_AUTH_BODY = 2304 - 6;

/**
 * Received frames (management and EAPOL) one BSS may have waiting in the driver's queue;
 * more are dropped and counted, so a flood on one BSS cannot take the queue from the others.
 */
const MAX_QUEUED_FRAMES_PER_BSS = 512;
/** EAPOL frames awaiting TX status per station, at most (older ones are reported lost). */
const MAX_EAPOL_IN_FLIGHT = 8;
/** A TX status later than this is treated as lost. */
const EAPOL_TX_STATUS_TIMEOUT_MS = 3000;
/** Management frames the MLME registers for: subtype and the first body octets to match (Action frames: SA Query only). */
const REGISTERED_FRAMES: { subtype: number; match: Buffer }[] = [
  ...[MGMT.AUTH, MGMT.ASSOC_REQ, MGMT.REASSOC_REQ, MGMT.PROBE_REQ, MGMT.DEAUTH, MGMT.DISASSOC].map((subtype) => ({ subtype, match: Buffer.alloc(0) })),
  { subtype: MGMT.ACTION, match: Buffer.from([ACTION_CATEGORY.SA_QUERY]) },
];

function u32s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b;
}

function staFlags(mask: number[], set: number[]): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(mask.reduce((m, f) => m | (1 << f), 0), 0);
  b.writeUInt32LE(set.reduce((m, f) => m | (1 << f), 0), 4);
  return b;
}

/** True when bit `n` of an NL80211_ATTR_EXT_FEATURES octet array is set. */
function hasExtFeature(features: Buffer, n: number): boolean {
  return (n >> 3) < features.length && (features[n >> 3] & (1 << (n & 7))) !== 0;
}

/** What a group key ID names: GTK 1..3, IGTK 4..5, BIGTK 6..7. */
function groupKeyKind(keyId: number): 'gtk' | 'igtk' | 'bigtk' | undefined {
  if (!Number.isInteger(keyId)) return undefined;
  if (keyId >= 1 && keyId <= 3) return 'gtk';
  if (keyId === 4 || keyId === 5) return 'igtk';
  if (keyId === 6 || keyId === 7) return 'bigtk';
  return undefined;
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The nl80211 driver; see the module comment. */
export class Nl80211Driver implements Driver {
  readonly name = 'nl80211';
  /** The control port reports whether each EAPOL frame was acknowledged. */
  readonly reportsTxStatus = true;
  readonly counters: Nl80211DriverCounters = {
    eapolReceived: 0,
    eapolSent: 0,
    eapolSendErrors: 0,
    eapolDropped: 0,
    queueDrops: 0,
    netlinkErrors: 0,
    netlinkOverruns: 0,
    netlinkCallbackErrors: 0,
    txStatusUnmatched: 0,
    authenticationsSent: 0,
    unprotectedDropped: 0,
  };
  private readonly bssList: Bss[] = [];
  private readonly byBssid = new Map<string, Bss>();
  private readonly byIfindex = new Map<number, Bss>();
  private readonly log: Logger | undefined;
  /** Lines driven by what stations do, rate-limited per BSS. */
  private readonly stationLog: StationLog | undefined;
  private genl: NetlinkSocket | undefined;
  private route: NetlinkSocket | undefined;
  private family = 0;
  private onEvent: ((e: LinkEvent) => void) | undefined;
  private running = false;
  private chain: Promise<void> = Promise.resolve();
  private deadlineTimer: NodeJS.Timeout | undefined;
  private countersTimer: NodeJS.Timeout | undefined;
  private groupKeyTimer: NodeJS.Timeout | undefined;
  private countersLogTimer: NodeJS.Timeout | undefined;
  private lastCountersLog = '';
  /**
   * Management frames sent with a token: cookie -> [bss, token]. A TX status that reaches the
   * socket before the FRAME request's answer (seen on hwsim) still finds its cookie here: the
   * status is handled by a job queued behind the one awaiting that answer.
   */
  private readonly tokenByCookie = new Map<bigint, { bss: Bss; token: number }>();
  /** What netlinkCounters() took from each socket so far. */
  private readonly socketCountsSeen = new WeakMap<NetlinkSocket, { overruns: number; callbackErrors: number }>();
  /** Stations whose DEL_STATION the driver asked for (their notification is not news). */
  private readonly expectedRemovals = new Set<string>();

  /** Validates the BSSes and reads the radios' MACs; throws Error with what is wrong. */
  constructor(private readonly opts: Nl80211DriverOptions) {
    if (opts.bsses.length === 0) throw new Error('nl80211 driver: no radio configured');
    this.log = opts.logger?.child({ driver: 'nl80211' });
    this.stationLog = this.log && new StationLog(this.log);
    const readMac = opts.interfaceMac ?? interfaceMac;
    const perRadio = new Map<string, RadioBssSpec[]>();
    for (const spec of opts.bsses) {
      const list = perRadio.get(spec.interfaceName) ?? [];
      list.push(spec);
      perRadio.set(spec.interfaceName, list);
    }
    for (const [ifname, specs] of perRadio) {
      const base = readMac(ifname);
      const channel = specs[0].channel;
      specs.forEach((spec, n) => {
        const where = `nl80211 driver: radio ${ifname}, BSS ${n + 1} (${spec.ssid})`;
        if (spec.channel !== channel) throw new Error(`${where}: channel ${spec.channel} differs from the radio's channel ${channel}; every BSS of a radio shares its channel`);
        if (channelFrequency(spec.channel) === undefined) throw new Error(`${where}: channel ${spec.channel} is not a 2.4 or 5 GHz channel`);
        for (const akm of spec.akms) if (akm === 0) throw new Error(`${where}: no AKM`);
        const bssid = spec.bssid ?? (n === 0 ? base : derivedBssid(base, n));
        if (n === 0 && spec.bssid !== undefined && !spec.bssid.equals(base)) throw new Error(`${where}: bssid ${formatMac(spec.bssid)} differs from the interface's address ${formatMac(base)} (the first BSS of a radio is the interface itself)`);
        const k = macKey(bssid);
        if (this.byBssid.has(k)) throw new Error(`${where}: BSSID ${formatMac(bssid)} is used twice`);
        const ssid = Buffer.from(spec.ssid, 'utf8');
        const rsne = radioRsne(spec);
        const rsnxe = radioRsnxe(spec);
        const adv: BssAdvertisement = {
          bssid,
          ssid,
          beaconIntervalTu: spec.beaconIntervalTu,
          capability: bssCapability(rsne, spec.channel),
          rates: spec.channel <= 14 ? RATES_2G : RATES_5G,
          channel: spec.channel,
          rsne,
          rsnxe,
          extendedCapabilities: radioExtendedCapabilities(spec),
        };
        const bss: Bss = {
          spec,
          ifname: n === 0 ? ifname : `${ifname.slice(0, 12)}-${n}`,
          created: n !== 0,
          ifindex: 0,
          bssid,
          ssid,
          rsne,
          rsnxe,
          adv,
          mlme: new ApMlme({ ...adv, maxStations: spec.maxStations, maxInactivityMs: spec.maxInactivityS * 1000, inactivityCheckMs: opts.inactivityCheckMs }),
          queued: 0,
          stations: new Map(),
          txGroupKeys: {},
        };
        this.bssList.push(bss);
        this.byBssid.set(k, bss);
      });
    }
  }

  bsses(): BssAnnouncement[] {
    return this.bssList.map((b) => {
      const a: BssAnnouncement = { bssid: b.bssid, ssid: b.ssid, rsne: b.rsne, wired: false, interfaceMac: b.bssid };
      if (b.rsnxe.length > 0) a.rsnxe = b.rsnxe;
      if (b.spec.beaconProtection) a.beaconProtection = true;
      return a;
    });
  }

  stations(): StationEntry[] {
    const out: StationEntry[] = [];
    for (const b of this.bssList) {
      for (const a of b.mlme.associatedStations()) {
        const st = b.stations.get(macKey(a.sta));
        const e: StationEntry = { bssid: b.bssid, sta: a.sta, rsne: a.rsne, portAuthorized: st?.portAuthorized ?? false, pairwiseKeyInstalled: st?.pairwiseKeyInstalled ?? false, vlanId: st?.vlanId ?? 0 };
        if (a.rsnxe !== undefined) e.rsnxe = a.rsnxe;
        out.push(e);
      }
    }
    return out;
  }

  /** Logs the driver's and every BSS's counters, when they changed since the last time. */
  logCounters(): void {
    this.netlinkCounters();
    const snapshot = JSON.stringify({ driver: this.counters, bsses: this.mlmeCounters() });
    if (snapshot === this.lastCountersLog) return;
    this.lastCountersLog = snapshot;
    this.log?.info({ counters: JSON.parse(snapshot) as unknown }, 'radio counters');
  }

  /** Brings the sockets' counters into the driver's (a closed socket's stay counted). */
  private netlinkCounters(): void {
    for (const sock of [this.genl, this.route]) {
      if (sock === undefined) continue;
      const seen = this.socketCountsSeen.get(sock) ?? { overruns: 0, callbackErrors: 0 };
      this.counters.netlinkOverruns += sock.counters.overruns - seen.overruns;
      this.counters.netlinkCallbackErrors += sock.counters.callbackErrors - seen.callbackErrors;
      this.socketCountsSeen.set(sock, { overruns: sock.counters.overruns, callbackErrors: sock.counters.callbackErrors });
    }
  }

  /** Per-BSS MLME counters, by BSSID text. */
  mlmeCounters(): Record<string, MlmeCounters> {
    const out: Record<string, MlmeCounters> = {};
    for (const b of this.bssList) out[formatMac(b.bssid)] = b.mlme.counters;
    return out;
  }

  /**
   * Opens the netlink sockets and starts every BSS. Rejects with an Error that says which
   * step the kernel refused; BSSes started before it are stopped again.
   */
  async start(onEvent: (e: LinkEvent) => void): Promise<void> {
    if (this.running) throw new Error('nl80211 driver: already started');
    const genl = NetlinkSocket.open(NETLINK_PROTOCOL.GENERIC, (n) => this.notification(n), () => this.socketError(), { logger: this.log });
    this.genl = genl;
    this.route = NetlinkSocket.open(NETLINK_PROTOCOL.ROUTE, () => undefined, () => this.socketError(), { logger: this.log });
    try {
      const fam = await genl.family('nl80211');
      this.family = fam.id;
      const mlme = fam.groups.get('mlme');
      if (mlme === undefined) throw new Error('nl80211 has no mlme multicast group');
      genl.addMembership(mlme);
      const interfaces = await this.interfaces();
      const extFeatures = new Map<number, Buffer>();
      for (const bss of this.bssList) {
        const radio = interfaces.get(bss.spec.interfaceName);
        if (radio === undefined) throw new Error(`interface ${bss.spec.interfaceName} is not a wireless (nl80211) interface`);
        if (bss.spec.beaconProtection) {
          if (!extFeatures.has(radio.wiphy)) extFeatures.set(radio.wiphy, await this.wiphyExtFeatures(radio.wiphy));
          if (!hasExtFeature(extFeatures.get(radio.wiphy)!, EXT_FEATURE.BEACON_PROTECTION)) {
            throw new Error(`radio ${bss.spec.interfaceName} (${bss.spec.ssid}): beacon_prot=1, but its driver does not offer beacon protection (no NL80211_EXT_FEATURE_BEACON_PROTECTION); leave beacon_prot out`);
          }
        }
        if (bss.created) {
          const existing = interfaces.get(bss.ifname);
          if (existing !== undefined) await this.cmd(CMD.DEL_INTERFACE, [attr.u32(ATTR.IFINDEX, existing.ifindex)], `remove the stale interface ${bss.ifname}`);
          const r = await this.cmd(CMD.NEW_INTERFACE, [attr.u32(ATTR.WIPHY, radio.wiphy), attr.string(ATTR.IFNAME, bss.ifname), attr.u32(ATTR.IFTYPE, IFTYPE.AP), attr.bytes(ATTR.MAC, bss.bssid)], `create the AP interface ${bss.ifname}`);
          const idx = r[0]?.attrs.u32(ATTR.IFINDEX);
          if (idx === undefined) throw new Error(`create the AP interface ${bss.ifname}: no interface index in the answer`);
          bss.ifindex = idx;
        } else {
          bss.ifindex = radio.ifindex;
        }
        this.byIfindex.set(bss.ifindex, bss);
        await this.startBss(bss);
      }
    } catch (err) {
      await this.teardown();
      throw err;
    }
    this.onEvent = onEvent;
    this.running = true;
    const logEvery = this.opts.countersLogMs ?? 60_000;
    if (logEvery > 0) {
      this.countersLogTimer = setInterval(() => this.logCounters(), logEvery);
      this.countersLogTimer.unref();
    }
    for (const b of this.bssList) {
      this.log?.info({ interface: b.ifname, bssid: formatMac(b.bssid), ssid: b.spec.ssid, channel: b.spec.channel }, 'BSS started');
    }
  }

  sessionStarted(settings: SessionSettings): void {
    for (const b of this.bssList) b.mlme.setMaxUnauthorized(settings.maxPendingStationsPerBss ?? 0);
    for (const t of [this.countersTimer, this.groupKeyTimer]) if (t !== undefined) clearInterval(t);
    this.countersTimer = this.groupKeyTimer = undefined;
    if (settings.countersIntervalS > 0) {
      this.countersTimer = setInterval(() => void this.enqueue(() => this.reportCounters()).catch(() => undefined), settings.countersIntervalS * 1000);
      this.countersTimer.unref();
    }
    const gk = settings.groupKeyIntervalS ?? 0;
    if (gk > 0) {
      this.groupKeyTimer = setInterval(() => void this.enqueue(() => this.reportGroupKeys()).catch(() => undefined), gk * 1000);
      this.groupKeyTimer.unref();
    }
  }

  /** Stops every BSS: each station is deauthenticated (reason 3), the BSS stopped, created interfaces removed. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.logCounters();
    this.running = false;
    this.onEvent = undefined;
    await this.chain.catch(() => undefined);
    for (const b of this.bssList) {
      for (const a of b.mlme.associatedStations()) {
        await this.run(b, b.mlme.disconnect(a.sta, REASON.DEAUTH_LEAVING, true, Date.now())).catch(() => undefined);
      }
    }
    await this.teardown();
    this.stationLog?.close();
  }

  // ---- Driver commands --------------------------------------------------------------

  transmitEapol(c: TransmitEapolCommand, onTxStatus?: (acked: boolean) => void): void {
    const bss = this.bss(c.bssid);
    const frame = Buffer.from(c.frame);
    const sta = Buffer.from(c.sta);
    this.traceEapol('eapol to the station: command', sta, frame.length);
    void this.enqueue(() => {
      const st = this.station(bss, sta);
      if (st === undefined) {
        // The station left while the frame waited: it is lost, like one the air dropped.
        onTxStatus?.(false);
        return;
      }
      if (st.eapolTx.length >= MAX_EAPOL_IN_FLIGHT) st.eapolTx.shift()?.onTxStatus?.(false);
      const entry = { onTxStatus, at: Date.now() };
      st.eapolTx.push(entry);
      const attrs: Attr[] = [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.FRAME, frame), attr.u16(ATTR.CONTROL_PORT_ETHERTYPE, ETHERTYPE_EAPOL), attr.bytes(ATTR.MAC, sta)];
      // Protected (a rekey, after the PTK is installed) unless the authenticator says otherwise.
      if (!c.protected) attrs.push(attr.flag(ATTR.CONTROL_PORT_NO_ENCRYPT));
      // Not awaited: the kernel takes a socket's requests in the order they were sent, so
      // the next job (an install key after msg 3/4, say) cannot overtake this frame, and the
      // queue does not wait a netlink round trip per EAPOL frame. A refusal comes back later.
      this.traceEapol('eapol to the station: sent to the kernel', sta, frame.length);
      this.cmd(CMD.CONTROL_PORT_FRAME, attrs, `send EAPOL to ${formatMac(sta)}`).then(
        () => {
          this.counters.eapolSent++;
        },
        (err: unknown) => {
          this.counters.eapolSendErrors++;
          const i = st.eapolTx.indexOf(entry);
          if (i >= 0) st.eapolTx.splice(i, 1);
          this.stationLine(bss, 'warn', 'eapol-tx-failed', { sta: formatMac(sta), bssid: formatMac(bss.bssid), error: errMessage(err) }, 'EAPOL transmit failed');
          onTxStatus?.(false);
        },
      );
    }).catch(() => undefined);
  }

  installPairwiseKey(c: InstallPairwiseKeyCommand): Promise<void> {
    const bss = this.bss(c.bssid);
    const key = Buffer.from(c.key);
    return this.enqueue(async () => {
      const st = this.known(bss, c.sta);
      const cipher = this.checkKey(c.cipher, key, c.keyId, 0, 1);
      try {
        await this.cmd(
          CMD.NEW_KEY,
          [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.MAC, c.sta), attr.nested(ATTR.KEY, [attr.bytes(KEY_ATTR.DATA, key), attr.u8(KEY_ATTR.IDX, c.keyId), attr.u32(KEY_ATTR.CIPHER, cipher), attr.u32(KEY_ATTR.TYPE, KEYTYPE.PAIRWISE)])],
          `install the pairwise key of ${formatMac(c.sta)}`,
        );
      } finally {
        key.fill(0);
      }
      st.pairwiseKeyInstalled = true;
      bss.mlme.pairwiseKeyInstalled(c.sta, true);
    });
  }

  /**
   * A GTK (key ID 1..3), an IGTK (4, 5) or a BIGTK (6, 7; only where the BSS protects
   * Beacons): NEW_KEY with receive sequence 0, then, as the transmit key, SET_KEY with the
   * default flag of its kind (NL80211_KEY_DEFAULT, _DEFAULT_MGMT, _DEFAULT_BEACON; the
   * nested forms of what NL80211_ATTR_KEY_DEFAULT_MGMT says at the top level).
   */
  installGroupKey(c: InstallGroupKeyCommand): Promise<void> {
    const bss = this.bss(c.bssid);
    const key = Buffer.from(c.key);
    return this.enqueue(async () => {
      const kind = groupKeyKind(c.keyId);
      if (kind === undefined) {
        key.fill(0);
        throw new DriverError(`group key id ${c.keyId}: expected 1..3 (GTK), 4..5 (IGTK) or 6..7 (BIGTK)`);
      }
      if (kind !== 'gtk' && bss.spec.ieee80211w === 0) {
        key.fill(0);
        throw new DriverError(`${kind.toUpperCase()} (key id ${c.keyId}) for BSS ${formatMac(bss.bssid)}, which has no management frame protection (ieee80211w=0)`);
      }
      if (kind === 'bigtk' && !bss.spec.beaconProtection) {
        key.fill(0);
        throw new DriverError(`BIGTK (key id ${c.keyId}) for BSS ${formatMac(bss.bssid)}, which does not protect Beacons (beacon_prot=1 on its --radio turns it on)`);
      }
      let cipher: number;
      try {
        cipher = kind === 'gtk' ? this.checkKey(c.cipher, key, c.keyId, 1, 3) : this.checkMgmtKey(c.cipher, key);
      } catch (err) {
        key.fill(0);
        throw err;
      }
      try {
        await this.cmd(
          CMD.NEW_KEY,
          [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.nested(ATTR.KEY, [attr.bytes(KEY_ATTR.DATA, key), attr.u8(KEY_ATTR.IDX, c.keyId), attr.u32(KEY_ATTR.CIPHER, cipher), attr.u32(KEY_ATTR.TYPE, KEYTYPE.GROUP), attr.bytes(KEY_ATTR.SEQ, Buffer.alloc(6))])],
          `install ${kind.toUpperCase()} ${c.keyId} on ${bss.ifname}`,
        );
      } finally {
        key.fill(0);
      }
      if (c.setTx) {
        const flag = kind === 'gtk' ? KEY_ATTR.DEFAULT : kind === 'igtk' ? KEY_ATTR.DEFAULT_MGMT : KEY_ATTR.DEFAULT_BEACON;
        await this.cmd(CMD.SET_KEY, [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.nested(ATTR.KEY, [attr.u8(KEY_ATTR.IDX, c.keyId), attr.flag(flag)])], `make ${kind.toUpperCase()} ${c.keyId} the transmit key on ${bss.ifname}`);
        bss.txGroupKeys[kind] = c.keyId;
      }
    });
  }

  removePairwiseKey(c: RemovePairwiseKeyCommand): Promise<void> {
    const bss = this.bss(c.bssid);
    return this.enqueue(async () => {
      const st = this.station(bss, c.sta);
      if (st === undefined || !st.pairwiseKeyInstalled) return;
      try {
        await this.cmd(CMD.DEL_KEY, [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.MAC, c.sta), attr.nested(ATTR.KEY, [attr.u8(KEY_ATTR.IDX, 0), attr.u32(KEY_ATTR.TYPE, KEYTYPE.PAIRWISE)])], `remove the pairwise key of ${formatMac(c.sta)}`);
      } catch (err) {
        if (!(err instanceof NetlinkError && err.errno === 2)) throw err;
      }
      st.pairwiseKeyInstalled = false;
      bss.mlme.pairwiseKeyInstalled(c.sta, false);
    });
  }

  setPortAuthorized(c: SetPortCommand): Promise<void> {
    const bss = this.bss(c.bssid);
    return this.enqueue(async () => {
      const st = this.station(bss, c.sta);
      if (st === undefined) {
        if (!c.authorized) return;
        throw new DriverError(`station ${formatMac(c.sta)} is not associated to ${formatMac(bss.bssid)}`);
      }
      if (c.vlanId !== 0 && c.authorized) {
        // Per-station VLANs need AP_VLAN interfaces bridged by the operator; not offered yet.
        throw new DriverError(`VLAN ${c.vlanId} for ${formatMac(c.sta)}: the nl80211 driver has no per-station VLANs`);
      }
      await this.cmd(CMD.SET_STATION, [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.MAC, c.sta), attr.bytes(ATTR.STA_FLAGS2, staFlags([STA_FLAG.AUTHORIZED], c.authorized ? [STA_FLAG.AUTHORIZED] : []))], `${c.authorized ? 'open' : 'close'} the port of ${formatMac(c.sta)}`);
      st.portAuthorized = c.authorized;
      bss.mlme.portAuthorized(c.sta, c.authorized);
      st.vlanId = c.vlanId;
      this.log?.info({ sta: formatMac(c.sta), bssid: formatMac(bss.bssid), authorized: c.authorized }, c.authorized ? 'port authorized' : 'port unauthorized');
    });
  }

  /**
   * Sends an Authentication frame for the authenticator (SAE commit or confirm), on a BSS
   * that offers SAE; whatever the MLME holds of the station (the authenticator decides).
   */
  transmitAuthentication(c: TransmitAuthenticationCommand): Promise<void> {
    const bss = this.bss(c.bssid);
    const sta = Buffer.from(c.sta);
    const body = Buffer.from(c.body);
    return this.enqueue(async () => {
      if (c.algorithm !== AUTH_ALG.SAE) throw new DriverError(`Authentication algorithm ${c.algorithm}: the agent sends only SAE (3) for the authenticator`);
      if (!bss.mlme.relaysSae) throw new DriverError(`BSS ${formatMac(bss.bssid)} does not offer SAE (akm=sae or akm=psk+sae)`);
      if (sta.length !== 6 || (sta[0] & 1) !== 0) throw new DriverError('station address is not a unicast MAC address');
      for (const [what, v] of [['transaction', c.transaction], ['status', c.status]] as const) {
        if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new DriverError(`${what} ${v} is not a 16-bit number`);
      }
      if (body.length > MAX_AUTH_BODY) throw new DriverError(`Authentication body of ${body.length} octets (at most ${MAX_AUTH_BODY})`);
      await this.run(bss, bss.mlme.transmitAuthentication(sta, { algorithm: c.algorithm, transaction: c.transaction, status: c.status, body }, Date.now()));
      this.counters.authenticationsSent++;
    });
  }

  disconnect(c: DisconnectCommand): Promise<void> {
    const bss = this.bss(c.bssid);
    const sta = Buffer.from(c.sta);
    return this.enqueue(async () => {
      this.stationLine(bss, 'info', 'disconnect', { sta: formatMac(sta), bssid: formatMac(bss.bssid), reason: c.reason, deauth: c.deauth }, 'station disconnected by the authenticator');
      await this.run(bss, bss.mlme.disconnect(sta, c.reason, c.deauth, Date.now()));
    });
  }

  // ---- BSS setup ----------------------------------------------------------------------

  private async interfaces(): Promise<Map<string, { ifindex: number; wiphy: number }>> {
    const out = new Map<string, { ifindex: number; wiphy: number }>();
    for (const r of await this.cmd(CMD.GET_INTERFACE, [], 'list the wireless interfaces', true)) {
      const name = r.attrs.string(ATTR.IFNAME);
      const ifindex = r.attrs.u32(ATTR.IFINDEX);
      const wiphy = r.attrs.u32(ATTR.WIPHY);
      if (name !== undefined && ifindex !== undefined && wiphy !== undefined) out.set(name, { ifindex, wiphy });
    }
    return out;
  }

  private async startBss(bss: Bss): Promise<void> {
    const ifx = attr.u32(ATTR.IFINDEX, bss.ifindex);
    await this.setLinkUp(bss.ifindex, false);
    await this.cmd(CMD.SET_INTERFACE, [ifx, attr.u32(ATTR.IFTYPE, IFTYPE.AP)], `make ${bss.ifname} an AP interface`);
    await this.setLinkUp(bss.ifindex, true);
    for (const { subtype, match } of REGISTERED_FRAMES) {
      try {
        await this.cmd(CMD.REGISTER_FRAME, [ifx, attr.u16(ATTR.FRAME_TYPE, subtype), attr.bytes(ATTR.FRAME_MATCH, match)], `register for management frames 0x${subtype.toString(16)} on ${bss.ifname}`);
      } catch (err) {
        // EALREADY: this socket registered before (a restart of the BSS).
        if (!(err instanceof NetlinkError && err.errno === 114)) throw err;
      }
    }
    // Data frames from stations that are not associated (to answer them with reason 7).
    await this.cmd(CMD.UNEXPECTED_FRAME, [ifx], `register for unexpected frames on ${bss.ifname}`).catch((e: unknown) => this.log?.warn({ interface: bss.ifname, error: errMessage(e) }, 'unexpected-frame reports unavailable'));
    const { head, tail } = encodeBeacon(bss.adv);
    const freq = channelFrequency(bss.spec.channel)!;
    const attrs: Attr[] = [
      ifx,
      attr.bytes(ATTR.BEACON_HEAD, head),
      attr.bytes(ATTR.BEACON_TAIL, tail),
      attr.u32(ATTR.BEACON_INTERVAL, bss.spec.beaconIntervalTu),
      attr.u32(ATTR.DTIM_PERIOD, bss.spec.dtimPeriod),
      attr.bytes(ATTR.SSID, bss.ssid),
      attr.u32(ATTR.HIDDEN_SSID, 0),
      attr.u32(ATTR.WIPHY_FREQ, freq),
      attr.u32(ATTR.CHANNEL_WIDTH, CHAN_WIDTH.W20_NOHT),
      attr.u32(ATTR.AUTH_TYPE, AUTHTYPE.OPEN_SYSTEM),
      attr.flag(ATTR.SOCKET_OWNER),
    ];
    if (bss.rsne.length > 0) {
      // As hostapd: WPA3 when SAE is among the AKMs (transition mode included), WPA2 otherwise.
      const sae = bss.spec.akms.includes(AKM_SAE);
      attrs.push(
        attr.flag(ATTR.PRIVACY),
        attr.u32(ATTR.WPA_VERSIONS, sae ? WPA_VERSION.WPA3 : WPA_VERSION.WPA2),
        attr.bytes(ATTR.AKM_SUITES, u32s(bss.spec.akms)),
        attr.bytes(ATTR.CIPHER_SUITES_PAIRWISE, u32s([bss.spec.cipher])),
        attr.u32(ATTR.CIPHER_SUITE_GROUP, bss.spec.cipher),
        attr.flag(ATTR.CONTROL_PORT),
        attr.u16(ATTR.CONTROL_PORT_ETHERTYPE, ETHERTYPE_EAPOL),
        attr.flag(ATTR.CONTROL_PORT_OVER_NL80211),
      );
      // Informational for mac80211 (SAE runs at the authenticator); drivers that run SAE themselves read it.
      if (sae) attrs.push(attr.u8(ATTR.SAE_PWE, [SAE_PWE.HUNT_AND_PECK, SAE_PWE.HASH_TO_ELEMENT, SAE_PWE.BOTH][bss.spec.saePwe]));
    }
    await this.cmd(CMD.START_AP, attrs, `start the BSS on ${bss.ifname}`);
  }

  private async teardown(): Promise<void> {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    for (const t of [this.countersTimer, this.countersLogTimer, this.groupKeyTimer]) if (t !== undefined) clearInterval(t);
    this.deadlineTimer = this.countersTimer = this.countersLogTimer = this.groupKeyTimer = undefined;
    if (this.genl !== undefined) {
      for (const b of this.bssList) {
        if (b.ifindex === 0) continue;
        const ifx = attr.u32(ATTR.IFINDEX, b.ifindex);
        await this.cmd(CMD.STOP_AP, [ifx], `stop the BSS on ${b.ifname}`).catch(() => undefined);
        if (b.created) await this.cmd(CMD.DEL_INTERFACE, [ifx], `remove ${b.ifname}`).catch(() => undefined);
        else {
          await this.setLinkUp(b.ifindex, false).catch(() => undefined);
          await this.cmd(CMD.SET_INTERFACE, [ifx, attr.u32(ATTR.IFTYPE, IFTYPE.STATION)], `give ${b.ifname} back as a station interface`).catch(() => undefined);
        }
      }
    }
    this.netlinkCounters();
    this.genl?.close();
    this.route?.close();
    this.genl = this.route = undefined;
    for (const b of this.bssList) {
      for (const st of b.stations.values()) for (const e of st.eapolTx.splice(0)) e.onTxStatus?.(false);
      b.stations.clear();
      b.ifindex = 0;
    }
    this.byIfindex.clear();
  }

  /** IFF_UP on or off through rtnetlink (RTM_NEWLINK with an ifinfomsg). */
  private async setLinkUp(ifindex: number, up: boolean): Promise<void> {
    const RTM_NEWLINK = 16;
    const IFF_UP = 1;
    const ifinfo = Buffer.alloc(16);
    ifinfo.writeInt32LE(ifindex, 4);
    ifinfo.writeUInt32LE(up ? IFF_UP : 0, 8);
    ifinfo.writeUInt32LE(IFF_UP, 12);
    const route = this.route;
    if (route === undefined) throw new Error('netlink socket closed');
    try {
      await route.request(RTM_NEWLINK, ifinfo, [], `set interface ${ifindex} ${up ? 'up' : 'down'}`);
    } catch (err) {
      throw err instanceof NetlinkError && err.errno === 1 ? new Error(`${err.message}: the agent needs CAP_NET_ADMIN`) : err;
    }
  }

  // ---- notifications ------------------------------------------------------------------

  private notification(n: NetlinkNotification): void {
    if (n.type !== this.family || !this.running) return;
    const ifindex = n.attrs.u32(ATTR.IFINDEX);
    const bss = ifindex === undefined ? undefined : this.byIfindex.get(ifindex);
    if (bss === undefined) return;
    switch (n.cmd) {
      case CMD.FRAME: {
        const frame = n.attrs.bytes(ATTR.FRAME);
        if (frame === undefined) return;
        if (bss.queued >= MAX_QUEUED_FRAMES_PER_BSS) {
          this.counters.queueDrops++;
          return;
        }
        bss.queued++;
        const copy = Buffer.from(frame);
        void this.enqueue(() => {
          bss.queued--;
          return this.run(bss, bss.mlme.handleFrame(copy, Date.now()));
        }).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.CONTROL_PORT_FRAME: {
        const frame = n.attrs.bytes(ATTR.FRAME);
        const sta = n.attrs.bytes(ATTR.MAC);
        if (frame === undefined || sta === undefined || sta.length !== 6 || n.attrs.u16(ATTR.CONTROL_PORT_ETHERTYPE) !== ETHERTYPE_EAPOL) return;
        this.traceEapol('eapol from the station', sta, frame.length);
        if (bss.queued >= MAX_QUEUED_FRAMES_PER_BSS) {
          this.counters.queueDrops++;
          return;
        }
        bss.queued++;
        const copy = Buffer.from(frame);
        const from = Buffer.from(sta);
        void this.enqueue(async () => {
          bss.queued--;
          const actions: MlmeAction[] = [];
          if (!bss.mlme.eapolReceived(from, actions)) {
            this.counters.eapolDropped++;
            return;
          }
          await this.run(bss, actions);
          this.counters.eapolReceived++;
          this.emit({ type: 'eapol', bssid: bss.bssid, sta: from, frame: copy });
        }).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.FRAME_TX_STATUS: {
        const cookie = n.attrs.u64(ATTR.COOKIE);
        if (cookie === undefined) return;
        const acked = n.attrs.has(ATTR.ACK);
        void this.enqueue(() => {
          const t = this.tokenByCookie.get(cookie);
          if (t === undefined) return;
          this.tokenByCookie.delete(cookie);
          return this.run(t.bss, t.bss.mlme.handleTxStatus(t.token, acked, Date.now()));
        }).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.CONTROL_PORT_FRAME_TX_STATUS: {
        const frame = n.attrs.bytes(ATTR.FRAME);
        if (frame === undefined || frame.length < 14) return;
        const acked = n.attrs.has(ATTR.ACK);
        // mac80211 reports the frame as it was handed in: an Ethernet frame (destination
        // first, EtherType 0x888E at octet 12). Frames to one station go out in order, so
        // its oldest frame waiting for a status is the one reported.
        const sta = Buffer.from(frame.readUInt16BE(12) === ETHERTYPE_EAPOL ? frame.subarray(0, 6) : frame.subarray(4, 10));
        void this.enqueue(() => {
          const st = bss.stations.get(macKey(sta));
          const e = st?.eapolTx.shift();
          if (e === undefined) this.counters.txStatusUnmatched++;
          else e.onTxStatus?.(acked);
        }).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.DEL_STATION: {
        const sta = n.attrs.bytes(ATTR.MAC);
        if (sta === undefined || sta.length !== 6) return;
        const from = Buffer.from(sta);
        void this.enqueue(() => {
          const k = `${bss.ifindex}/${macKey(from)}`;
          if (this.expectedRemovals.delete(k)) return;
          this.stationLine(bss, 'info', 'kernel-removed', { sta: formatMac(from), bssid: formatMac(bss.bssid) }, 'the kernel removed a station');
          return this.run(bss, bss.mlme.stationGone(from, REASON.UNSPECIFIED));
        }).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.UNEXPECTED_FRAME: {
        const sta = n.attrs.bytes(ATTR.MAC);
        if (sta === undefined || sta.length !== 6) return;
        const from = Buffer.from(sta);
        void this.enqueue(() => this.run(bss, bss.mlme.unexpectedFrame(from, Date.now()))).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.NOTIFY_CQM: {
        const sta = n.attrs.bytes(ATTR.MAC);
        const cqm = n.attrs.nested(ATTR.CQM);
        if (sta === undefined || sta.length !== 6 || cqm === undefined || !cqm.has(CQM_ATTR.PKT_LOSS_EVENT)) return;
        const from = Buffer.from(sta);
        // The station stopped acknowledging frames (hostapd's disassoc_low_ack).
        void this.enqueue(() => {
          if (!bss.mlme.isAssociated(from)) return;
          this.stationLine(bss, 'info', 'low-ack', { sta: formatMac(from), bssid: formatMac(bss.bssid) }, 'station stopped acknowledging frames');
          return this.run(bss, bss.mlme.expel(from, REASON.DISASSOC_LOW_ACK));
        }).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.PROBE_CLIENT: {
        const sta = n.attrs.bytes(ATTR.MAC);
        if (sta === undefined || sta.length !== 6) return;
        const from = Buffer.from(sta);
        const acked = n.attrs.has(ATTR.ACK);
        void this.enqueue(() => this.run(bss, bss.mlme.pollAnswered(from, acked))).catch((e: unknown) => this.jobFailed(bss, e));
        return;
      }
      case CMD.UNPROT_DEAUTHENTICATE:
      case CMD.UNPROT_DISASSOCIATE: {
        // mac80211 dropped it already (an MFP station with its key in); counted and logged.
        this.counters.unprotectedDropped++;
        const frame = n.attrs.bytes(ATTR.FRAME);
        const from = frame !== undefined && frame.length >= 16 ? formatMac(frame.subarray(10, 16)) : undefined;
        this.stationLine(bss, 'info', 'unprotected-dropped', { sta: from, bssid: formatMac(bss.bssid), deauth: n.cmd === CMD.UNPROT_DEAUTHENTICATE }, 'unprotected Deauthentication/Disassociation from an MFP station dropped by the kernel');
        return;
      }
      case CMD.STOP_AP:
        this.log?.error({ interface: bss.ifname, bssid: formatMac(bss.bssid) }, 'the BSS was stopped from outside the agent');
        return;
      default:
        return;
    }
  }

  // ---- MLME actions ---------------------------------------------------------------------

  /** Carries out MLME actions in order. */
  private async run(bss: Bss, actions: MlmeAction[]): Promise<void> {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      switch (a.type) {
        case 'transmit':
          await this.sendFrame(bss, a.frame, a.ackToken);
          break;
        case 'add-station': {
          try {
            await this.addStation(bss, a);
          } catch (err) {
            this.stationLine(bss, 'warn', 'kernel-refused', { sta: formatMac(a.sta), bssid: formatMac(bss.bssid), error: errMessage(err) }, 'the kernel refused the station');
            // The association response is not sent; the MLME hears it as lost.
            const next = actions[i + 1];
            i++;
            if (next?.type === 'transmit' && next.ackToken !== undefined) await this.run(bss, bss.mlme.handleTxStatus(next.ackToken, false, Date.now()));
          }
          break;
        }
        case 'remove-station':
          await this.removeStation(bss, a.sta);
          break;
        case 'associated': {
          this.stationLine(bss, 'info', 'associated', { sta: formatMac(a.sta), bssid: formatMac(bss.bssid), reassociation: a.reassociation }, 'station associated');
          const e: LinkEvent = { type: 'associated', bssid: bss.bssid, sta: a.sta, rsne: a.rsne, reassociation: a.reassociation, previousBssid: a.previousBssid };
          if (a.rsnxe !== undefined) e.rsnxe = a.rsnxe;
          this.emit(e);
          break;
        }
        case 'authentication':
          this.emit({ type: 'authentication', bssid: bss.bssid, sta: a.sta, algorithm: a.algorithm, transaction: a.transaction, status: a.status, body: a.body });
          break;
        case 'disassociated':
          this.stationLine(bss, 'info', 'left', { sta: formatMac(a.sta), bssid: formatMac(bss.bssid), reason: a.reason, deauth: a.deauth, local: a.locallyGenerated }, 'station left');
          this.emit({ type: 'disassociated', bssid: bss.bssid, sta: a.sta, reason: a.reason, deauth: a.deauth, locallyGenerated: a.locallyGenerated });
          break;
        case 'check-inactivity':
          this.expireEapolTx();
          for (const r of await this.dumpStations(bss)) {
            const inactive = r.info.u32(STA_INFO.INACTIVE_TIME);
            if (inactive !== undefined) await this.run(bss, bss.mlme.inactivity(r.sta, inactive));
          }
          break;
        case 'poll':
          await this.cmd(CMD.PROBE_CLIENT, [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.MAC, a.sta)], `poll ${formatMac(a.sta)}`).catch(
            // Not sent: the same as not acknowledged.
            () => this.run(bss, bss.mlme.pollAnswered(a.sta, false)),
          );
          break;
      }
    }
    this.scheduleDeadline();
  }

  private async sendFrame(bss: Bss, frame: Buffer, token: number | undefined): Promise<void> {
    const attrs: Attr[] = [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.FRAME, frame)];
    if (token === undefined) attrs.push(attr.flag(ATTR.DONT_WAIT_FOR_ACK));
    let replies: { attrs: Attrs }[];
    try {
      replies = await this.cmd(CMD.FRAME, attrs, `send a management frame on ${bss.ifname}`);
    } catch (err) {
      this.stationLine(bss, 'warn', 'mgmt-tx-failed', { bssid: formatMac(bss.bssid), error: errMessage(err) }, 'management frame not sent');
      if (token !== undefined) await this.run(bss, bss.mlme.handleTxStatus(token, false, Date.now()));
      return;
    }
    if (token === undefined) return;
    const cookie = replies[0]?.attrs.u64(ATTR.COOKIE);
    if (cookie === undefined) return;
    this.tokenByCookie.set(cookie, { bss, token });
    if (this.tokenByCookie.size > 4096) takeOldest(this.tokenByCookie);
  }

  private async addStation(bss: Bss, a: Extract<MlmeAction, { type: 'add-station' }>): Promise<void> {
    if (a.replace) await this.removeStation(bss, a.sta);
    const rates = Buffer.from(a.rates.slice(0, 32));
    await this.cmd(
      CMD.NEW_STATION,
      [
        attr.u32(ATTR.IFINDEX, bss.ifindex),
        attr.bytes(ATTR.MAC, a.sta),
        attr.u16(ATTR.STA_AID, a.aid),
        attr.u16(ATTR.STA_LISTEN_INTERVAL, a.listenInterval),
        attr.bytes(ATTR.STA_SUPPORTED_RATES, rates),
        attr.u16(ATTR.STA_CAPABILITY, a.capability),
        // Authenticated and associated are implied for a new station; the port stays closed.
        // MFP: mac80211 protects its robust management frames once its key is in.
        attr.bytes(ATTR.STA_FLAGS2, staFlags([STA_FLAG.AUTHORIZED, STA_FLAG.SHORT_PREAMBLE, STA_FLAG.MFP], [...((a.capability & 0x0020) !== 0 ? [STA_FLAG.SHORT_PREAMBLE] : []), ...(a.mfp ? [STA_FLAG.MFP] : [])])),
      ],
      `add station ${formatMac(a.sta)}`,
    );
    bss.stations.set(macKey(a.sta), { sta: Buffer.from(a.sta), portAuthorized: false, pairwiseKeyInstalled: false, vlanId: 0, eapolTx: [] });
  }

  private async removeStation(bss: Bss, sta: Buffer): Promise<void> {
    const st = bss.stations.get(macKey(sta));
    bss.stations.delete(macKey(sta));
    if (st !== undefined) for (const e of st.eapolTx.splice(0)) e.onTxStatus?.(false);
    const k = `${bss.ifindex}/${macKey(sta)}`;
    this.expectedRemovals.add(k);
    try {
      await this.cmd(CMD.DEL_STATION, [attr.u32(ATTR.IFINDEX, bss.ifindex), attr.bytes(ATTR.MAC, sta)], `remove station ${formatMac(sta)}`);
    } catch (err) {
      this.expectedRemovals.delete(k);
      if (!(err instanceof NetlinkError && err.errno === 2)) throw err;
    }
    if (this.expectedRemovals.size > 4096) this.expectedRemovals.clear();
  }

  // ---- timers ---------------------------------------------------------------------------

  private scheduleDeadline(): void {
    if (!this.running) return;
    let next: number | undefined;
    for (const b of this.bssList) {
      const d = b.mlme.nextDeadline();
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (next === undefined) return;
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      void this.enqueue(async () => {
        for (const b of this.bssList) await this.run(b, b.mlme.tick(Date.now()));
        this.expireEapolTx();
      }).catch(() => undefined);
    }, Math.max(0, next - Date.now()));
    this.deadlineTimer.unref();
  }

  /** EAPOL frames whose TX status never came are reported lost. */
  private expireEapolTx(): void {
    const limit = Date.now() - EAPOL_TX_STATUS_TIMEOUT_MS;
    for (const b of this.bssList) {
      for (const st of b.stations.values()) {
        while (st.eapolTx.length > 0 && st.eapolTx[0].at < limit) st.eapolTx.shift()?.onTxStatus?.(false);
      }
    }
  }

  private async reportCounters(): Promise<void> {
    for (const b of this.bssList) {
      for (const r of await this.dumpStations(b)) {
        if (!b.mlme.isAssociated(r.sta)) continue;
        const i = r.info;
        this.emit({
          type: 'counters',
          bssid: b.bssid,
          sta: r.sta,
          rxBytes: i.u64(STA_INFO.RX_BYTES64) ?? BigInt(i.u32(STA_INFO.RX_BYTES) ?? 0),
          txBytes: i.u64(STA_INFO.TX_BYTES64) ?? BigInt(i.u32(STA_INFO.TX_BYTES) ?? 0),
          rxPackets: BigInt(i.u32(STA_INFO.RX_PACKETS) ?? 0),
          txPackets: BigInt(i.u32(STA_INFO.TX_PACKETS) ?? 0),
        });
      }
    }
  }

  /**
   * The transmit packet number of each group key a BSS sends with (GET_KEY's sequence, 6
   * octets little-endian as mac80211 gives it): the authenticator puts it in msg 3/4 (GTK
   * RSC, IPN, BIPN), as hostapd asks its driver when it builds the frame.
   */
  private async reportGroupKeys(): Promise<void> {
    for (const b of this.bssList) {
      for (const keyId of Object.values(b.txGroupKeys)) {
        if (keyId === undefined) continue;
        const replies = await this.cmd(CMD.GET_KEY, [attr.u32(ATTR.IFINDEX, b.ifindex), attr.u8(ATTR.KEY_IDX, keyId)], `read group key ${keyId}'s sequence on ${b.ifname}`);
        const r = replies[0]?.attrs;
        const seq = r?.bytes(ATTR.KEY_SEQ) ?? r?.nested(ATTR.KEY)?.bytes(KEY_ATTR.SEQ);
        if (seq === undefined || seq.length < 6) continue;
        this.emit({ type: 'group-key-sequence', bssid: b.bssid, keyId, txPn: BigInt(Buffer.from(seq).readUIntLE(0, 6)) });
      }
    }
  }

  private async dumpStations(bss: Bss): Promise<{ sta: Buffer; info: Attrs }[]> {
    const out: { sta: Buffer; info: Attrs }[] = [];
    const replies = await this.cmd(CMD.GET_STATION, [attr.u32(ATTR.IFINDEX, bss.ifindex)], `list the stations of ${bss.ifname}`, true);
    for (const r of replies) {
      const sta = r.attrs.bytes(ATTR.MAC);
      const info = r.attrs.nested(ATTR.STA_INFO);
      if (sta !== undefined && sta.length === 6 && info !== undefined) out.push({ sta: Buffer.from(sta), info });
    }
    return out;
  }

  // ---- plumbing -------------------------------------------------------------------------

  private cmd(cmd: number, attrs: Attr[], what: string, dump = false): Promise<{ cmd: number; attrs: Attrs }[]> {
    const genl = this.genl;
    if (genl === undefined) return Promise.reject(new Error(`${what}: netlink socket closed`));
    return genl.genl(this.family, cmd, attrs, { dump, what }).catch((err: unknown) => {
      this.counters.netlinkErrors++;
      throw err;
    });
  }

  /** Runs `job` after every job queued before it; the returned promise settles with it. */
  private enqueue(job: () => void | Promise<void>): Promise<void> {
    const p = this.chain.then(job);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * At trace level, when an EAPOL frame passes the agent, with a sub-millisecond wall-clock
   * time (`atMs`): `npm run bench:wifi` splits a join into its stages with it.
   */
  private traceEapol(what: string, sta: Buffer, bytes: number): void {
    if (this.log?.isLevelEnabled('trace') !== true) return;
    this.log.trace({ sta: formatMac(sta), bytes, atMs: Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000 }, what);
  }

  private jobFailed(bss: Bss, e: unknown): void {
    this.stationLine(bss, 'warn', 'job-failed', { bssid: formatMac(bss.bssid), error: errMessage(e) }, 'radio event handling failed');
  }

  /** A line driven by what a station of `bss` did: rate-limited per BSS and kind (`what`). */
  private stationLine(bss: Bss, level: 'warn' | 'info', what: string, obj: object, msg: string): void {
    this.stationLog?.write(level, macKey(bss.bssid), what, obj, msg);
  }

  /** A socket error (the socket logged it, rate-limited). */
  private socketError(): void {
    this.counters.netlinkErrors++;
  }

  private emit(e: LinkEvent): void {
    if (this.running) this.onEvent?.(e);
  }

  private bss(bssid: Buffer): Bss {
    const b = this.byBssid.get(macKey(bssid));
    if (b === undefined) throw new DriverError(`no BSS ${formatMac(bssid)} on this agent`);
    return b;
  }

  private station(bss: Bss, sta: Buffer): StationState | undefined {
    return bss.stations.get(macKey(sta));
  }

  private known(bss: Bss, sta: Buffer): StationState {
    const st = bss.stations.get(macKey(sta));
    if (st === undefined) throw new DriverError(`station ${formatMac(sta)} is not associated to ${formatMac(bss.bssid)}`);
    return st;
  }

  /** Checks an IGTK or BIGTK against its cipher (BIP-CMAC-128 only); returns the selector. */
  private checkMgmtKey(selector: number, key: Buffer): number {
    const len = MGMT_KEY_LENGTH[selector];
    if (len === undefined) throw new DriverError(`cipher ${formatSuite(selector)} for an IGTK/BIGTK: the nl80211 driver installs BIP-CMAC-128 (00-0f-ac:6) only`);
    if (key.length !== len) throw new DriverError(`key of ${key.length} octets for a cipher that takes ${len}`);
    return selector;
  }

  /** Reads a wiphy's NL80211_ATTR_EXT_FEATURES (a split dump: the attribute comes in one of several messages). */
  private async wiphyExtFeatures(wiphy: number): Promise<Buffer> {
    const replies = await this.cmd(CMD.GET_WIPHY, [attr.u32(ATTR.WIPHY, wiphy), attr.flag(ATTR.SPLIT_WIPHY_DUMP)], `read the features of wiphy ${wiphy}`, true);
    for (const r of replies) {
      if (r.attrs.u32(ATTR.WIPHY) !== wiphy) continue;
      const f = r.attrs.bytes(ATTR.EXT_FEATURES);
      if (f !== undefined) return Buffer.from(f);
    }
    return Buffer.alloc(0);
  }

  /** Checks a key against its cipher (a suite selector, as nl80211 takes it too); returns the selector. */
  private checkKey(selector: number, key: Buffer, keyId: number, minId: number, maxId: number): number {
    const len = KEY_LENGTH[selector];
    if (len === undefined) throw new DriverError(`cipher ${formatSuite(selector)} is not supported by the nl80211 driver`);
    if (key.length !== len) throw new DriverError(`key of ${key.length} octets for a cipher that takes ${len}`);
    if (!Number.isInteger(keyId) || keyId < minId || keyId > maxId) throw new DriverError(`key id ${keyId} outside ${minId}..${maxId}`);
    return selector;
  }
}
