/**
 * The wired driver: IEEE 802.1X-2004 port access entities on Linux Ethernet interfaces,
 * one port per interface, EAPOL frames (EtherType 0x888E, §7.5) sent and received raw
 * through libpcap (see pcap-link.ts).
 *
 * A port is a BSS to the authenticator: its BSSID (the Authenticator Address of the 4-way
 * handshake) is the PAE group address 01:80:c2:00:00:03 unless configured otherwise,
 * because that is what wpa_supplicant's wired driver reports as its BSSID (some
 * supplicants use the authenticator's MAC instead: configure `bssid`).
 *
 * Stations. There is no association frame on a wire: a station appears with its first
 * EAPOL frame, which goes up as an 'eapol' event on its own — the core creates a wired
 * port's station from it (implicit association) and, when that frame is an EAPOL-Start,
 * answers with one EAP-Request/Identity. (An 'associated' event before it would make the
 * core start 802.1X and then restart it on the EAPOL-Start: two Identity requests.) A
 * station can also be configured statically: it is announced with 'associated' (empty
 * RSNE: the port policy applies) just after the driver starts — needed for WPA-PSK, where
 * wpa_supplicant sends nothing first and the authenticator must begin with msg 1/4.
 *
 * Frames to a station go to its own MAC (hostapd's wired driver does the same unless
 * `use_pae_group_addr=1`; wpa_supplicant accepts both, it joins the PAE group address),
 * or to the PAE group address when `destination: 'pae-group'`; the source is the
 * interface's MAC. Frames received must be addressed to the interface, the PAE group
 * address or the port's BSSID.
 *
 * What a wire does not have, and what the driver does instead:
 * - TX status: none. pcap_sendpacket() succeeding only means the kernel queued the frame,
 *   so the driver declares reportsTxStatus = false and the authenticator uses its longer
 *   first EAPOL-Key timeout (hostapd's wired driver has no EAPOL TX status either).
 * - Keys: no link cipher. installPairwiseKey / installGroupKey record the key (tests read
 *   it) and succeed; a frame the authenticator wants protected goes out in the clear.
 * - Authorization: recorded, and announced with a 'port' event for whatever enforces it.
 * - Disconnect: the station is forgotten; nothing goes on the wire (hostapd's wired driver
 *   has no sta_deauth either; an EAP-Failure, when due, is the authenticator's to
 *   send). A station that speaks again appears again; a static station is announced again
 *   after `staticRejoinMs`, since it would never speak first.
 */
import { EventEmitter } from 'node:events';
import { AKM, CIPHER, encodeRsne, formatMac, macKey, PAE_GROUP_ADDRESS } from '@airlock/rsn';
import type { Logger } from 'pino';
import type { BssAnnouncement, DisconnectCommand, InstallGroupKeyCommand, InstallPairwiseKeyCommand, LinkEvent, RemovePairwiseKeyCommand, SetPortCommand, StationEntry, TransmitEapolCommand } from '@airlock/link';
import { DriverError, type Driver, type SessionSettings } from '../../driver.js';
import { decodeEthernetEapol, encodeEthernetEapol } from './ethernet.js';
import { interfaceMac } from '../interface-mac.js';
import { StationLog } from '../../station-log.js';
import { openPcapLink, type EthernetLink, type EthernetLinkOpener } from './pcap-link.js';

/** Where frames to a station are addressed. */
export type WiredDestination = 'station' | 'pae-group';

/** One wired port (an interface). */
export interface WiredPortSpec {
  /** Linux interface name, e.g. "eth1". */
  interfaceName: string;
  /** The SSID of the port's network in the authenticator's configuration (1..32 octets of UTF-8). */
  ssid: string;
  /** AKM suite of the port (AKM.PSK, AKM.IEEE8021X, ...); default AKM.PSK. Ignored when `rsne` is given. */
  akm?: number;
  /**
   * The RSN element announced for the port; default RSN v1, CCMP group and pairwise, `akm`,
   * no capabilities. Empty: a port without key management (802.1X only, as hostapd's
   * ieee8021x=1 with wpa=0).
   */
  rsne?: Buffer;
  /** BSSID announced, the AA of the 4-way handshake; default the PAE group address 01:80:c2:00:00:03. */
  bssid?: Buffer;
  /** Destination address of frames to a station; default 'station' (its own MAC). */
  destination?: WiredDestination;
  /** Stations announced when the driver starts (WPA-PSK ports: the supplicant sends nothing first). */
  staticStations?: Buffer[];
  /** The interface's MAC; default read from /sys/class/net/IF/address. */
  interfaceMac?: Buffer;
}

/** Options of the wired driver. */
export interface WiredDriverOptions {
  ports: WiredPortSpec[];
  /** Announce a static station again this long after the authenticator disconnected it; 0 = never. Default 10000 ms. */
  staticRejoinMs?: number;
  logger?: Logger;
  /** How links are opened; default libpcap through `cap`. */
  openLink?: EthernetLinkOpener;
}

/** What the driver holds for one station (tests and operators read it). */
export interface WiredStationView {
  sta: string;
  bssid: string;
  interfaceName: string;
  /** Configured statically (announced at start). */
  static: boolean;
  portAuthorized: boolean;
  vlanId: number;
  sessionTimeoutS: number;
  /** The last pairwise key installed (a wire has no cipher: recorded only). */
  pairwiseKey: { cipher: number; keyId: number; key: Buffer } | undefined;
}

/** Counters of the driver. */
export interface WiredDriverCounters {
  framesReceived: number;
  framesSent: number;
  /** Received frames addressed to someone else, or from a group or our own address. */
  framesIgnored: number;
  /** Received frames that are not EAPOL over Ethernet (shorter than the EAPOL header). */
  framesMalformed: number;
  sendErrors: number;
}

interface Port {
  spec: WiredPortSpec;
  bssid: Buffer;
  ownMac: Buffer;
  ssid: Buffer;
  rsne: Buffer;
  destination: WiredDestination;
  link: EthernetLink | undefined;
  gtk: Map<number, { cipher: number; key: Buffer }>;
  txKeyId: number;
}

interface Station {
  port: Port;
  sta: Buffer;
  key: string;
  isStatic: boolean;
  portAuthorized: boolean;
  vlanId: number;
  sessionTimeoutS: number;
  pairwiseKey: { cipher: number; keyId: number; key: Buffer } | undefined;
}

/** The RSNE of a wired port: RSN v1, CCMP group and pairwise, one AKM, no capabilities. */
export function wiredPortRsne(akm: number): Buffer {
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [akm], capabilities: 0 });
}

function isGroupAddress(mac: Buffer): boolean {
  return (mac[0] & 0x01) !== 0;
}

/**
 * Wired 802.1X / WPA ports. Emits 'port' ({sta, bssid, authorized, vlanId}) when the
 * authenticator opens or closes a station's port, and 'disconnected' (sta, reason).
 */
export class WiredDriver extends EventEmitter implements Driver {
  readonly name = 'wired';
  /** A wire has no acknowledgement: see the module comment. */
  readonly reportsTxStatus = false;
  readonly counters: WiredDriverCounters = { framesReceived: 0, framesSent: 0, framesIgnored: 0, framesMalformed: 0, sendErrors: 0 };
  private readonly ports: Port[];
  private readonly portByBssid = new Map<string, Port>();
  private readonly staticPort = new Map<string, Port>();
  private readonly stationsByMac = new Map<string, Station>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly openLink: EthernetLinkOpener;
  private readonly log: Logger | undefined;
  /** Lines driven by what stations do (any MAC may send EAPOL on a port), rate-limited per port. */
  private readonly stationLog: StationLog | undefined;
  private onEvent: ((e: LinkEvent) => void) | undefined;
  private running = false;

  /** Validates the ports and reads the interfaces' MACs; throws Error with what is wrong. */
  constructor(private readonly opts: WiredDriverOptions) {
    super();
    if (opts.ports.length === 0) throw new Error('wired driver: no port configured');
    this.openLink = opts.openLink ?? openPcapLink;
    this.log = opts.logger?.child({ driver: 'wired' });
    this.stationLog = this.log && new StationLog(this.log);
    const interfaces = new Set<string>();
    this.ports = opts.ports.map((spec, i) => {
      const where = `wired driver: ports[${i}] (${spec.interfaceName})`;
      if (interfaces.has(spec.interfaceName)) throw new Error(`${where}: interface configured twice`);
      interfaces.add(spec.interfaceName);
      const ssid = Buffer.from(spec.ssid, 'utf8');
      if (ssid.length < 1 || ssid.length > 32) throw new Error(`${where}: ssid must be 1..32 octets`);
      const bssid = Buffer.from(spec.bssid ?? PAE_GROUP_ADDRESS);
      if (bssid.length !== 6) throw new Error(`${where}: bssid must be 6 octets`);
      const k = macKey(bssid);
      // The authenticator keys BSSes by BSSID: two ports with the same AA cannot coexist.
      if (this.portByBssid.has(k)) throw new Error(`${where}: BSSID ${formatMac(bssid)} is already used by another port; give each port its own bssid`);
      const ownMac = Buffer.from(spec.interfaceMac ?? interfaceMac(spec.interfaceName));
      if (ownMac.length !== 6 || isGroupAddress(ownMac)) throw new Error(`${where}: the interface MAC must be a 6-octet unicast address`);
      const port: Port = {
        spec,
        bssid,
        ownMac,
        ssid,
        rsne: Buffer.from(spec.rsne ?? wiredPortRsne(spec.akm ?? AKM.PSK)),
        destination: spec.destination ?? 'station',
        link: undefined,
        gtk: new Map(),
        txKeyId: 0,
      };
      this.portByBssid.set(k, port);
      for (const sta of spec.staticStations ?? []) {
        if (sta.length !== 6 || isGroupAddress(sta)) throw new Error(`${where}: static station ${formatMac(sta)} is not a unicast MAC address`);
        if (this.staticPort.has(macKey(sta))) throw new Error(`${where}: static station ${formatMac(sta)} is configured twice`);
        this.staticPort.set(macKey(sta), port);
      }
      return port;
    });
  }

  bsses(): BssAnnouncement[] {
    return this.ports.map((p) => ({ bssid: p.bssid, ssid: p.ssid, rsne: p.rsne, wired: true, interfaceMac: p.ownMac }));
  }

  stations(): StationEntry[] {
    return [...this.stationsByMac.values()].map((s) => ({
      bssid: s.port.bssid,
      sta: s.sta,
      rsne: Buffer.alloc(0),
      portAuthorized: s.portAuthorized,
      pairwiseKeyInstalled: s.pairwiseKey !== undefined,
      vlanId: s.vlanId,
    }));
  }

  /**
   * Opens every port's interface, then announces the static stations. Rejects with
   * WiredDriverUnavailableError when libpcap (`cap`) is missing, or Error when an
   * interface cannot be opened; nothing stays open then.
   */
  async start(onEvent: (e: LinkEvent) => void): Promise<void> {
    if (this.running) throw new Error('wired driver: already started');
    try {
      for (const port of this.ports) {
        port.link = await this.openLink({ interfaceName: port.spec.interfaceName, ownMac: port.ownMac, onFrame: (f) => this.receive(port, f) });
      }
    } catch (err) {
      this.closeLinks();
      throw err;
    }
    this.onEvent = onEvent;
    this.running = true;
    for (const port of this.ports) {
      this.log?.info({ interface: port.spec.interfaceName, bssid: formatMac(port.bssid), mac: formatMac(port.ownMac), destination: port.destination }, 'wired port open');
    }
  }

  /** A new AgentLink session: announce the static stations the driver does not hold. */
  sessionStarted(_settings?: SessionSettings): void {
    this.announceStaticStations();
  }

  /** Announces every static station the driver does not hold now ('associated', empty RSNE). */
  announceStaticStations(): void {
    if (!this.running) return;
    for (const port of this.ports) for (const sta of port.spec.staticStations ?? []) this.announce(port, sta);
  }

  stop(): Promise<void> {
    this.running = false;
    this.onEvent = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.closeLinks();
    this.stationLog?.close();
    return Promise.resolve();
  }

  /** What the driver holds for each station. */
  stationViews(): WiredStationView[] {
    return [...this.stationsByMac.values()].map((s) => ({
      sta: formatMac(s.sta),
      bssid: formatMac(s.port.bssid),
      interfaceName: s.port.spec.interfaceName,
      static: s.isStatic,
      portAuthorized: s.portAuthorized,
      vlanId: s.vlanId,
      sessionTimeoutS: s.sessionTimeoutS,
      pairwiseKey: s.pairwiseKey,
    }));
  }

  /** One station's view, or undefined when the driver does not know it. */
  station(sta: Buffer): WiredStationView | undefined {
    return this.stationViews().find((v) => v.sta === formatMac(sta));
  }

  /** The group keys installed on a port (by BSSID) and its transmit key id. */
  groupKeys(bssid: Buffer): { txKeyId: number; keys: Map<number, { cipher: number; key: Buffer }> } | undefined {
    const port = this.portByBssid.get(macKey(bssid));
    return port && { txKeyId: port.txKeyId, keys: new Map(port.gtk) };
  }

  // ---- Driver commands ----------------------------------------------------------

  transmitEapol(c: TransmitEapolCommand): void {
    const port = this.port(c.bssid);
    const link = port.link;
    if (link === undefined || !this.running) throw new DriverError(`port ${port.spec.interfaceName} is not open`);
    // A wire has no PTK to protect with: a rekey frame goes out as it is (see module comment).
    const frame = encodeEthernetEapol({ destination: port.destination === 'pae-group' ? PAE_GROUP_ADDRESS : c.sta, source: port.ownMac, eapol: c.frame });
    try {
      link.send(frame);
      this.counters.framesSent++;
    } catch (err) {
      this.counters.sendErrors++;
      throw new DriverError(`${port.spec.interfaceName}: cannot send EAPOL to ${formatMac(c.sta)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  installPairwiseKey(c: InstallPairwiseKeyCommand): void {
    const st = this.known(c.bssid, c.sta);
    st.pairwiseKey = { cipher: c.cipher, keyId: c.keyId, key: Buffer.from(c.key) };
  }

  installGroupKey(c: InstallGroupKeyCommand): void {
    const port = this.port(c.bssid);
    if (c.keyId < 1 || c.keyId > 3) throw new DriverError(`GTK key id must be 1..3, got ${c.keyId}`);
    port.gtk.get(c.keyId)?.key.fill(0);
    port.gtk.set(c.keyId, { cipher: c.cipher, key: Buffer.from(c.key) });
    if (c.setTx) port.txKeyId = c.keyId;
  }

  removePairwiseKey(c: RemovePairwiseKeyCommand): void {
    const st = this.stationsByMac.get(macKey(c.sta));
    if (st === undefined || !st.port.bssid.equals(c.bssid)) return;
    st.pairwiseKey?.key.fill(0);
    st.pairwiseKey = undefined;
  }

  setPortAuthorized(c: SetPortCommand): void {
    if (!c.authorized) {
      // Closing the port of a station the driver already forgot is a no-op.
      const st = this.stationsByMac.get(macKey(c.sta));
      if (st === undefined || !st.port.bssid.equals(c.bssid)) return;
    }
    const st = this.known(c.bssid, c.sta);
    const changed = st.portAuthorized !== c.authorized || st.vlanId !== c.vlanId;
    st.portAuthorized = c.authorized;
    st.vlanId = c.vlanId;
    st.sessionTimeoutS = c.sessionTimeoutS;
    if (changed) {
      this.log?.info({ sta: formatMac(st.sta), interface: st.port.spec.interfaceName, authorized: c.authorized, vlan: c.vlanId }, c.authorized ? 'port authorized' : 'port unauthorized');
      this.emit('port', { sta: formatMac(st.sta), bssid: formatMac(st.port.bssid), authorized: c.authorized, vlanId: c.vlanId });
    }
  }

  disconnect(c: DisconnectCommand): void {
    const st = this.stationsByMac.get(macKey(c.sta));
    if (st === undefined || !st.port.bssid.equals(c.bssid)) return;
    this.forget(st);
    this.stationLog?.write('info', macKey(st.port.bssid), 'disconnect', { sta: formatMac(st.sta), interface: st.port.spec.interfaceName, reason: c.reason }, 'station disconnected by the authenticator');
    this.emit('disconnected', formatMac(st.sta), c.reason);
    const rejoinMs = this.opts.staticRejoinMs ?? 10_000;
    if (st.isStatic && rejoinMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.running && !this.stationsByMac.has(st.key)) this.announce(st.port, st.sta);
      }, rejoinMs);
      this.timers.add(t);
    }
  }

  // ---- internals ----------------------------------------------------------------

  private receive(port: Port, raw: Buffer): void {
    if (!this.running) return;
    const d = decodeEthernetEapol(raw);
    let eapol: Buffer;
    if (d.ok) {
      eapol = d.value.eapol;
    } else if (d.error.code === 'length-overflow') {
      // A PDU whose declared body runs past the frame: handed up as captured, so the
      // authenticator drops and counts it with every other malformed EAPOL frame.
      eapol = raw.subarray(14);
    } else {
      this.counters.framesMalformed++;
      return;
    }
    const dst = raw.subarray(0, 6);
    const src = Buffer.from(raw.subarray(6, 12));
    if (!(dst.equals(port.ownMac) || dst.equals(PAE_GROUP_ADDRESS) || dst.equals(port.bssid)) || isGroupAddress(src) || src.equals(port.ownMac)) {
      this.counters.framesIgnored++;
      return;
    }
    this.counters.framesReceived++;
    const key = macKey(src);
    let st = this.stationsByMac.get(key);
    if (st !== undefined && st.port !== port) {
      // The station moved to another port: forget it there, it appears here afresh.
      this.forget(st);
      this.emitEvent({ type: 'disassociated', bssid: st.port.bssid, sta: src, reason: 8, deauth: false, locallyGenerated: false });
      st = undefined;
    }
    // A station appears with its first EAPOL frame (implicit association: see the module comment).
    if (st === undefined) this.track(port, src);
    this.emitEvent({ type: 'eapol', bssid: port.bssid, sta: src, frame: Buffer.from(eapol) });
  }

  /** Announces a static station ('associated' with an empty RSNE: the port policy applies). */
  private announce(port: Port, sta: Buffer): void {
    if (this.stationsByMac.has(macKey(sta))) return;
    this.track(port, sta);
    this.emitEvent({ type: 'associated', bssid: port.bssid, sta: Buffer.from(sta), rsne: Buffer.alloc(0), reassociation: false });
  }

  private track(port: Port, sta: Buffer): Station {
    const key = macKey(sta);
    const st: Station = { port, sta: Buffer.from(sta), key, isStatic: this.staticPort.get(key) === port, portAuthorized: false, vlanId: 0, sessionTimeoutS: 0, pairwiseKey: undefined };
    this.stationsByMac.set(key, st);
    return st;
  }

  private forget(st: Station): void {
    st.pairwiseKey?.key.fill(0);
    st.pairwiseKey = undefined;
    st.portAuthorized = false;
    this.stationsByMac.delete(st.key);
  }

  private port(bssid: Buffer): Port {
    const port = this.portByBssid.get(macKey(bssid));
    if (port === undefined) throw new DriverError(`no wired port with BSSID ${formatMac(bssid)}`);
    return port;
  }

  private known(bssid: Buffer, sta: Buffer): Station {
    const port = this.port(bssid);
    const st = this.stationsByMac.get(macKey(sta));
    if (st === undefined || st.port !== port) throw new DriverError(`station ${formatMac(sta)} is not on port ${port.spec.interfaceName}`);
    return st;
  }

  private closeLinks(): void {
    for (const port of this.ports) {
      port.link?.close();
      port.link = undefined;
    }
  }

  private emitEvent(e: LinkEvent): void {
    if (this.running) this.onEvent?.(e);
  }
}
