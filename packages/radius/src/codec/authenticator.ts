/**
 * Signing and verifying RADIUS packets:
 *  - Message-Authenticator, RFC 3579 §3.2: HMAC-MD5 keyed with the shared secret over the
 *    whole packet with the Message-Authenticator value zeroed; in Access-Request and
 *    Status-Server (RFC 5997) over the packet as sent, in responses with the Request
 *    Authenticator of the request in the Authenticator field.
 *  - Response Authenticator, RFC 2865 §3: MD5(Code + Identifier + Length + Request
 *    Authenticator + Attributes + Secret), computed after the Message-Authenticator.
 *  - Accounting Request Authenticator, RFC 2866 §3: MD5(Code + Identifier + Length +
 *    16 zero octets + Attributes + Secret); the same for Disconnect-/CoA-Request (RFC 5176).
 *
 * BlastRADIUS (CVE-2024-3596, blastradius.fail) hardening, as hostapd 2.11 and FreeRADIUS
 * 3.2.5 deploy it: every Access-Request and Status-Server carries a Message-Authenticator
 * as its FIRST attribute (the attack's MD5 chosen-prefix collision must predict the packet
 * up to the attacker's attribute; an HMAC in front makes that impossible), and every
 * response to them must carry a valid Message-Authenticator, checked after the Response
 * Authenticator: a response without one is refused even when its Response Authenticator
 * verifies. Responses are accepted with the Message-Authenticator anywhere (servers
 * before 2024 put it last).
 *
 * Authenticators and salts are inputs (RFC 5080 §2.2.1: a retransmission reuses the
 * Identifier and Request Authenticator), so this file does no I/O and draws no randomness.
 * MACs are compared with crypto.timingSafeEqual.
 */
import type { DecodeErrorCode, Result } from '@airlock/bytes';
import { asBuffer, checkLength, checkSecret, equalConstantTime, hmacMd5, hmacMd5Parts, md5 } from './bytes.js';
import { Attr, AUTHENTICATOR_LENGTH, RADIUS_HEADER_LENGTH, RadiusCode } from './constants.js';
import { encodeRadius, encodeRadiusAfter, frameRadius, packetOfFrame, type AttributeSpan, type RadiusAttribute, type RadiusPacket } from './packet.js';

/** Why verifyResponse or verifyRequest refused a packet: a decode error or one of these. */
export type VerifyErrorCode =
  | DecodeErrorCode
  | 'bad-response-authenticator'
  | 'bad-request-authenticator'
  | 'missing-message-authenticator'
  | 'bad-message-authenticator'
  | 'identifier-mismatch'
  | 'unexpected-code';

/** A verification failure: named code and a detail for logs. */
export interface VerifyError {
  code: VerifyErrorCode;
  detail: string;
}

/** What verifyResponse needs to know of the request it sent. */
export interface SentRequest {
  identifier: number;
  /** The Request Authenticator as sent (for Accounting-Request, the computed one). */
  authenticator: Buffer;
  /** The request's Code. */
  code: number;
}

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);

function refuse(code: VerifyErrorCode, detail: string): { ok: false; error: VerifyError } {
  return { ok: false, error: { code, detail } };
}

const ACCESS_ANSWERS: readonly number[] = [RadiusCode.AccessAccept, RadiusCode.AccessReject, RadiusCode.AccessChallenge];
// Access-Accept on an authentication port, Accounting-Response on an accounting port (RFC
// 5997); a verified Access-Reject (a server refusing Status-Server by policy) still proves
// the server alive.
const STATUS_ANSWERS: readonly number[] = [RadiusCode.AccessAccept, RadiusCode.AccessReject, RadiusCode.AccountingResponse];
const ACCOUNTING_ANSWERS: readonly number[] = [RadiusCode.AccountingResponse];
const DISCONNECT_ANSWERS: readonly number[] = [RadiusCode.DisconnectAck, RadiusCode.DisconnectNak];
const COA_ANSWERS: readonly number[] = [RadiusCode.CoaAck, RadiusCode.CoaNak];
const NO_ANSWERS: readonly number[] = [];

/** The response Codes that may answer a request Code (RFC 2865 §4, RFC 2866 §4, RFC 5997 §3-§4, RFC 5176). */
export function expectedResponseCodes(requestCode: number): readonly number[] {
  switch (requestCode) {
    case RadiusCode.AccessRequest:
      return ACCESS_ANSWERS;
    case RadiusCode.StatusServer:
      return STATUS_ANSWERS;
    case RadiusCode.AccountingRequest:
      return ACCOUNTING_ANSWERS;
    case RadiusCode.DisconnectRequest:
      return DISCONNECT_ANSWERS;
    case RadiusCode.CoaRequest:
      return COA_ANSWERS;
    default:
      return NO_ANSWERS;
  }
}

/** True when a response to `requestCode` must carry a Message-Authenticator (RFC 3579 §3.2, RFC 5997, BlastRADIUS). */
function requiresMessageAuthenticator(requestCode: number): boolean {
  return requestCode === RadiusCode.AccessRequest || requestCode === RadiusCode.StatusServer;
}

/**
 * The Message-Authenticator of the first `length` octets of `packet`: HMAC-MD5 over them
 * with `authenticator` in the Authenticator field and every value at `maOffsets`
 * (ascending) zeroed. The HMAC is fed the packet's pieces around those fields, so the
 * packet is neither copied nor changed.
 */
function computeMessageAuthenticator(packet: Uint8Array, length: number, authenticator: Uint8Array, maOffsets: readonly number[], secret: Buffer): Buffer {
  const parts: Uint8Array[] = [packet.subarray(0, 4), authenticator];
  let at = RADIUS_HEADER_LENGTH;
  for (const off of maOffsets) {
    parts.push(packet.subarray(at, off), ZERO_AUTHENTICATOR);
    at = off + AUTHENTICATOR_LENGTH;
  }
  parts.push(packet.subarray(at, length));
  return hmacMd5Parts(secret, parts);
}

/**
 * The Message-Authenticator (RFC 3579 §3.2) of a framed packet: HMAC-MD5 keyed with
 * `secret` over `packet` (up to its Length) with `authenticator` in the Authenticator field
 * and the Message-Authenticator value(s) zeroed. `authenticator` is the packet's own for
 * Access-Request and Status-Server, the Request Authenticator for responses. RangeError
 * when `packet` is not a well-framed RADIUS packet.
 */
export function messageAuthenticator(packet: Uint8Array, authenticator: Buffer, secret: Buffer): Buffer {
  checkSecret(secret);
  checkLength('Authenticator', authenticator, AUTHENTICATOR_LENGTH);
  const framed = frameRadius(packet);
  if (!framed.ok) throw new RangeError(`not a RADIUS packet: ${framed.error.detail}`);
  const offsets = framed.value.spans.filter((s) => s.type === Attr.MessageAuthenticator).map((s) => s.valueOffset);
  return computeMessageAuthenticator(packet, framed.value.length, authenticator, offsets, secret);
}

/**
 * The Response Authenticator (RFC 2865 §3) of a response's first `Length` octets:
 * MD5(Code + Identifier + Length + requestAuthenticator + Attributes + secret). RangeError
 * when `packet` is shorter than its header or its Length.
 */
export function responseAuthenticator(packet: Uint8Array, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  checkSecret(secret);
  checkLength('Request Authenticator', requestAuthenticator, AUTHENTICATOR_LENGTH);
  const length = packet.length >= 4 ? (packet[2] << 8) | packet[3] : 0;
  if (length < RADIUS_HEADER_LENGTH || length > packet.length) throw new RangeError('not a RADIUS packet: bad Length');
  return md5(packet.subarray(0, 4), requestAuthenticator, packet.subarray(RADIUS_HEADER_LENGTH, length), secret);
}

/**
 * The Request Authenticator of an Accounting-, Disconnect- or CoA-Request (RFC 2866 §3,
 * RFC 5176): MD5(Code + Identifier + Length + 16 zero octets + Attributes + secret).
 */
export function accountingRequestAuthenticator(packet: Uint8Array, secret: Buffer): Buffer {
  return responseAuthenticator(packet, ZERO_AUTHENTICATOR, secret);
}

function rejectMessageAuthenticatorInput(attributes: readonly RadiusAttribute[], what: string): void {
  for (const a of attributes) {
    if (a.type === Attr.MessageAuthenticator) throw new RangeError(`${what}: Message-Authenticator is added by the codec, not passed in attributes`);
  }
}

/** Octets of a Message-Authenticator attribute: Type, Length, 16-octet Value. */
const MA_ATTRIBUTE_LENGTH = 2 + AUTHENTICATOR_LENGTH;

/** Encodes a request whose Message-Authenticator comes first and covers the packet as sent. */
function buildSignedRequest(code: number, a: { identifier: number; requestAuthenticator: Buffer; attributes: readonly RadiusAttribute[]; secret: Buffer }, what: string): Buffer {
  checkSecret(a.secret);
  checkLength('Request Authenticator', a.requestAuthenticator, AUTHENTICATOR_LENGTH);
  rejectMessageAuthenticatorInput(a.attributes, what);
  const out = encodeRadiusAfter({ code, identifier: a.identifier, authenticator: a.requestAuthenticator, attributes: a.attributes }, MA_ATTRIBUTE_LENGTH);
  out[RADIUS_HEADER_LENGTH] = Attr.MessageAuthenticator;
  out[RADIUS_HEADER_LENGTH + 1] = MA_ATTRIBUTE_LENGTH;
  const maOffset = RADIUS_HEADER_LENGTH + 2;
  out.fill(0, maOffset, maOffset + AUTHENTICATOR_LENGTH);
  hmacMd5(a.secret, out).copy(out, maOffset);
  return out;
}

/**
 * Builds an Access-Request (RFC 2865 §4.1) with a Message-Authenticator as its first
 * attribute (RFC 3579 §3.2; BlastRADIUS), HMAC-MD5 over the packet with it zeroed.
 * `requestAuthenticator` is 16 unpredictable octets from the caller, reused unchanged on
 * retransmission; a User-Password must already be hidden with it (hideUserPassword).
 * RangeError when `attributes` contains a Message-Authenticator, the authenticator is not
 * 16 octets, the secret is empty, or the packet would not encode (encodeRadius).
 */
export function buildAccessRequest(a: { identifier: number; requestAuthenticator: Buffer; attributes: readonly RadiusAttribute[]; secret: Buffer }): Buffer {
  return buildSignedRequest(RadiusCode.AccessRequest, a, 'buildAccessRequest');
}

/**
 * Builds a Status-Server (RFC 5997 §3: Message-Authenticator required), with the
 * Message-Authenticator first as in buildAccessRequest. RangeError as buildAccessRequest.
 */
export function buildStatusServer(a: { identifier: number; requestAuthenticator: Buffer; attributes: readonly RadiusAttribute[]; secret: Buffer }): Buffer {
  return buildSignedRequest(RadiusCode.StatusServer, a, 'buildStatusServer');
}

/**
 * Builds an Accounting-Request (RFC 2866 §4.1) with its Request Authenticator (RFC 2866
 * §3); read it back from octets 4..20 to verify the response. RangeError on a
 * Message-Authenticator in `attributes`, an empty secret, or a packet that would not encode.
 */
export function buildAccountingRequest(a: { identifier: number; attributes: readonly RadiusAttribute[]; secret: Buffer }): Buffer {
  checkSecret(a.secret);
  rejectMessageAuthenticatorInput(a.attributes, 'buildAccountingRequest');
  const out = encodeRadiusAfter({ code: RadiusCode.AccountingRequest, identifier: a.identifier, authenticator: ZERO_AUTHENTICATOR, attributes: a.attributes }, 0);
  accountingRequestAuthenticator(out, a.secret).copy(out, 4);
  return out;
}

/**
 * Builds a response (server side; used by the tests' fake servers): the
 * Message-Authenticator first when `messageAuthenticator` is set, computed with the
 * Request Authenticator in the Authenticator field (RFC 3579 §3.2), then the Response
 * Authenticator (RFC 2865 §3). RangeError as buildAccessRequest.
 */
export function buildResponse(a: { code: number; identifier: number; requestAuthenticator: Buffer; attributes: RadiusAttribute[]; secret: Buffer; messageAuthenticator: boolean }): Buffer {
  checkSecret(a.secret);
  checkLength('Request Authenticator', a.requestAuthenticator, AUTHENTICATOR_LENGTH);
  rejectMessageAuthenticatorInput(a.attributes, 'buildResponse');
  const attributes = a.messageAuthenticator ? [{ type: Attr.MessageAuthenticator, value: ZERO_AUTHENTICATOR }, ...a.attributes] : a.attributes;
  const out = encodeRadius({ code: a.code, identifier: a.identifier, authenticator: a.requestAuthenticator, attributes });
  if (a.messageAuthenticator) hmacMd5(a.secret, out).copy(out, RADIUS_HEADER_LENGTH + 2);
  responseAuthenticator(out, a.requestAuthenticator, a.secret).copy(out, 4);
  return out;
}

/**
 * Checks the Message-Authenticator attributes of a framed packet, computed with
 * `authenticator` in the Authenticator field (responses: the Request Authenticator; RFC 5176
 * requests: zeros): exactly one, of 16 octets, that verifies. Undefined when valid, or absent
 * and not `required` (`requiredBy` names the rule in the error).
 */
export function checkMessageAuthenticator(raw: Uint8Array, length: number, spans: readonly AttributeSpan[], authenticator: Uint8Array, secret: Buffer, required: boolean, requiredBy = 'RFC 3579 §3.2'): VerifyError | undefined {
  let ma: AttributeSpan | undefined;
  let count = 0;
  for (const s of spans) {
    if (s.type !== Attr.MessageAuthenticator) continue;
    ma ??= s;
    count++;
  }
  if (ma === undefined) {
    return required ? { code: 'missing-message-authenticator', detail: `no Message-Authenticator (required: ${requiredBy}, BlastRADIUS CVE-2024-3596)` } : undefined;
  }
  if (count > 1) return { code: 'bad-message-authenticator', detail: `${count} Message-Authenticator attributes` };
  if (ma.valueLength !== AUTHENTICATOR_LENGTH) return { code: 'bad-message-authenticator', detail: `Message-Authenticator of ${ma.valueLength} octets` };
  const want = computeMessageAuthenticator(raw, length, authenticator, [ma.valueOffset], secret);
  const got = raw.subarray(ma.valueOffset, ma.valueOffset + AUTHENTICATOR_LENGTH);
  return equalConstantTime(want, got) ? undefined : { code: 'bad-message-authenticator', detail: 'Message-Authenticator does not verify' };
}

/**
 * Verifies a response to `request` and decodes it. Order: framing (decode errors), the
 * Identifier ('identifier-mismatch'), the Code ('unexpected-code': not an answer to
 * request.code), the Response Authenticator ('bad-response-authenticator'), then the
 * Message-Authenticator: REQUIRED in responses to Access-Request and Status-Server
 * ('missing-message-authenticator'), verified when present in any response
 * ('bad-message-authenticator'; also for a duplicate or a wrong length). Octets after
 * Length are padding (RFC 2865 §3) and not covered. Never throws on any `raw`; RangeError
 * only on a caller bug (request authenticator not 16 octets, empty secret). The packet
 * returned is zero-copy over `raw`, which is framed once and never copied.
 */
export function verifyResponse(raw: Uint8Array, request: SentRequest, secret: Buffer): Result<RadiusPacket, VerifyError> {
  checkSecret(secret);
  checkLength('Request Authenticator', request.authenticator, AUTHENTICATOR_LENGTH);
  const framed = frameRadius(raw);
  if (!framed.ok) return framed;
  const { length, spans } = framed.value;
  const code = raw[0];
  const identifier = raw[1];
  if (identifier !== request.identifier) return refuse('identifier-mismatch', `response Identifier ${identifier}, request ${request.identifier}`);
  if (!expectedResponseCodes(request.code).includes(code)) return refuse('unexpected-code', `Code ${code} does not answer a request of Code ${request.code}`);
  const want = responseAuthenticator(raw, request.authenticator, secret);
  if (!equalConstantTime(want, raw.subarray(4, RADIUS_HEADER_LENGTH))) return refuse('bad-response-authenticator', 'Response Authenticator does not verify');
  const maError = checkMessageAuthenticator(raw, length, spans, request.authenticator, secret, requiresMessageAuthenticator(request.code));
  if (maError !== undefined) return { ok: false, error: maError };
  return { ok: true, value: packetOfFrame(raw, framed.value) };
}

/**
 * Verifies a request (server side: the tests' fake servers). Access-Request and
 * Status-Server: the Message-Authenticator is required unless `requireMessageAuthenticator`
 * is false (an RFC 2865 PAP client), and verified over the packet as received.
 * Accounting-, Disconnect- and CoA-Request: the Request Authenticator (RFC 2866 §3,
 * RFC 5176) must verify ('bad-request-authenticator'); a Message-Authenticator, when
 * present, is verified with the Authenticator field zeroed, as FreeRADIUS computes it.
 * Other Codes: 'unexpected-code'. Never throws on any `raw` (RangeError on an empty secret).
 */
export function verifyRequest(raw: Uint8Array, secret: Buffer, options: { requireMessageAuthenticator?: boolean } = {}): Result<RadiusPacket, VerifyError> {
  checkSecret(secret);
  const framed = frameRadius(raw);
  if (!framed.ok) return framed;
  const { length, spans } = framed.value;
  const code = raw[0];
  const b = asBuffer(raw);
  let maError: VerifyError | undefined;
  switch (code) {
    case RadiusCode.AccessRequest:
    case RadiusCode.StatusServer: {
      const required = code === RadiusCode.StatusServer || (options.requireMessageAuthenticator ?? true);
      maError = checkMessageAuthenticator(raw, length, spans, b.subarray(4, RADIUS_HEADER_LENGTH), secret, required);
      break;
    }
    case RadiusCode.AccountingRequest:
    case RadiusCode.DisconnectRequest:
    case RadiusCode.CoaRequest: {
      const want = accountingRequestAuthenticator(raw, secret);
      if (!equalConstantTime(want, b.subarray(4, RADIUS_HEADER_LENGTH))) return refuse('bad-request-authenticator', 'Request Authenticator does not verify');
      maError = checkMessageAuthenticator(raw, length, spans, ZERO_AUTHENTICATOR, secret, false);
      break;
    }
    default:
      return refuse('unexpected-code', `Code ${code} is not a request this codec verifies`);
  }
  if (maError !== undefined) return { ok: false, error: maError };
  return { ok: true, value: packetOfFrame(raw, framed.value) };
}
