/**
 * IEEE 802.11-2020 management frames as an AP's MLME sends and receives them: the MAC
 * header (§9.3.3.2), Beacon and Probe Response (§9.3.3.3, §9.3.3.11), Authentication
 * (§9.3.3.12), (Re)Association Request and Response (§9.3.3.6-9), Deauthentication and
 * Disassociation (§9.3.3.5, §9.3.3.13), SA Query Action frames (§9.6.9), the element list
 * (§9.4.2), and the few elements an AP with SAE and PMF writes itself: Timeout Interval
 * (§9.4.2.49), Extended Capabilities (§9.4.2.26) and the RSN Extension element (§9.4.2.241).
 *
 * Decoders never throw: a frame or element list cut short is a named error. Element lists
 * keep every element as a view of the frame, so the RSNE of an Association Request goes up
 * to the authenticator byte for byte.
 */
import { asBuffer, fail, ok, type Result } from '@airlock/rsn';

/** Management frame subtypes (§9.2.4.1.3 Table 9-1), as the frame control's first octet. */
export const MGMT = {
  ASSOC_REQ: 0x00,
  ASSOC_RESP: 0x10,
  REASSOC_REQ: 0x20,
  REASSOC_RESP: 0x30,
  PROBE_REQ: 0x40,
  PROBE_RESP: 0x50,
  BEACON: 0x80,
  DISASSOC: 0xa0,
  AUTH: 0xb0,
  DEAUTH: 0xc0,
  ACTION: 0xd0,
} as const;

/** Element IDs (§9.4.2.1 Table 9-92) the MLME reads or writes. */
export const EID = {
  SSID: 0,
  SUPP_RATES: 1,
  DS_PARAMS: 3,
  TIM: 5,
  ERP: 42,
  RSN: 48,
  EXT_SUPP_RATES: 50,
  TIMEOUT_INTERVAL: 56,
  EXT_CAPAB: 127,
  VENDOR: 221,
  RSNX: 244,
} as const;

/** Status codes (§9.4.1.9 Table 9-50) the MLME answers with. */
export const STATUS = {
  SUCCESS: 0,
  UNSPECIFIED_FAILURE: 1,
  CAPS_UNSUPPORTED: 10,
  REASSOC_NO_ASSOC: 11,
  NOT_SUPPORTED_AUTH_ALG: 13,
  UNKNOWN_AUTH_TRANSACTION: 14,
  AP_UNABLE_TO_HANDLE_NEW_STA: 17,
  ASSOC_DENIED_RATES: 18,
  ASSOC_REJECTED_TEMPORARILY: 30,
  ROBUST_MGMT_FRAME_POLICY_VIOLATION: 31,
  INVALID_IE: 40,
  GROUP_CIPHER_NOT_VALID: 41,
  PAIRWISE_CIPHER_NOT_VALID: 42,
  AKMP_NOT_VALID: 43,
  UNSUPPORTED_RSN_IE_VERSION: 44,
  INVALID_RSN_IE_CAPAB: 45,
  CIPHER_REJECTED_PER_POLICY: 46,
} as const;

/** Reason codes (§9.4.1.7 Table 9-49) the MLME sends. */
export const REASON = {
  UNSPECIFIED: 1,
  PREV_AUTH_NOT_VALID: 2,
  DEAUTH_LEAVING: 3,
  DISASSOC_DUE_TO_INACTIVITY: 4,
  DISASSOC_AP_BUSY: 5,
  CLASS2_FRAME_FROM_NONAUTH_STA: 6,
  CLASS3_FRAME_FROM_NONASSOC_STA: 7,
  DISASSOC_STA_HAS_LEFT: 8,
  STA_REQ_ASSOC_WITHOUT_AUTH: 9,
  DISASSOC_LOW_ACK: 34,
} as const;

/** Authentication Algorithm Numbers (§9.4.1.1). */
export const AUTH_ALG = { OPEN_SYSTEM: 0, SHARED_KEY: 1, FAST_BSS_TRANSITION: 2, SAE: 3 } as const;

/** Capability Information bits (§9.4.1.4). */
export const CAPAB = { ESS: 0x0001, PRIVACY: 0x0010, SHORT_PREAMBLE: 0x0020, SHORT_SLOT_TIME: 0x0400 } as const;

/** The broadcast address. */
export const BROADCAST: Buffer = Buffer.alloc(6, 0xff);

/** Length of a management frame's MAC header (no HT Control). */
export const MGMT_HEADER_LENGTH = 24;

/** The MAC header of a management frame and its body. */
export interface MgmtFrame {
  /** Frame control octet 0: type and subtype (a MGMT value for management frames). */
  subtype: number;
  /** Frame control octet 1 (flags: retry 0x08, protected 0x40, ...). */
  flags: number;
  da: Buffer;
  sa: Buffer;
  bssid: Buffer;
  /** Sequence Control (sequence number << 4 | fragment number). */
  seqCtrl: number;
  /** The frame body (a view). */
  body: Buffer;
}

/** Frame control flag: retry. */
export const FC_RETRY = 0x08;
/** Frame control flag: protected frame. */
export const FC_PROTECTED = 0x40;

/** Decodes the MAC header of a management frame. Type other than management is 'bad-type'. */
export function decodeMgmtFrame(bytes: Uint8Array): Result<MgmtFrame> {
  const frame = asBuffer(bytes);
  if (frame.length === 0) return fail('empty', 'no frame');
  if (frame.length < MGMT_HEADER_LENGTH) return fail('truncated', `management header needs 24 octets, got ${frame.length}`);
  const fc0 = frame[0];
  if ((fc0 & 0x0c) !== 0) return fail('bad-type', `frame type ${(fc0 >> 2) & 3} is not management`);
  if ((fc0 & 0x03) !== 0) return fail('bad-version', `protocol version ${fc0 & 3}`);
  return ok({
    subtype: fc0 & 0xf0,
    flags: frame[1],
    da: frame.subarray(4, 10),
    sa: frame.subarray(10, 16),
    bssid: frame.subarray(16, 22),
    seqCtrl: frame.readUInt16LE(22),
    body: frame.subarray(MGMT_HEADER_LENGTH),
  });
}

/** Encodes a management frame (duration 0, sequence number left to the driver). */
export function encodeMgmtFrame(subtype: number, da: Uint8Array, sa: Uint8Array, bssid: Uint8Array, body: Uint8Array): Buffer {
  const out = Buffer.alloc(MGMT_HEADER_LENGTH + body.length);
  out[0] = subtype;
  out.set(da, 4);
  out.set(sa, 10);
  out.set(bssid, 16);
  out.set(body, MGMT_HEADER_LENGTH);
  return out;
}

/** One element of an element list. */
export interface Element {
  id: number;
  /** The element's information (after ID and Length; a view). */
  data: Buffer;
  /** The whole element from its ID on (a view). */
  raw: Buffer;
}

/** An element list (§9.4.2.1), in frame order. */
export class Elements {
  constructor(readonly list: readonly Element[]) {}

  /** The first element with this ID. */
  find(id: number): Element | undefined {
    return this.list.find((e) => e.id === id);
  }

  /** How many elements have this ID. */
  count(id: number): number {
    let n = 0;
    for (const e of this.list) if (e.id === id) n++;
    return n;
  }
}

/**
 * Parses an element list. A Length that runs past the list is 'length-overflow'; a lone
 * trailing octet is 'truncated' (hostapd's parser refuses both, and so do we).
 */
export function decodeElements(input: Uint8Array): Result<Elements> {
  const bytes = asBuffer(input);
  const list: Element[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 2) return fail('truncated', `element header at ${off} needs 2 octets`);
    const id = bytes[off];
    const len = bytes[off + 1];
    if (off + 2 + len > bytes.length) return fail('length-overflow', `element ${id} of ${len} octets at ${off} runs past the frame`);
    list.push({ id, data: bytes.subarray(off + 2, off + 2 + len), raw: bytes.subarray(off, off + 2 + len) });
    off += 2 + len;
  }
  return ok(new Elements(list));
}

/** Encodes one element. */
export function element(id: number, data: Uint8Array): Buffer {
  if (data.length > 255) throw new RangeError(`element ${id} longer than 255 octets`);
  const out = Buffer.alloc(2 + data.length);
  out[0] = id;
  out[1] = data.length;
  out.set(data, 2);
  return out;
}

/** An Authentication frame body. */
export interface AuthBody {
  algorithm: number;
  transaction: number;
  status: number;
  /** Elements and fields after the fixed part (a view). */
  rest: Buffer;
}

/** Decodes an Authentication frame body. */
export function decodeAuthBody(bytes: Uint8Array): Result<AuthBody> {
  if (bytes.length < 6) return fail('truncated', `Authentication body needs 6 octets, got ${bytes.length}`);
  const body = asBuffer(bytes);
  return ok({ algorithm: body.readUInt16LE(0), transaction: body.readUInt16LE(2), status: body.readUInt16LE(4), rest: body.subarray(6) });
}

/** Encodes an Authentication frame body; `rest` (SAE's fields and elements) follows the Status Code. */
export function encodeAuthBody(a: { algorithm: number; transaction: number; status: number; rest?: Uint8Array }): Buffer {
  const out = Buffer.alloc(6 + (a.rest?.length ?? 0));
  out.writeUInt16LE(a.algorithm, 0);
  out.writeUInt16LE(a.transaction, 2);
  out.writeUInt16LE(a.status, 4);
  if (a.rest !== undefined) out.set(a.rest, 6);
  return out;
}

// ---- Action frames: SA Query (§9.6.9) ----------------------------------------------------

/** Action frame categories (§9.4.1.11 Table 9-51) the MLME handles. */
export const ACTION_CATEGORY = { SA_QUERY: 8 } as const;

/** SA Query Action field values (§9.6.9.1 Table 9-458). */
export const SA_QUERY_ACTION = { REQUEST: 0, RESPONSE: 1 } as const;

/** Length of an SA Query Transaction Identifier (§9.4.1.25). */
export const SA_QUERY_ID_LENGTH = 2;

/** An SA Query Request or Response (an Action frame body of category 8). */
export interface SaQuery {
  /** SA_QUERY_ACTION.REQUEST or .RESPONSE (other values are carried, not refused). */
  action: number;
  /** Transaction Identifier, 2 octets (a view). */
  transactionId: Buffer;
  /** Elements after it (an OCI with OCV; a view). */
  rest: Buffer;
}

/**
 * Decodes an Action frame body as an SA Query: a category other than 8 is 'bad-type'; a
 * body without the Action field and the Transaction Identifier is 'truncated'.
 */
export function decodeSaQuery(bytes: Uint8Array): Result<SaQuery> {
  const body = asBuffer(bytes);
  if (body.length === 0) return fail('empty', 'no Action frame body');
  if (body[0] !== ACTION_CATEGORY.SA_QUERY) return fail('bad-type', `Action category ${body[0]} is not SA Query (8)`);
  if (body.length < 2 + SA_QUERY_ID_LENGTH) return fail('truncated', `SA Query body needs 4 octets, got ${body.length}`);
  return ok({ action: body[1], transactionId: body.subarray(2, 4), rest: body.subarray(4) });
}

/** Encodes an SA Query Action frame body (category, action, transaction identifier). */
export function encodeSaQuery(action: number, transactionId: Uint8Array): Buffer {
  if (transactionId.length !== SA_QUERY_ID_LENGTH) throw new RangeError(`SA Query Transaction Identifier of ${transactionId.length} octets`);
  return Buffer.from([ACTION_CATEGORY.SA_QUERY, action, transactionId[0], transactionId[1]]);
}

// ---- elements an AP with SAE and PMF writes ------------------------------------------------

/** Timeout Interval Types (§9.4.2.49 Table 9-270). */
export const TIMEOUT_INTERVAL_TYPE = { REASSOCIATION_DEADLINE: 1, KEY_LIFETIME: 2, ASSOC_COMEBACK: 3 } as const;

/** A Timeout Interval element: type (1 octet), value (4 octets, little-endian; TUs for comeback). */
export function timeoutIntervalElement(type: number, value: number): Buffer {
  const data = Buffer.alloc(5);
  data[0] = type;
  data.writeUInt32LE(value >>> 0, 1);
  return element(EID.TIMEOUT_INTERVAL, data);
}

/** Bits of the Extended Capabilities field (§9.4.2.26 Table 9-153) the AP sets. */
export const EXT_CAPAB_BIT = { BEACON_PROTECTION: 84 } as const;

/** Extended Capabilities element with these bits set; its length reaches the highest one. */
export function extendedCapabilitiesElement(bits: readonly number[]): Buffer {
  const data = Buffer.alloc((Math.max(...bits, 0) >> 3) + 1);
  for (const b of bits) data[b >> 3] |= 1 << (b & 7);
  return element(EID.EXT_CAPAB, data);
}

/** Bits of the Extended RSN Capabilities field (§9.4.2.241 Table 9-345). */
export const RSNX_CAPAB_BIT = { PROTECTED_TWT: 4, SAE_HASH_TO_ELEMENT: 5, SAE_PK: 6 } as const;

/**
 * The RSN Extension element with these Extended RSN Capabilities bits (4 and up): the
 * field is as long as its highest bit needs, and its first octet's bits 0-3 say that
 * length minus one (§9.4.2.241). Empty when no bit is set (the element is then left out).
 */
export function rsnxeElement(bits: readonly number[]): Buffer {
  if (bits.length === 0) return Buffer.alloc(0);
  for (const b of bits) if (b < 4) throw new RangeError(`bit ${b} of the Extended RSN Capabilities is the Field Length`);
  const data = Buffer.alloc((Math.max(...bits) >> 3) + 1);
  for (const b of bits) data[b >> 3] |= 1 << (b & 7);
  data[0] |= data.length - 1;
  return element(EID.RSNX, data);
}

/**
 * True when an RSNXE (from its Element ID on) has Extended RSN Capabilities bit `bit`
 * within the length its Field Length claims (a field shorter than it says counts only
 * as far as the element goes).
 */
export function rsnxeHas(rsnxe: Uint8Array, bit: number): boolean {
  if (rsnxe.length < 3 || rsnxe[0] !== EID.RSNX) return false;
  const data = rsnxe.subarray(2, Math.min(rsnxe.length, 2 + rsnxe[1]));
  const fieldLength = Math.min((data[0] & 0x0f) + 1, data.length);
  const octet = bit >> 3;
  return octet < fieldLength && (data[octet] & (1 << (bit & 7))) !== 0;
}

/** A (Re)Association Request body. */
export interface AssocRequestBody {
  capability: number;
  listenInterval: number;
  /** Reassociation Request: the Current AP Address. */
  currentAp: Buffer | undefined;
  /** The element octets (a view). */
  elementBytes: Buffer;
}

/** Decodes a (Re)Association Request body (the elements are parsed separately). */
export function decodeAssocRequestBody(bytes: Uint8Array, reassociation: boolean): Result<AssocRequestBody> {
  const fixed = reassociation ? 10 : 4;
  if (bytes.length < fixed) return fail('truncated', `${reassociation ? 'Reassociation' : 'Association'} Request body needs ${fixed} octets, got ${bytes.length}`);
  const body = asBuffer(bytes);
  return ok({
    capability: body.readUInt16LE(0),
    listenInterval: body.readUInt16LE(2),
    currentAp: reassociation ? body.subarray(4, 10) : undefined,
    elementBytes: body.subarray(fixed),
  });
}

/** Encodes a (Re)Association Response body: the AID field carries bits 14-15 set (§9.4.1.8). */
export function encodeAssocResponseBody(r: { capability: number; status: number; aid: number; elements: Uint8Array[] }): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16LE(r.capability, 0);
  fixed.writeUInt16LE(r.status, 2);
  fixed.writeUInt16LE(r.aid === 0 ? 0 : r.aid | 0xc000, 4);
  return Buffer.concat([fixed, ...r.elements]);
}

/** Decodes the reason code of a Deauthentication or Disassociation body; octets after it (vendor elements, an MME) are ignored. */
export function decodeReasonBody(bytes: Uint8Array): Result<number> {
  if (bytes.length < 2) return fail('truncated', `reason code needs 2 octets, got ${bytes.length}`);
  return ok(asBuffer(bytes).readUInt16LE(0));
}

/** Encodes a Deauthentication or Disassociation body. */
export function encodeReasonBody(reason: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(reason, 0);
  return out;
}

/**
 * A rate in the Supported Rates element: units of 500 kb/s, bit 7 set for a basic rate
 * (§9.4.2.3).
 */
export type RateOctet = number;

/** Splits rates into the Supported Rates element (first 8) and Extended Supported Rates (the rest). */
export function rateElements(rates: readonly RateOctet[]): { supported: Buffer; extended: Buffer | undefined } {
  const first = rates.slice(0, 8);
  const rest = rates.slice(8);
  return { supported: element(EID.SUPP_RATES, Uint8Array.from(first)), extended: rest.length > 0 ? element(EID.EXT_SUPP_RATES, Uint8Array.from(rest)) : undefined };
}

/** The rates a station lists (Supported Rates plus Extended Supported Rates), as octets. */
export function stationRates(elements: Elements): number[] {
  const out: number[] = [];
  for (const e of elements.list) if (e.id === EID.SUPP_RATES || e.id === EID.EXT_SUPP_RATES) out.push(...e.data);
  return out;
}

/** Centre frequency in MHz of a 2.4 GHz or 5 GHz channel number; undefined when not one. */
export function channelFrequency(channel: number): number | undefined {
  if (channel >= 1 && channel <= 13) return 2407 + 5 * channel;
  if (channel === 14) return 2484;
  if (channel >= 32 && channel <= 177) return 5000 + 5 * channel;
  return undefined;
}

/** What a Beacon and a Probe Response of one BSS carry. */
export interface BssAdvertisement {
  bssid: Buffer;
  ssid: Buffer;
  beaconIntervalTu: number;
  capability: number;
  rates: readonly RateOctet[];
  channel: number;
  /** The RSNE exactly as announced to the authenticator (empty for an open BSS). */
  rsne: Buffer;
  /** The RSN Extension element as announced (absent or empty: none). */
  rsnxe?: Buffer;
  /** The Extended Capabilities element (absent or empty: none). */
  extendedCapabilities?: Buffer;
}

/** Fixed fields of a Beacon / Probe Response: timestamp (the driver fills it), interval, capability. */
function beaconFixed(b: BssAdvertisement): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16LE(b.beaconIntervalTu, 8);
  out.writeUInt16LE(b.capability, 10);
  return out;
}

/** Elements before the TIM (which mac80211 inserts): SSID, Supported Rates, DS Parameter Set. */
function headElements(b: BssAdvertisement): Buffer[] {
  const { supported } = rateElements(b.rates);
  return [element(EID.SSID, b.ssid), supported, element(EID.DS_PARAMS, Uint8Array.of(b.channel))];
}

/**
 * Elements after the TIM, in the order of Table 9-27 (Beacon) and Table 9-38 (Probe
 * Response), which is not element-ID order: Extended Supported Rates, RSNE, Extended
 * Capabilities, RSNXE.
 */
function tailElements(b: BssAdvertisement): Buffer[] {
  const { extended } = rateElements(b.rates);
  const out: Buffer[] = [];
  if (extended !== undefined) out.push(extended);
  if (b.rsne.length > 0) out.push(b.rsne);
  if (b.extendedCapabilities !== undefined && b.extendedCapabilities.length > 0) out.push(b.extendedCapabilities);
  if (b.rsnxe !== undefined && b.rsnxe.length > 0) out.push(b.rsnxe);
  return out;
}

/** The Beacon split where the TIM goes: head (header, fixed fields, first elements) and tail. */
export function encodeBeacon(b: BssAdvertisement): { head: Buffer; tail: Buffer } {
  const body = Buffer.concat([beaconFixed(b), ...headElements(b)]);
  return { head: encodeMgmtFrame(MGMT.BEACON, BROADCAST, b.bssid, b.bssid, body), tail: Buffer.concat(tailElements(b)) };
}

/** A Probe Response to `da`: the Beacon's content without the TIM. */
export function encodeProbeResponse(b: BssAdvertisement, da: Uint8Array): Buffer {
  const body = Buffer.concat([beaconFixed(b), ...headElements(b), ...tailElements(b)]);
  return encodeMgmtFrame(MGMT.PROBE_RESP, da, b.bssid, b.bssid, body);
}

/** The elements of an Association Response of the BSS: its rates. */
export function assocResponseElements(b: BssAdvertisement): Buffer[] {
  const { supported, extended } = rateElements(b.rates);
  return extended === undefined ? [supported] : [supported, extended];
}
