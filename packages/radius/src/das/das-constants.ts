/**
 * Numbers of RADIUS Dynamic Authorization (RFC 5176): the packet Codes of Disconnect and
 * CoA (§2.1, §2.2), the Error-Cause attribute and its values (§3.5), the attributes a
 * Dynamic Authorization Server reads beyond those of ../codec/constants.ts (RFC 2865 §5.33
 * Proxy-State, RFC 4372 Chargeable-User-Identity, RFC 3162 NAS-IPv6-Address), the
 * "Authorize Only" Service-Type (§3.2) and the Cisco AV-pair vendor attribute that
 * PacketFence and ISE use to ask for a reauthentication.
 */
import { RadiusCode } from '../codec/constants.js';

/** Packet Codes of Dynamic Authorization (RFC 5176 §2.1, §2.2). */
export const DasCode = {
  DisconnectRequest: RadiusCode.DisconnectRequest,
  DisconnectAck: RadiusCode.DisconnectAck,
  DisconnectNak: RadiusCode.DisconnectNak,
  CoaRequest: RadiusCode.CoaRequest,
  CoaAck: RadiusCode.CoaAck,
  CoaNak: RadiusCode.CoaNak,
} as const;

/** Attribute Types a Dynamic Authorization Server reads or writes (with ../codec's Attr). */
export const DasAttr = {
  /** RFC 2865 §5.11 (CoA: a change this server does not make). */
  FilterId: 11,
  /** RFC 2865 §5.33: opaque, echoed in the response in order (RFC 5176 §3.1). */
  ProxyState: 33,
  /** RFC 2869 §5.3: seconds since 1970-01-01 UTC (RFC 5176 §3.6, §6.3 replay protection). */
  EventTimestamp: 55,
  /** RFC 4372. */
  ChargeableUserIdentity: 89,
  /** RFC 3162 §2.1: 16 octets. */
  NasIpv6Address: 95,
  /** RFC 5176 §3.5: a 4-octet integer. */
  ErrorCause: 101,
} as const;

/** Service-Type "Authorize Only" (RFC 5176 §3.2; RFC 3575 IANA value 17). */
export const SERVICE_TYPE_AUTHORIZE_ONLY = 17;

/** SMI Private Enterprise Code of Cisco, whose vendor type 1 is the "Cisco-AVPair" text. */
export const VENDOR_CISCO = 9;
/** Cisco vendor type of "Cisco-AVPair" ("name=value" text). */
export const CISCO_AVPAIR = 1;

/** Error-Cause values (RFC 5176 §3.5). 2xx: success (ACK only); 4xx: the client's fault; 5xx: this server's. */
export const ErrorCause = {
  /** Disconnect-ACK only: the session is gone and so is what remained of it. */
  ResidualSessionContextRemoved: 201,
  /** Never sent by implementations of RFC 5176. */
  InvalidEapPacket: 202,
  UnsupportedAttribute: 401,
  MissingAttribute: 402,
  NasIdentificationMismatch: 403,
  InvalidRequest: 404,
  UnsupportedService: 405,
  UnsupportedExtension: 406,
  InvalidAttributeValue: 407,
  AdministrativelyProhibited: 501,
  /** Sent by a proxy, never by a NAS. */
  RequestNotRoutable: 502,
  SessionContextNotFound: 503,
  /** Disconnect-NAK only. */
  SessionContextNotRemovable: 504,
  OtherProxyProcessingError: 505,
  ResourcesUnavailable: 506,
  /** CoA-NAK to an "Authorize Only" CoA-Request whose Access-Request the NAS will send (§3.2). */
  RequestInitiated: 507,
  MultipleSessionSelectionUnsupported: 508,
} as const;

/** One of the Error-Cause values of RFC 5176 §3.5. */
export type ErrorCauseValue = (typeof ErrorCause)[keyof typeof ErrorCause];

const ERROR_CAUSE_NAMES: ReadonlyMap<number, string> = new Map([
  [201, 'Residual Session Context Removed'],
  [202, 'Invalid EAP Packet (Ignored)'],
  [401, 'Unsupported Attribute'],
  [402, 'Missing Attribute'],
  [403, 'NAS Identification Mismatch'],
  [404, 'Invalid Request'],
  [405, 'Unsupported Service'],
  [406, 'Unsupported Extension'],
  [407, 'Invalid Attribute Value'],
  [501, 'Administratively Prohibited'],
  [502, 'Request Not Routable (Proxy)'],
  [503, 'Session Context Not Found'],
  [504, 'Session Context Not Removable'],
  [505, 'Other Proxy Processing Error'],
  [506, 'Resources Unavailable'],
  [507, 'Request Initiated'],
  [508, 'Multiple Session Selection Unsupported'],
]);

/** The name RFC 5176 §3.5 gives an Error-Cause value ('Error-Cause N' for others). */
export function errorCauseName(value: number): string {
  return ERROR_CAUSE_NAMES.get(value) ?? `Error-Cause ${value}`;
}
