/**
 * What a verified Disconnect-Request or CoA-Request asks for (RFC 5176 §3, §3.2, §3.5,
 * §3.6), or the Error-Cause of the NAK it gets. Pure: no state, no I/O; never throws.
 *
 * RFC 5176 §2.3 makes every attribute mandatory: one this server cannot apply is refused,
 * never ignored. Checks, in order (the first that fails names the Error-Cause):
 *  1. 401 Unsupported Attribute: an attribute not in the lists below for the Code (so also
 *     an Error-Cause, Filter-Id, Reply-Message or a vendor attribute other than Cisco's).
 *  2. 404 Invalid Request: an attribute that may appear once appears twice.
 *  3. 407 Invalid Attribute Value: a malformed value (a NAS-IP-Address not of 4 octets, a
 *     Calling-Station-Id that is not a MAC address, an empty string, a Tunnel group that is
 *     not a VLAN of RFC 3580 §3.31, ...).
 *  4. 405 Unsupported Service: a Service-Type other than Authorize Only (17), or a Cisco
 *     subscriber command other than reauthenticate.
 *  5. Authorize Only (§3.2): 402 without a State; 404 with any other change beside it (the
 *     change would come from the Access-Request it triggers, and the answer is a NAK).
 *  6. 403 NAS Identification Mismatch: a NAS-Identifier, NAS-IP-Address or
 *     NAS-IPv6-Address that is not this NAS's.
 *  7. 402 Missing Attribute: no session identification (User-Name, Calling-Station-Id,
 *     Acct-Session-Id, Acct-Multi-Session-Id, Chargeable-User-Identity, Cisco
 *     audit-session-id; a Called-Station-Id alone names a BSS, not a session), or a
 *     CoA-Request that changes nothing.
 * hostapd's radius_das.c checks 401, then 407, then asks its owner (403, 503, 508).
 *
 * Accepted in both: User-Name, NAS-IP-Address, NAS-IPv6-Address, NAS-Identifier,
 * Called-Station-Id, Calling-Station-Id, Acct-Session-Id, Acct-Multi-Session-Id,
 * Chargeable-User-Identity, State (echoed, never interpreted: §3.3), Proxy-State (echoed:
 * §3.1), Event-Timestamp, Message-Authenticator, Cisco-AVPair "audit-session-id=..." (a
 * session identifier: §3.6 Note 7). Disconnect-Request also: Acct-Terminate-Cause (passed
 * on for the Accounting-Stop). CoA-Request also: Session-Timeout, Tunnel-Type,
 * Tunnel-Medium-Type, Tunnel-Private-Group-ID (a VLAN), Service-Type = Authorize Only,
 * Cisco-AVPair "subscriber:command=reauthenticate" and "subscriber:reauthenticate-type=".
 */
import { Attr } from '../codec/constants.js';
import type { RadiusAttribute } from '../codec/packet.js';
import { tunnelVlan } from '../codec/tunnel.js';
import { decodeVendorSpecific } from '../codec/vendor.js';
import { CISCO_AVPAIR, DasAttr, DasCode, ErrorCause, SERVICE_TYPE_AUTHORIZE_ONLY, VENDOR_CISCO, type ErrorCauseValue } from './das-constants.js';
import { formatIpAddress } from './ip-address.js';
import { decodeMacText, parseCalledStationId, type CalledStationId } from './station-id.js';

/** The session identification attributes of a request (RFC 5176 §3): which session(s) it is about. */
export interface DasSessionIdentification {
  /** User-Name (UTF-8). */
  userName?: string;
  /** Calling-Station-Id as the station's MAC address, 6 octets (any accepted text form). */
  station?: Buffer;
  /** Calling-Station-Id as received. */
  callingStationId?: string;
  /** Called-Station-Id: the text, and the BSSID and SSID when it has the RFC 3580 form. */
  calledStationId?: CalledStationId;
  /** Acct-Session-Id (RFC 2866 §5.5). */
  acctSessionId?: string;
  /** Acct-Multi-Session-Id (RFC 2866 §5.11). */
  acctMultiSessionId?: string;
  /** Chargeable-User-Identity (RFC 4372), as octets. */
  chargeableUserIdentity?: Buffer;
  /** Cisco-AVPair "audit-session-id=..." (ISE names sessions with it). */
  ciscoAuditSessionId?: string;
}

/** The NAS identification attributes of a request, as received (all already checked to be this NAS's). */
export interface DasNasIdentification {
  /** NAS-Identifier. */
  identifier?: string;
  /** NAS-IP-Address, dotted quad. */
  ipv4?: string;
  /** NAS-IPv6-Address, canonical text. */
  ipv6?: string;
}

/**
 * A reauthentication asked for in a CoA-Request:
 * - 'authorize-only': Service-Type = Authorize Only with a State (RFC 5176 §3.2). The NAS
 *   sends an Access-Request with Service-Type = Authorize Only and this State; its CoA
 *   answer is a CoA-NAK with Error-Cause 507 (Request Initiated), never a CoA-ACK, which the
 *   server sends when the owner acks.
 * - 'cisco': Cisco-AVPair "subscriber:command=reauthenticate" (ISE, PacketFence): the NAS
 *   reauthenticates the session (for 802.1X: restarts EAP) and answers CoA-ACK.
 *   `type` is "subscriber:reauthenticate-type": 'last' (the last method) or 'rerun'.
 */
export type DasReauthentication =
  | { signal: 'authorize-only'; state: Buffer }
  | { signal: 'cisco'; type?: 'last' | 'rerun' };

/** The authorization changes of a CoA-Request: all of them are made, or none (RFC 5176 §2.3). */
export interface DasAuthorizationChanges {
  /** Session-Timeout in seconds (RFC 2865 §5.27). */
  sessionTimeout?: number;
  /** VLAN ID from Tunnel-Type = VLAN, Tunnel-Medium-Type = 802, Tunnel-Private-Group-ID (RFC 3580 §3.31; RFC 2868 tags). */
  vlan?: number;
  /** A reauthentication. */
  reauthenticate?: DasReauthentication;
}

/** A request understood: what it identifies and what it asks. */
export interface DasRequestContent {
  kind: 'disconnect' | 'coa';
  session: DasSessionIdentification;
  nas: DasNasIdentification;
  /** CoA-Request only. */
  changes?: DasAuthorizationChanges;
  /** Disconnect-Request only: Acct-Terminate-Cause the client asks the NAS to report (RFC 2866 §5.10). */
  acctTerminateCause?: number;
}

/** Why a request is NAKed: the Error-Cause and, for logs, what in it. */
export interface DasRefusal {
  errorCause: ErrorCauseValue;
  detail: string;
}

/** Who this NAS is (RFC 5176 §3: a request naming another NAS gets 403). */
export interface DasNasMatcher {
  /** NAS-Identifier values that name this NAS. */
  identifiers: ReadonlySet<string>;
  /** Canonical text (formatIpAddress) of the addresses that name this NAS (NAS-IP-Address and NAS-IPv6-Address). */
  addresses: ReadonlySet<string>;
}

const COMMON: readonly number[] = [
  Attr.UserName,
  Attr.NasIpAddress,
  Attr.State,
  Attr.CalledStationId,
  Attr.CallingStationId,
  Attr.NasIdentifier,
  DasAttr.ProxyState,
  Attr.AcctSessionId,
  Attr.AcctMultiSessionId,
  DasAttr.EventTimestamp,
  Attr.MessageAuthenticator,
  DasAttr.ChargeableUserIdentity,
  DasAttr.NasIpv6Address,
  Attr.VendorSpecific,
];
const DISCONNECT_ONLY: readonly number[] = [Attr.AcctTerminateCause];
const COA_ONLY: readonly number[] = [Attr.ServiceType, Attr.SessionTimeout, Attr.TunnelType, Attr.TunnelMediumType, Attr.TunnelPrivateGroupId];
const ALLOWED_DISCONNECT = new Set([...COMMON, ...DISCONNECT_ONLY]);
const ALLOWED_COA = new Set([...COMMON, ...COA_ONLY]);
/** Attributes that may appear more than once: opaque echoes, vendor attributes, tagged tunnel groups. */
const REPEATABLE = new Set<number>([DasAttr.ProxyState, Attr.VendorSpecific, Attr.TunnelType, Attr.TunnelMediumType, Attr.TunnelPrivateGroupId]);

const NAMES: ReadonlyMap<number, string> = new Map([
  [Attr.UserName, 'User-Name'],
  [Attr.NasIpAddress, 'NAS-IP-Address'],
  [Attr.ServiceType, 'Service-Type'],
  [Attr.ReplyMessage, 'Reply-Message'],
  [Attr.State, 'State'],
  [Attr.Class, 'Class'],
  [Attr.VendorSpecific, 'Vendor-Specific'],
  [Attr.SessionTimeout, 'Session-Timeout'],
  [Attr.CalledStationId, 'Called-Station-Id'],
  [Attr.CallingStationId, 'Calling-Station-Id'],
  [Attr.NasIdentifier, 'NAS-Identifier'],
  [Attr.AcctSessionId, 'Acct-Session-Id'],
  [Attr.AcctTerminateCause, 'Acct-Terminate-Cause'],
  [Attr.AcctMultiSessionId, 'Acct-Multi-Session-Id'],
  [Attr.TunnelType, 'Tunnel-Type'],
  [Attr.TunnelMediumType, 'Tunnel-Medium-Type'],
  [Attr.TunnelPrivateGroupId, 'Tunnel-Private-Group-ID'],
  [DasAttr.FilterId, 'Filter-Id'],
  [DasAttr.ProxyState, 'Proxy-State'],
  [DasAttr.EventTimestamp, 'Event-Timestamp'],
  [DasAttr.ChargeableUserIdentity, 'Chargeable-User-Identity'],
  [DasAttr.NasIpv6Address, 'NAS-IPv6-Address'],
  [DasAttr.ErrorCause, 'Error-Cause'],
]);

/** The dictionary name of attribute `type` with its number ("Filter-Id (11)"). */
export function attributeName(type: number): string {
  const name = NAMES.get(type);
  return name === undefined ? `attribute ${type}` : `${name} (${type})`;
}

function refuse(errorCause: ErrorCauseValue, detail: string): { ok: false; error: DasRefusal } {
  return { ok: false, error: { errorCause, detail } };
}

/** A Cisco-AVPair split at its first '=' (name lower-cased); undefined when it has none. */
function ciscoPair(value: Buffer): { name: string; value: string } | undefined {
  const text = value.toString('utf8');
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  return { name: text.slice(0, eq).trim().toLowerCase(), value: text.slice(eq + 1).trim() };
}

/** What the Cisco-AVPairs of a request say. */
interface CiscoPairs {
  auditSessionId?: string;
  reauthenticate: boolean;
  reauthType?: 'last' | 'rerun';
}

/** Reads the Vendor-Specific attributes: only Cisco-AVPairs of the forms in the file header. */
function readVendorAttributes(attrs: readonly RadiusAttribute[], coa: boolean): { ok: true; value: CiscoPairs } | { ok: false; error: DasRefusal } {
  const out: CiscoPairs = { reauthenticate: false };
  for (const a of attrs) {
    if (a.type !== Attr.VendorSpecific) continue;
    const subs = decodeVendorSpecific(a.value);
    if (!subs.ok) return refuse(ErrorCause.InvalidAttributeValue, `malformed Vendor-Specific: ${subs.error.detail}`);
    for (const s of subs.value) {
      if (s.vendorId !== VENDOR_CISCO || s.vendorType !== CISCO_AVPAIR) {
        return refuse(ErrorCause.UnsupportedAttribute, `vendor ${s.vendorId} attribute ${s.vendorType}`);
      }
      const pair = ciscoPair(s.value);
      if (pair === undefined) return refuse(ErrorCause.InvalidAttributeValue, 'Cisco-AVPair without "name=value"');
      switch (pair.name) {
        case 'audit-session-id':
          if (pair.value === '') return refuse(ErrorCause.InvalidAttributeValue, 'empty Cisco audit-session-id');
          if (out.auditSessionId !== undefined) return refuse(ErrorCause.InvalidRequest, 'Cisco audit-session-id appears twice');
          out.auditSessionId = pair.value;
          break;
        case 'subscriber:command':
          if (!coa) return refuse(ErrorCause.UnsupportedAttribute, 'Cisco subscriber:command in a Disconnect-Request');
          if (pair.value.toLowerCase() !== 'reauthenticate') return refuse(ErrorCause.UnsupportedService, `Cisco subscriber:command=${pair.value.slice(0, 64)}`);
          out.reauthenticate = true;
          break;
        case 'subscriber:reauthenticate-type': {
          if (!coa) return refuse(ErrorCause.UnsupportedAttribute, 'Cisco subscriber:reauthenticate-type in a Disconnect-Request');
          const t = pair.value.toLowerCase();
          if (t !== 'last' && t !== 'rerun') return refuse(ErrorCause.InvalidAttributeValue, `Cisco subscriber:reauthenticate-type=${pair.value.slice(0, 64)}`);
          out.reauthType = t;
          break;
        }
        default:
          return refuse(ErrorCause.UnsupportedAttribute, `Cisco-AVPair ${pair.name.slice(0, 64)}`);
      }
    }
  }
  if (out.reauthType !== undefined && !out.reauthenticate) return refuse(ErrorCause.MissingAttribute, 'Cisco subscriber:reauthenticate-type without subscriber:command=reauthenticate');
  return { ok: true, value: out };
}

/** A text attribute's value as UTF-8 (empty ones were refused before: RFC 2865 §5 text is at least one octet). */
function text(a: RadiusAttribute | undefined): string | undefined {
  return a === undefined ? undefined : a.value.toString('utf8');
}

/**
 * Reads a verified Disconnect-Request (`code` 40) or CoA-Request (43): the request it makes,
 * or the Error-Cause to NAK it with (checks and their order in the file header). Values
 * returned are copies: they outlive the datagram.
 */
export function interpretDasRequest(code: number, attrs: readonly RadiusAttribute[], nas: DasNasMatcher): { ok: true; value: DasRequestContent } | { ok: false; error: DasRefusal } {
  const coa = code === DasCode.CoaRequest;
  const allowed = coa ? ALLOWED_COA : ALLOWED_DISCONNECT;
  // 1, 2: every attribute is one this server applies, the single ones once.
  const single = new Map<number, RadiusAttribute>();
  for (const a of attrs) {
    if (!allowed.has(a.type)) {
      return refuse(ErrorCause.UnsupportedAttribute, `${attributeName(a.type)} in a ${coa ? 'CoA' : 'Disconnect'}-Request`);
    }
    if (REPEATABLE.has(a.type)) continue;
    if (single.has(a.type)) return refuse(ErrorCause.InvalidRequest, `${attributeName(a.type)} appears more than once`);
    single.set(a.type, a);
  }
  const vendor = readVendorAttributes(attrs, coa);
  if (!vendor.ok) return vendor;

  // 3: values.
  for (const type of [Attr.UserName, Attr.CalledStationId, Attr.NasIdentifier, Attr.AcctSessionId, Attr.AcctMultiSessionId, DasAttr.ChargeableUserIdentity, Attr.State]) {
    const a = single.get(type);
    if (a !== undefined && a.value.length === 0) return refuse(ErrorCause.InvalidAttributeValue, `empty ${attributeName(type)}`);
  }
  const session: DasSessionIdentification = {};
  const userName = text(single.get(Attr.UserName));
  if (userName !== undefined) session.userName = userName;
  const calling = single.get(Attr.CallingStationId);
  if (calling !== undefined) {
    const mac = decodeMacText(calling.value);
    if (!mac.ok) return refuse(ErrorCause.InvalidAttributeValue, `Calling-Station-Id is not a MAC address (${mac.error.detail})`);
    session.station = mac.value;
    session.callingStationId = calling.value.toString('utf8');
  }
  const called = single.get(Attr.CalledStationId);
  if (called !== undefined) session.calledStationId = parseCalledStationId(Buffer.from(called.value));
  const acctSessionId = text(single.get(Attr.AcctSessionId));
  if (acctSessionId !== undefined) session.acctSessionId = acctSessionId;
  const acctMultiSessionId = text(single.get(Attr.AcctMultiSessionId));
  if (acctMultiSessionId !== undefined) session.acctMultiSessionId = acctMultiSessionId;
  const cui = single.get(DasAttr.ChargeableUserIdentity);
  if (cui !== undefined) session.chargeableUserIdentity = Buffer.from(cui.value);
  if (vendor.value.auditSessionId !== undefined) session.ciscoAuditSessionId = vendor.value.auditSessionId;

  const nasIds: DasNasIdentification = {};
  const nasIdentifier = text(single.get(Attr.NasIdentifier));
  if (nasIdentifier !== undefined) nasIds.identifier = nasIdentifier;
  const nasIp = single.get(Attr.NasIpAddress);
  if (nasIp !== undefined) {
    if (nasIp.value.length !== 4) return refuse(ErrorCause.InvalidAttributeValue, `NAS-IP-Address of ${nasIp.value.length} octets`);
    nasIds.ipv4 = formatIpAddress(nasIp.value);
  }
  const nasIpv6 = single.get(DasAttr.NasIpv6Address);
  if (nasIpv6 !== undefined) {
    if (nasIpv6.value.length !== 16) return refuse(ErrorCause.InvalidAttributeValue, `NAS-IPv6-Address of ${nasIpv6.value.length} octets`);
    nasIds.ipv6 = formatIpAddress(nasIpv6.value);
  }
  const content: DasRequestContent = { kind: coa ? 'coa' : 'disconnect', session, nas: nasIds };

  const terminate = single.get(Attr.AcctTerminateCause);
  if (terminate !== undefined) {
    if (terminate.value.length !== 4) return refuse(ErrorCause.InvalidAttributeValue, `Acct-Terminate-Cause of ${terminate.value.length} octets`);
    content.acctTerminateCause = terminate.value.readUInt32BE(0);
  }

  if (coa) {
    const changes: DasAuthorizationChanges = {};
    const timeout = single.get(Attr.SessionTimeout);
    if (timeout !== undefined) {
      if (timeout.value.length !== 4) return refuse(ErrorCause.InvalidAttributeValue, `Session-Timeout of ${timeout.value.length} octets`);
      changes.sessionTimeout = timeout.value.readUInt32BE(0);
    }
    if (attrs.some((a) => a.type === Attr.TunnelType || a.type === Attr.TunnelMediumType || a.type === Attr.TunnelPrivateGroupId)) {
      const vlan = tunnelVlan(attrs);
      if (vlan === undefined) return refuse(ErrorCause.InvalidAttributeValue, 'Tunnel attributes that do not assign a VLAN (Tunnel-Type VLAN, Tunnel-Medium-Type 802, Tunnel-Private-Group-ID 1..4094)');
      changes.vlan = vlan;
    }
    // 4: services.
    const serviceType = single.get(Attr.ServiceType);
    let authorizeOnly = false;
    if (serviceType !== undefined) {
      if (serviceType.value.length !== 4) return refuse(ErrorCause.InvalidAttributeValue, `Service-Type of ${serviceType.value.length} octets`);
      const st = serviceType.value.readUInt32BE(0);
      if (st !== SERVICE_TYPE_AUTHORIZE_ONLY) return refuse(ErrorCause.UnsupportedService, `Service-Type ${st}`);
      authorizeOnly = true;
    }
    // 5: Authorize Only (RFC 5176 §3.2).
    if (authorizeOnly) {
      const state = single.get(Attr.State);
      if (state === undefined) return refuse(ErrorCause.MissingAttribute, 'Service-Type Authorize Only without a State');
      if (changes.sessionTimeout !== undefined || changes.vlan !== undefined || vendor.value.reauthenticate) {
        return refuse(ErrorCause.InvalidRequest, 'Service-Type Authorize Only with other authorization changes');
      }
      changes.reauthenticate = { signal: 'authorize-only', state: Buffer.from(state.value) };
    } else if (vendor.value.reauthenticate) {
      changes.reauthenticate = vendor.value.reauthType === undefined ? { signal: 'cisco' } : { signal: 'cisco', type: vendor.value.reauthType };
    }
    content.changes = changes;
  }

  // 6: this NAS.
  if (nasIds.identifier !== undefined && !nas.identifiers.has(nasIds.identifier)) {
    return refuse(ErrorCause.NasIdentificationMismatch, `NAS-Identifier ${JSON.stringify(nasIds.identifier.slice(0, 64))} is not this NAS`);
  }
  for (const addr of [nasIds.ipv4, nasIds.ipv6]) {
    if (addr !== undefined && !nas.addresses.has(addr)) return refuse(ErrorCause.NasIdentificationMismatch, `NAS address ${addr} is not this NAS`);
  }

  // 7: something to act on.
  const s = session;
  if (s.userName === undefined && s.station === undefined && s.acctSessionId === undefined && s.acctMultiSessionId === undefined && s.chargeableUserIdentity === undefined && s.ciscoAuditSessionId === undefined) {
    return refuse(ErrorCause.MissingAttribute, 'no session identification attribute (User-Name, Calling-Station-Id, Acct-Session-Id, Acct-Multi-Session-Id, Chargeable-User-Identity)');
  }
  const c = content.changes;
  if (c !== undefined && c.sessionTimeout === undefined && c.vlan === undefined && c.reauthenticate === undefined) {
    return refuse(ErrorCause.MissingAttribute, 'a CoA-Request with no authorization change (Session-Timeout, VLAN, reauthentication)');
  }
  return { ok: true, value: content };
}
