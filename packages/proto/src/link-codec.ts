/**
 * The link codec: the AgentLink vocabulary (@airlock/link) to and from the protobuf
 * messages of proto/airlock/v1/agent_link.proto. Both ends use it — the edge agent for its
 * Hello and events and the commands it applies, the authenticator for the Hello and events
 * it reads and the commands it sends — so a field is mapped in one place.
 *
 * It maps and checks nothing else: what the other end sent is validated by whoever takes it
 * (MAC lengths, frame sizes, the BSS belonging to the agent). Buffers are not copied.
 * Mapping rules that are not one-to-one:
 * - Cipher: the vocabulary carries the suite selector (00-0F-AC:4 = 0x000fac04), the wire
 *   the suite type of OUI 00-0F-AC (an open proto3 enum; 0 = unspecified). A selector of
 *   another OUI goes out as unspecified; unspecified comes back as selector 0.
 * - Optional MACs (interface_mac, previous_bssid) and elements (rsnxe) are empty on the
 *   wire when absent.
 *   An interface_mac of any other length is kept for the authenticator's Hello check to
 *   refuse; a previous_bssid that is not 6 octets names no BSS and is dropped.
 */
import type { AgentHello, BssAnnouncement, LinkCommand, LinkEvent, StationEntry } from '@airlock/link';
import { Cipher, type AgentMessage, type BssInfo, type ControllerMessage, type Hello, type StationEntry as WireStationEntry } from './gen/airlock/v1/agent_link.js';

/** The body of an AgentMessage. */
export type AgentBody = NonNullable<AgentMessage['body']>;
/** The body of a ControllerMessage. */
export type ControllerBody = NonNullable<ControllerMessage['body']>;

/** Absent optional bytes (never written to). */
const EMPTY = Buffer.alloc(0);
/** OUI 00-0F-AC of the IEEE 802.11 cipher suites, as the top 24 bits of a selector. */
const IEEE_OUI = 0x000fac;

/** The wire Cipher of a suite selector (unspecified for a selector outside 00-0F-AC). */
export function cipherToWire(selector: number): Cipher {
  return selector >>> 8 === IEEE_OUI ? (selector & 0xff) : Cipher.CIPHER_UNSPECIFIED;
}

/** The suite selector of a wire Cipher (0 for unspecified or a value no suite type has). */
export function cipherFromWire(c: Cipher): number {
  const type: number = c; // an open enum: any value may arrive
  return type > 0 && type <= 0xff ? ((IEEE_OUI << 8) | type) >>> 0 : 0;
}

// ---- events (agent -> authenticator) ----------------------------------------------

/** The AgentMessage body of an event. */
export function encodeEvent(e: LinkEvent): AgentBody {
  switch (e.type) {
    case 'associated':
      return { $case: 'stationAssociated', value: { bssid: e.bssid, sta: e.sta, rsne: e.rsne, reassociation: e.reassociation, previousBssid: e.previousBssid ?? EMPTY, rsnxe: e.rsnxe ?? EMPTY } };
    case 'disassociated':
      return { $case: 'stationDisassociated', value: { bssid: e.bssid, sta: e.sta, reason: e.reason, deauthentication: e.deauth, locallyGenerated: e.locallyGenerated } };
    case 'eapol':
      return { $case: 'eapolReceived', value: { bssid: e.bssid, sta: e.sta, frame: e.frame } };
    case 'authentication':
      return { $case: 'authenticationReceived', value: { bssid: e.bssid, sta: e.sta, algorithm: e.algorithm, transaction: e.transaction, status: e.status, body: e.body } };
    case 'group-key-sequence':
      return { $case: 'groupKeySequence', value: { bssid: e.bssid, keyId: e.keyId, txPn: e.txPn } };
    case 'counters':
      return { $case: 'stationCounters', value: { bssid: e.bssid, sta: e.sta, rxBytes: e.rxBytes, txBytes: e.txBytes, rxPackets: e.rxPackets, txPackets: e.txPackets } };
  }
}

/** The event an AgentMessage body carries; undefined for the bodies that are no event (Hello, TxStatus, CommandResult). */
export function decodeEvent(body: AgentBody): LinkEvent | undefined {
  switch (body.$case) {
    case 'stationAssociated': {
      const v = body.value;
      return {
        type: 'associated',
        bssid: v.bssid,
        sta: v.sta,
        rsne: v.rsne,
        reassociation: v.reassociation,
        previousBssid: v.previousBssid.length === 6 ? v.previousBssid : undefined,
        rsnxe: v.rsnxe.length > 0 ? v.rsnxe : undefined,
      };
    }
    case 'groupKeySequence':
      return { type: 'group-key-sequence', bssid: body.value.bssid, keyId: body.value.keyId, txPn: body.value.txPn };
    case 'authenticationReceived': {
      const v = body.value;
      return { type: 'authentication', bssid: v.bssid, sta: v.sta, algorithm: v.algorithm, transaction: v.transaction, status: v.status, body: v.body };
    }
    case 'stationDisassociated': {
      const v = body.value;
      return { type: 'disassociated', bssid: v.bssid, sta: v.sta, reason: v.reason, deauth: v.deauthentication, locallyGenerated: v.locallyGenerated };
    }
    case 'eapolReceived':
      return { type: 'eapol', bssid: body.value.bssid, sta: body.value.sta, frame: body.value.frame };
    case 'stationCounters': {
      const v = body.value;
      return { type: 'counters', bssid: v.bssid, sta: v.sta, rxBytes: v.rxBytes, txBytes: v.txBytes, rxPackets: v.rxPackets, txPackets: v.txPackets };
    }
    case 'hello':
    case 'txStatus':
    case 'commandResult':
      return undefined;
  }
}

// ---- commands (authenticator -> agent) --------------------------------------------

/**
 * The ControllerMessage body of a command. `wantTxStatus` (a transmit only): the agent
 * answers with TxStatus for this command's seq.
 */
export function encodeCommand(c: LinkCommand, wantTxStatus = false): ControllerBody {
  switch (c.type) {
    case 'transmit-eapol':
      return { $case: 'transmitEapol', value: { bssid: c.bssid, sta: c.sta, frame: c.frame, protected: c.protected, wantTxStatus } };
    case 'install-pairwise-key':
      return { $case: 'installPairwiseKey', value: { bssid: c.bssid, sta: c.sta, cipher: cipherToWire(c.cipher), keyId: c.keyId, key: c.key } };
    case 'install-group-key':
      return { $case: 'installGroupKey', value: { bssid: c.bssid, cipher: cipherToWire(c.cipher), keyId: c.keyId, key: c.key, setTx: c.setTx } };
    case 'remove-pairwise-key':
      return { $case: 'removePairwiseKey', value: { bssid: c.bssid, sta: c.sta } };
    case 'set-port':
      return { $case: 'setPortAuthorized', value: { bssid: c.bssid, sta: c.sta, authorized: c.authorized, vlanId: c.vlanId, sessionTimeoutS: c.sessionTimeoutS } };
    case 'disconnect':
      return { $case: 'disconnect', value: { bssid: c.bssid, sta: c.sta, reason: c.reason, deauthentication: c.deauth } };
    case 'transmit-authentication':
      return { $case: 'transmitAuthentication', value: { bssid: c.bssid, sta: c.sta, algorithm: c.algorithm, transaction: c.transaction, status: c.status, body: c.body } };
  }
}

/** The command a ControllerMessage body carries; undefined for Welcome. */
export function decodeCommand(body: ControllerBody): LinkCommand | undefined {
  switch (body.$case) {
    case 'transmitEapol': {
      const v = body.value;
      return { type: 'transmit-eapol', bssid: v.bssid, sta: v.sta, frame: v.frame, protected: v.protected };
    }
    case 'installPairwiseKey': {
      const v = body.value;
      return { type: 'install-pairwise-key', bssid: v.bssid, sta: v.sta, cipher: cipherFromWire(v.cipher), keyId: v.keyId, key: v.key };
    }
    case 'installGroupKey': {
      const v = body.value;
      return { type: 'install-group-key', bssid: v.bssid, cipher: cipherFromWire(v.cipher), keyId: v.keyId, key: v.key, setTx: v.setTx };
    }
    case 'removePairwiseKey':
      return { type: 'remove-pairwise-key', bssid: body.value.bssid, sta: body.value.sta };
    case 'setPortAuthorized': {
      const v = body.value;
      return { type: 'set-port', bssid: v.bssid, sta: v.sta, authorized: v.authorized, vlanId: v.vlanId, sessionTimeoutS: v.sessionTimeoutS };
    }
    case 'disconnect': {
      const v = body.value;
      return { type: 'disconnect', bssid: v.bssid, sta: v.sta, reason: v.reason, deauth: v.deauthentication };
    }
    case 'transmitAuthentication': {
      const v = body.value;
      return { type: 'transmit-authentication', bssid: v.bssid, sta: v.sta, algorithm: v.algorithm, transaction: v.transaction, status: v.status, body: v.body };
    }
    case 'welcome':
      return undefined;
  }
}

/** Whether the agent answers a command with CommandResult (key installs and port changes: their outcome matters). */
export function answersWithResult(c: LinkCommand): boolean {
  return c.type === 'install-pairwise-key' || c.type === 'install-group-key' || c.type === 'set-port';
}

// ---- Hello ------------------------------------------------------------------------

/** The Hello message of an agent's announcement. */
export function encodeHello(h: AgentHello): Hello {
  return { ...h, bsses: h.bsses.map(encodeBss), stations: h.stations.map(encodeStation) };
}

/** An agent's announcement in a Hello message. */
export function decodeHello(h: Hello): AgentHello {
  return { ...h, bsses: h.bsses.map(decodeBss), stations: h.stations.map(decodeStation) };
}

function encodeBss(b: BssAnnouncement): BssInfo {
  return { bssid: b.bssid, ssid: b.ssid, rsne: b.rsne, wired: b.wired, interfaceMac: b.interfaceMac ?? EMPTY, rsnxe: b.rsnxe ?? EMPTY, beaconProtection: b.beaconProtection ?? false };
}

function decodeBss(b: BssInfo): BssAnnouncement {
  return {
    bssid: b.bssid,
    ssid: b.ssid,
    rsne: b.rsne,
    wired: b.wired,
    interfaceMac: b.interfaceMac.length > 0 ? b.interfaceMac : undefined,
    rsnxe: b.rsnxe.length > 0 ? b.rsnxe : undefined,
    beaconProtection: b.beaconProtection,
  };
}

function encodeStation(s: StationEntry): WireStationEntry {
  return { ...s, rsnxe: s.rsnxe ?? EMPTY };
}

function decodeStation(s: WireStationEntry): StationEntry {
  return { ...s, rsnxe: s.rsnxe.length > 0 ? s.rsnxe : undefined };
}
