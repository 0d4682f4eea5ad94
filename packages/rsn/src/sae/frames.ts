/**
 * SAE Authentication frame bodies, IEEE 802.11-2020 §9.3.3.11 (Table 9-41, Authentication
 * frame body) and §12.4.7 (framing of SAE): what follows the Authentication Algorithm
 * Number (3, SAE), Authentication Transaction Sequence Number and Status Code fields.
 *
 *   Commit (transaction 1), status 0 (hunting-and-pecking) or 126 (H2E):
 *     Finite Cyclic Group (2, LE) [Anti-Clogging Token, H&P only] Scalar (len(r))
 *     Element (2 len(p)) [Password Identifier element] [Rejected Groups element, H2E]
 *     [Anti-Clogging Token Container element, H2E]
 *   Confirm (transaction 2): Send-Confirm (2, LE) Confirm (32 for group 19)
 *   Commit answered with status 76: Finite Cyclic Group, then the token (H&P) or an
 *     Anti-Clogging Token Container element (H2E)
 *   Commit answered with status 77: the Finite Cyclic Group that was refused
 *
 * Elements (§9.4.2): Element ID 255 (Element ID Extension) with Element ID Extension 33
 * (Password Identifier), 92 (Rejected Groups: a list of 2-octet LE groups) and 93
 * (Anti-Clogging Token Container), as in hostapd's ieee802_11_defs.h. Group 19 sizes only (32-octet scalar, 64-octet
 * element, 32-octet confirm). Behaviour checked against hostapd (src/common/sae.c
 * sae_parse_commit, sae_write_commit; src/ap/comeback_token.c; wpa_supplicant/sme.c).
 *
 * Trailing bytes policy: after the fixed fields of a commit come elements. Each must be whole
 * (a lone octet or a length beyond the body is refused); the three above are taken, any other
 * element is skipped (the AKM Suite Selector of SAE-EXT-KEY, a Multi-Link element), and with
 * hunting-and-pecking the Rejected Groups and token container elements are skipped too (they
 * mean nothing there; hostapd ignores them). A second copy of a taken element is refused.
 * Octets after the Confirm field, or after the token container of a status-76 body, are
 * ignored (elements such as Multi-Link may follow). Decoders never throw.
 */
import { fail, ok, type Result } from '../result.js';

/** Authentication Algorithm Number of SAE (§9.4.1.1). */
export const SAE_AUTH_ALGORITHM = 3;

/** The Status Code values an SAE exchange uses (§9.4.1.9). */
export const SaeStatus = {
  SUCCESS: 0,
  UNSPECIFIED_FAILURE: 1,
  ANTI_CLOGGING_TOKEN_REQUIRED: 76,
  UNSUPPORTED_FINITE_CYCLIC_GROUP: 77,
  UNKNOWN_PASSWORD_IDENTIFIER: 123,
  SAE_HASH_TO_ELEMENT: 126,
  SAE_PK: 127,
} as const;

/** One of the SaeStatus values. */
export type SaeStatusCode = (typeof SaeStatus)[keyof typeof SaeStatus];

/** Element ID Extension (§9.4.2): the element's first payload octet is its extended id. */
export const ELEMENT_ID_EXTENSION = 255;
/** Element ID Extension of the Password Identifier element. */
export const EXT_PASSWORD_IDENTIFIER = 33;
/** Element ID Extension of the Rejected Groups element. */
export const EXT_REJECTED_GROUPS = 92;
/** Element ID Extension of the Anti-Clogging Token Container element. */
export const EXT_ANTI_CLOGGING_TOKEN = 93;

/** The Finite Cyclic Group field's length. */
const GROUP_LEN = 2;
/** Group 19: len(r), 2 * len(p) and the confirm (SHA-256) lengths. */
const SCALAR_LEN = 32;
const ELEMENT_LEN = 64;
const CONFIRM_LEN = 32;
const SEND_CONFIRM_LEN = 2;
/** The longest payload after the extended id (an element's Length octet counts it too). */
const MAX_EXT_PAYLOAD = 254;

/** The fields of an SAE Commit body. */
export interface SaeCommitFields {
  /** Finite Cyclic Group (IANA group number). */
  group: number;
  /** Anti-Clogging Token: a field before the scalar (H&P) or in its container element (H2E). */
  token?: Buffer;
  /** Scalar field (32 octets for group 19), as sent; checked by decodePeerCommit. */
  scalar: Buffer;
  /** Element field (64 octets, x || y, for group 19), as sent; checked by decodePeerCommit. */
  element: Buffer;
  /** The Password Identifier element's identifier. */
  passwordIdentifier?: Buffer;
  /** The Rejected Groups element's groups, in order (H2E). */
  rejectedGroups?: number[];
}

/** How decodeCommitBody reads a body. */
export interface SaeCommitDecodeOptions {
  /** H2E (status 126): elements carry the token and rejected groups. */
  h2e: boolean;
  /**
   * With H&P only: the length of the anti-clogging tokens this AP hands out, when it requires
   * one. The token field is then expected between the group and the scalar; a body without it
   * fails to decode (answer with status 76 again). Ignored with H2E.
   */
  tokenLength?: number;
}

/** The Finite Cyclic Group at the start of a Commit body, read before anything else (status 77). */
export function readCommitGroup(body: Uint8Array): Result<number> {
  if (body.length === 0) return fail('empty', 'empty SAE Commit body');
  if (body.length < GROUP_LEN) return fail('truncated', 'SAE Commit body shorter than its Finite Cyclic Group field');
  return ok(readUint16Le(body, 0));
}

/** Decodes an SAE Commit body (see the header for the layout and the trailing-bytes policy). Never throws. */
export function decodeCommitBody(body: Uint8Array, opts: SaeCommitDecodeOptions): Result<SaeCommitFields> {
  const group = readCommitGroup(body);
  if (!group.ok) return group;
  if (group.value !== 19) return fail('unsupported', `SAE group ${group.value}: only group 19 is decoded`);
  let pos = GROUP_LEN;
  const fields: SaeCommitFields = { group: group.value, scalar: Buffer.alloc(0), element: Buffer.alloc(0) };
  if (!opts.h2e && opts.tokenLength !== undefined) {
    if (!Number.isInteger(opts.tokenLength) || opts.tokenLength < 1) return fail('invalid', 'expected token length must be a positive integer');
    if (body.length < pos + opts.tokenLength + SCALAR_LEN + ELEMENT_LEN) {
      return fail('truncated', `SAE Commit body of ${body.length} octets has no room for a ${opts.tokenLength}-octet token, scalar and element`);
    }
    fields.token = copy(body, pos, opts.tokenLength);
    pos += opts.tokenLength;
  }
  if (body.length < pos + SCALAR_LEN + ELEMENT_LEN) {
    return fail('truncated', `SAE Commit body of ${body.length} octets is shorter than group, scalar and element`);
  }
  fields.scalar = copy(body, pos, SCALAR_LEN);
  pos += SCALAR_LEN;
  fields.element = copy(body, pos, ELEMENT_LEN);
  pos += ELEMENT_LEN;

  while (pos < body.length) {
    if (body.length - pos < 2) return fail('truncated', 'a lone octet after the SAE Commit fields');
    const id = body[pos];
    const length = body[pos + 1];
    if (pos + 2 + length > body.length) return fail('length-overflow', `element ${id} of ${length} octets runs past the body`);
    const start = pos + 2;
    pos = start + length;
    if (id !== ELEMENT_ID_EXTENSION) continue;
    if (length < 1) return fail('bad-length', 'Element ID Extension element without its extended id');
    const ext = body[start];
    const payload = body.subarray(start + 1, pos);
    if (ext === EXT_PASSWORD_IDENTIFIER) {
      if (fields.passwordIdentifier !== undefined) return fail('invalid', 'two Password Identifier elements');
      fields.passwordIdentifier = Buffer.from(payload);
    } else if (opts.h2e && ext === EXT_REJECTED_GROUPS) {
      if (fields.rejectedGroups !== undefined) return fail('invalid', 'two Rejected Groups elements');
      if (payload.length === 0 || payload.length % 2 !== 0) return fail('bad-length', `Rejected Groups list of ${payload.length} octets, want a nonzero even number`);
      fields.rejectedGroups = [];
      for (let i = 0; i < payload.length; i += 2) fields.rejectedGroups.push(readUint16Le(payload, i));
    } else if (opts.h2e && ext === EXT_ANTI_CLOGGING_TOKEN) {
      if (fields.token !== undefined) return fail('invalid', 'two Anti-Clogging Token Container elements');
      if (payload.length === 0) return fail('bad-length', 'empty Anti-Clogging Token Container element');
      fields.token = Buffer.from(payload);
    }
  }
  return ok(fields);
}

/**
 * Encodes an SAE Commit body, elements in hostapd's order (Password Identifier, Rejected
 * Groups, token container). Throws RangeError for a group outside 0..65535, a scalar or
 * element of the wrong length, rejected groups with H&P, or an element payload over 254 octets.
 */
export function encodeCommitBody(fields: SaeCommitFields, h2e: boolean): Buffer {
  checkUint16(fields.group, 'group');
  if (fields.scalar.length !== SCALAR_LEN) throw new RangeError(`scalar of ${fields.scalar.length} octets, want ${SCALAR_LEN}`);
  if (fields.element.length !== ELEMENT_LEN) throw new RangeError(`element of ${fields.element.length} octets, want ${ELEMENT_LEN}`);
  const parts: Uint8Array[] = [uint16Le(fields.group)];
  if (!h2e && fields.token !== undefined) {
    if (fields.token.length === 0) throw new RangeError('empty anti-clogging token');
    parts.push(fields.token);
  }
  parts.push(fields.scalar, fields.element);
  if (fields.passwordIdentifier !== undefined) parts.push(extElement(EXT_PASSWORD_IDENTIFIER, fields.passwordIdentifier));
  if (fields.rejectedGroups !== undefined) {
    if (!h2e) throw new RangeError('a Rejected Groups element goes with H2E only');
    if (fields.rejectedGroups.length === 0) throw new RangeError('a Rejected Groups element lists at least one group');
    parts.push(extElement(EXT_REJECTED_GROUPS, Buffer.concat(fields.rejectedGroups.map((g) => uint16Le(checkUint16(g, 'rejected group'))))));
  }
  if (h2e && fields.token !== undefined) {
    if (fields.token.length === 0) throw new RangeError('empty anti-clogging token');
    parts.push(extElement(EXT_ANTI_CLOGGING_TOKEN, fields.token));
  }
  return Buffer.concat(parts);
}

/** The fields of an SAE Confirm body. */
export interface SaeConfirmFields {
  /** Send-Confirm (0..65535). */
  sendConfirm: number;
  /** Confirm (32 octets for group 19). */
  confirm: Buffer;
}

/** Decodes an SAE Confirm body; octets after the Confirm field are ignored. Never throws. */
export function decodeConfirmBody(body: Uint8Array): Result<SaeConfirmFields> {
  if (body.length === 0) return fail('empty', 'empty SAE Confirm body');
  if (body.length < SEND_CONFIRM_LEN + CONFIRM_LEN) return fail('truncated', `SAE Confirm body of ${body.length} octets, want ${SEND_CONFIRM_LEN + CONFIRM_LEN}`);
  return ok({ sendConfirm: readUint16Le(body, 0), confirm: copy(body, SEND_CONFIRM_LEN, CONFIRM_LEN) });
}

/** Encodes an SAE Confirm body; RangeError for a Send-Confirm outside 0..65535 or a confirm that is not 32 octets. */
export function encodeConfirmBody(sendConfirm: number, confirm: Uint8Array): Buffer {
  checkUint16(sendConfirm, 'send-confirm');
  if (confirm.length !== CONFIRM_LEN) throw new RangeError(`confirm of ${confirm.length} octets, want ${CONFIRM_LEN}`);
  return Buffer.concat([uint16Le(sendConfirm), confirm]);
}

/** The AP's answer to a Commit with status 76: the group and the token to send back. */
export interface SaeAntiCloggingRequest {
  /** Finite Cyclic Group. */
  group: number;
  /** The token (1..254 octets with H2E). */
  token: Buffer;
}

/** The body of a status-76 answer: group || token (H&P) or group || token container element (H2E). */
export function encodeAntiCloggingRequest(group: number, token: Uint8Array, h2e: boolean): Buffer {
  checkUint16(group, 'group');
  if (token.length === 0) throw new RangeError('empty anti-clogging token');
  return Buffer.concat([uint16Le(group), h2e ? extElement(EXT_ANTI_CLOGGING_TOKEN, token) : token]);
}

/**
 * Decodes the body of a status-76 answer. H&P: everything after the group is the token (not
 * empty). H2E: an Anti-Clogging Token Container element follows the group; octets after it
 * are ignored. Never throws.
 */
export function decodeAntiCloggingRequest(body: Uint8Array, h2e: boolean): Result<SaeAntiCloggingRequest> {
  const group = readCommitGroup(body);
  if (!group.ok) return group;
  const rest = body.subarray(GROUP_LEN);
  if (!h2e) {
    if (rest.length === 0) return fail('truncated', 'anti-clogging request without a token');
    return ok({ group: group.value, token: Buffer.from(rest) });
  }
  if (rest.length < 3) return fail('truncated', 'anti-clogging request without a whole token container element');
  const length = rest[1];
  if (rest[0] !== ELEMENT_ID_EXTENSION || rest[2] !== EXT_ANTI_CLOGGING_TOKEN) return fail('bad-type', 'anti-clogging request without an Anti-Clogging Token Container element');
  if (2 + length > rest.length) return fail('length-overflow', `token container of ${length} octets runs past the body`);
  if (length < 2) return fail('bad-length', 'empty Anti-Clogging Token Container element');
  return ok({ group: group.value, token: Buffer.from(rest.subarray(3, 2 + length)) });
}

/** The body of a status-77 answer: the Finite Cyclic Group that is not supported (hostapd echoes the Commit's). */
export function encodeUnsupportedGroupBody(group: number): Buffer {
  return uint16Le(checkUint16(group, 'group'));
}

/** An Element ID Extension element: 255, length, extended id, payload. */
function extElement(ext: number, payload: Uint8Array): Buffer {
  if (payload.length > MAX_EXT_PAYLOAD) throw new RangeError(`element payload of ${payload.length} octets, at most ${MAX_EXT_PAYLOAD}`);
  return Buffer.concat([Uint8Array.of(ELEMENT_ID_EXTENSION, payload.length + 1, ext), payload]);
}

function readUint16Le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function uint16Le(v: number): Buffer {
  return Buffer.from([v & 0xff, v >>> 8]);
}

function checkUint16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} ${v} is not a 2-octet value`);
  return v;
}

/** A copy of `length` octets at `at`: decoded fields never alias the caller's frame. */
function copy(b: Uint8Array, at: number, length: number): Buffer {
  return Buffer.from(b.subarray(at, at + length));
}
