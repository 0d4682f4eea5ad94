/**
 * The RADIUS attributes an authenticator sends and reads, as hostapd does
 * (src/ap/ieee802_1x.c, accounting.c): RFC 2865, 2866, 3579, 3580 (IEEE 802.1X usage),
 * 2548 (MS-MPPE keys), 2868 (tunnel attributes), 7268 (WLAN attributes). Pure functions;
 * the glue (service.ts) sends and receives.
 */
import {
  Attr,
  attrInt,
  attrIpv4,
  attrString,
  getAttribute,
  getAttributes,
  joinEapMessage,
  RadiusCode,
  readInt,
  splitEapMessage,
  tunnelVlan,
  wlanSuiteValue,
  type RadiusAttribute,
} from '@airlock/radius';
import { macUserName, type Effect, type RadiusOutcome } from '@airlock/rsn';

/** NAS identity attributes from the configuration. */
export interface NasIdentity {
  identifier: string;
  ipAddress: string;
}

/** Traffic counters of a station (from StationCounters). */
export interface StationTraffic {
  rxBytes: bigint;
  txBytes: bigint;
  rxPackets: bigint;
  txPackets: bigint;
}

type RadiusRequestEffect = Extract<Effect, { type: 'radius-request' }>;
type AccountingEffect = Extract<Effect, { type: 'accounting' }>;

/** RFC 3580 §3.20/3.21 station ids: "AA-BB-CC-DD-EE-FF" (and ":SSID" for Called-Station-Id). */
export function stationId(mac: Buffer): string {
  let out = HEX_UPPER[mac[0]];
  for (let i = 1; i < mac.length; i++) out += `-${HEX_UPPER[mac[i]]}`;
  return out;
}

const HEX_UPPER: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0').toUpperCase());

const NAS_PORT_TYPE_WIRELESS_80211 = 19;
const SERVICE_TYPE_FRAMED = 2;
const FRAMED_MTU = 1400; // hostapd's default: an EAP-TLS record must fit the 802.11 MTU

function common(nas: NasIdentity, bssid: Buffer, ssid: Buffer, sta: Buffer, userName: string): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  if (userName.length > 0) out.push({ type: Attr.UserName, value: Buffer.from(userName, 'utf8').subarray(0, 253) });
  out.push({ type: Attr.NasIdentifier, value: attrString(nas.identifier) });
  if (nas.ipAddress !== '') out.push({ type: Attr.NasIpAddress, value: attrIpv4(nas.ipAddress) });
  out.push({ type: Attr.NasPortType, value: attrInt(NAS_PORT_TYPE_WIRELESS_80211) });
  out.push({ type: Attr.CalledStationId, value: Buffer.concat([Buffer.from(`${stationId(bssid)}:`), ssid]) });
  out.push({ type: Attr.CallingStationId, value: attrString(stationId(sta)) });
  return out;
}

function wlanSuites(akm: number, pairwise: number, group: number): RadiusAttribute[] {
  return [
    { type: Attr.WlanPairwiseCipher, value: wlanSuiteValue(pairwise) },
    { type: Attr.WlanGroupCipher, value: wlanSuiteValue(group) },
    { type: Attr.WlanAkmSuite, value: wlanSuiteValue(akm) },
  ];
}

// An EAP-TLS join is about eight Access-Requests of one station, and all but the EAP-Message
// and State attributes are the same in each: they are built once and shared (RADIUS
// attribute building was the largest allocator per join). Shared values are never changed:
// the client copies them into each packet. Keyed weakly by the objects the core hands out
// (the NAS identity of a configuration, a BSS's BSSID buffer, a station's MAC buffer), so
// nothing outlives its BSS or station.

/** NAS-Identifier, NAS-IP-Address, NAS-Port-Type (first), then Service-Type, Framed-MTU, Connect-Info (after the station ids). */
const nasAttributes = new WeakMap<NasIdentity, { first: RadiusAttribute[]; after: RadiusAttribute[] }>();
/** Called-Station-Id of a BSS, for the SSID it was built for. */
const calledStation = new WeakMap<Buffer, { ssid: Buffer; attr: RadiusAttribute }>();
/** A station's Calling-Station-Id, and its last User-Name and Acct-Session-Id. */
const stationAttributes = new WeakMap<Buffer, { calling: RadiusAttribute; identity: string; userName: RadiusAttribute | undefined; acctSessionId: string; acct: RadiusAttribute }>();
/** RFC 7268 WLAN-*-Cipher / WLAN-AKM-Suite attributes by type and suite (a handful: the configured ciphers and AKMs). */
const suiteAttributes = new Map<number, RadiusAttribute>();
const MAX_SUITE_ATTRIBUTES = 64;

function nasParts(nas: NasIdentity): { first: RadiusAttribute[]; after: RadiusAttribute[] } {
  let parts = nasAttributes.get(nas);
  if (parts !== undefined) return parts;
  const first: RadiusAttribute[] = [{ type: Attr.NasIdentifier, value: attrString(nas.identifier) }];
  if (nas.ipAddress !== '') first.push({ type: Attr.NasIpAddress, value: attrIpv4(nas.ipAddress) });
  first.push({ type: Attr.NasPortType, value: attrInt(NAS_PORT_TYPE_WIRELESS_80211) });
  const after: RadiusAttribute[] = [
    { type: Attr.ServiceType, value: attrInt(SERVICE_TYPE_FRAMED) },
    { type: Attr.FramedMtu, value: attrInt(FRAMED_MTU) },
    { type: Attr.ConnectInfo, value: attrString('CONNECT IEEE 802.11 RSN') },
  ];
  parts = { first, after };
  nasAttributes.set(nas, parts);
  return parts;
}

function calledStationId(bssid: Buffer, ssid: Buffer): RadiusAttribute {
  const cached = calledStation.get(bssid);
  if (cached !== undefined && cached.ssid.equals(ssid)) return cached.attr;
  const attr = { type: Attr.CalledStationId, value: Buffer.concat([Buffer.from(`${stationId(bssid)}:`), ssid]) };
  calledStation.set(bssid, { ssid: Buffer.from(ssid), attr });
  return attr;
}

function suite(type: number, value: number): RadiusAttribute {
  const key = type * 0x1_0000_0000 + (value >>> 0);
  let attr = suiteAttributes.get(key);
  if (attr === undefined) {
    attr = { type, value: wlanSuiteValue(value) };
    if (suiteAttributes.size < MAX_SUITE_ATTRIBUTES) suiteAttributes.set(key, attr);
  }
  return attr;
}

/** The attributes of an Access-Request carrying one EAP-Response (Message-Authenticator is added by the codec). */
export function accessRequestAttributes(e: RadiusRequestEffect, nas: NasIdentity): RadiusAttribute[] {
  let st = stationAttributes.get(e.sta);
  if (st === undefined || st.identity !== e.identity || st.acctSessionId !== e.acctSessionId) {
    st = {
      calling: st?.calling ?? { type: Attr.CallingStationId, value: attrString(stationId(e.sta)) },
      identity: e.identity,
      userName: e.identity.length > 0 ? { type: Attr.UserName, value: Buffer.from(e.identity, 'utf8').subarray(0, 253) } : undefined,
      acctSessionId: e.acctSessionId,
      acct: { type: Attr.AcctSessionId, value: attrString(e.acctSessionId) },
    };
    stationAttributes.set(e.sta, st);
  }
  const n = nasParts(nas);
  const out: RadiusAttribute[] = [];
  if (st.userName !== undefined) out.push(st.userName);
  for (const a of n.first) out.push(a);
  out.push(calledStationId(e.bssid, e.ssid), st.calling);
  for (const a of n.after) out.push(a);
  out.push(st.acct, suite(Attr.WlanPairwiseCipher, e.pairwiseCipher), suite(Attr.WlanGroupCipher, e.groupCipher), suite(Attr.WlanAkmSuite, e.akm));
  for (const a of splitEapMessage(e.eap)) out.push(a);
  if (e.state !== undefined) out.push({ type: Attr.State, value: e.state });
  return out;
}

type PskRequestEffect = Extract<Effect, { type: 'psk-request' }>;

const SERVICE_TYPE_CALL_CHECK = 10;

/**
 * The attributes of a MAC-authentication Access-Request for a station's PSK (hostapd's
 * RADIUS MAC ACL query, used by wpa_psk_radius): User-Name and User-Password (hidden by the
 * client) are the MAC as 12 lower-case hex digits; Service-Type Call-Check (RFC 2865 §5.6:
 * the NAS asks whether to take the call), as controllers send for MAC authentication.
 */
export function pskLookupAttributes(e: PskRequestEffect, nas: NasIdentity): RadiusAttribute[] {
  const n = nasParts(nas);
  const out: RadiusAttribute[] = [{ type: Attr.UserName, value: attrString(macUserName(e.sta)) }];
  for (const a of n.first) out.push(a);
  out.push(calledStationId(e.bssid, e.ssid), { type: Attr.CallingStationId, value: attrString(stationId(e.sta)) });
  out.push({ type: Attr.ServiceType, value: attrInt(SERVICE_TYPE_CALL_CHECK) });
  out.push({ type: Attr.ConnectInfo, value: attrString('CONNECT IEEE 802.11 RSN') });
  out.push({ type: Attr.AcctSessionId, value: attrString(e.acctSessionId) });
  out.push(suite(Attr.WlanPairwiseCipher, e.pairwiseCipher), suite(Attr.WlanGroupCipher, e.groupCipher), suite(Attr.WlanAkmSuite, e.akm));
  return out;
}

/** RFC 2866 Acct-Status-Type values. */
export const AcctStatus = { Start: 1, Stop: 2, InterimUpdate: 3 } as const;

/** The attributes of an Accounting-Request (Start, Interim-Update or Stop). */
export function accountingAttributes(
  e: AccountingEffect,
  status: number,
  nas: NasIdentity,
  traffic: StationTraffic | undefined,
  sessionTimeS: number,
  nowUnixS: number,
): RadiusAttribute[] {
  const out = common(nas, e.bssid, e.ssid, e.sta, e.identity);
  out.push({ type: Attr.AcctStatusType, value: attrInt(status) });
  out.push({ type: Attr.AcctSessionId, value: attrString(e.acctSessionId) });
  out.push({ type: Attr.AcctMultiSessionId, value: attrString(e.acctMultiSessionId) });
  // Acct-Authentic: 1 = RADIUS (802.1X, a PSK from RADIUS), 2 = Local (a PSK or SAE password of the configuration).
  out.push({ type: Attr.AcctAuthentic, value: attrInt(e.authentic === 'radius' ? 1 : 2) });
  out.push({ type: Attr.AcctDelayTime, value: attrInt(0) });
  out.push({ type: Attr.EventTimestamp, value: attrInt(nowUnixS >>> 0) });
  for (const c of e.classes) out.push({ type: Attr.Class, value: c });
  out.push(...wlanSuites(e.akm, e.pairwiseCipher, e.groupCipher));
  if (status !== AcctStatus.Start) {
    out.push({ type: Attr.AcctSessionTime, value: attrInt(sessionTimeS >>> 0) });
    const t = traffic ?? { rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n };
    out.push({ type: Attr.AcctInputOctets, value: attrInt(Number(t.rxBytes & 0xffffffffn)) });
    out.push({ type: Attr.AcctInputGigawords, value: attrInt(Number((t.rxBytes >> 32n) & 0xffffffffn)) });
    out.push({ type: Attr.AcctOutputOctets, value: attrInt(Number(t.txBytes & 0xffffffffn)) });
    out.push({ type: Attr.AcctOutputGigawords, value: attrInt(Number((t.txBytes >> 32n) & 0xffffffffn)) });
    out.push({ type: Attr.AcctInputPackets, value: attrInt(Number(t.rxPackets & 0xffffffffn)) });
    out.push({ type: Attr.AcctOutputPackets, value: attrInt(Number(t.txPackets & 0xffffffffn)) });
  }
  if (status === AcctStatus.Stop) out.push({ type: Attr.AcctTerminateCause, value: attrInt(e.terminateCause) });
  return out;
}

/** What the core needs from a verified Access-Accept/Reject/Challenge. */
export function outcomeOf(code: number, attributes: RadiusAttribute[], mppe: { recv: Buffer; send: Buffer } | undefined): RadiusOutcome {
  const eap = joinEapMessage(attributes);
  const state = getAttribute(attributes, Attr.State);
  switch (code) {
    case RadiusCode.AccessChallenge:
      return { outcome: 'challenge', eap, state };
    case RadiusCode.AccessReject:
      return { outcome: 'reject', eap };
    case RadiusCode.AccessAccept: {
      const st = getAttribute(attributes, Attr.SessionTimeout);
      const ta = getAttribute(attributes, Attr.TerminationAction);
      const user = getAttribute(attributes, Attr.UserName);
      return {
        outcome: 'accept',
        eap,
        // RFC 2548 / RFC 3079: MSK = MS-MPPE-Recv-Key || MS-MPPE-Send-Key.
        msk: mppe ? Buffer.concat([mppe.recv, mppe.send]) : undefined,
        sessionTimeoutS: st ? readInt(st) : undefined,
        terminationAction: ta ? readInt(ta) : undefined,
        vlanId: tunnelVlan(attributes),
        classes: getAttributes(attributes, Attr.Class),
        userName: user?.toString('utf8'),
      };
    }
    default:
      return { outcome: 'timeout' };
  }
}
