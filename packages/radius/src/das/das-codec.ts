/**
 * Signing and verifying Dynamic Authorization packets (RFC 5176 §2.3, §3.4):
 *  - Request Authenticator of a Disconnect-Request or CoA-Request: as for an
 *    Accounting-Request (RFC 2866 §3), MD5(Code + Identifier + Length + 16 zero octets +
 *    Attributes + Secret).
 *  - Message-Authenticator of such a request (RFC 5176 §3.4): HMAC-MD5 keyed with the secret
 *    over the packet with the Request Authenticator field and the Message-Authenticator
 *    value both taken as 16 zero octets; it is computed first, and the Request
 *    Authenticator then covers it. (hostapd's radius_msg_verify_das_req and FreeRADIUS 3.2's
 *    radclient do the same; checked against a radclient capture in das-codec.test.ts.)
 *  - Response (Disconnect-ACK/-NAK, CoA-ACK/-NAK): Message-Authenticator over the packet
 *    with the Request Authenticator of the request in the Authenticator field (RFC 3579
 *    §3.2, RFC 5176 §3.4), then the Response Authenticator MD5(Code + Identifier + Length +
 *    Request Authenticator + Attributes + Secret) (RFC 2865 §3).
 *
 * Unlike ../codec's verifyRequest (a test server's, where the Message-Authenticator is
 * optional), verifyDasRequest requires it by default: a Dynamic Authorization Server acts
 * on stations, so a request must be integrity-protected by more than the MD5 prefix
 * construction (BlastRADIUS, CVE-2024-3596). Decoding never throws.
 */
import type { Result } from '@airlock/bytes';
import { asBuffer, checkInt, checkLength, checkSecret, equalConstantTime, hmacMd5, md5 } from '../codec/bytes.js';
import { Attr, AUTHENTICATOR_LENGTH, RADIUS_HEADER_LENGTH } from '../codec/constants.js';
import { buildResponse, checkMessageAuthenticator, type VerifyError } from '../codec/authenticator.js';
import { encodeRadiusAfter, frameRadius, packetOfFrame, type RadiusAttribute, type RadiusPacket } from '../codec/packet.js';
import { DasCode } from './das-constants.js';

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);
/** Octets of a Message-Authenticator attribute: Type, Length, 16-octet Value. */
const MA_ATTRIBUTE_LENGTH = 2 + AUTHENTICATOR_LENGTH;

/** Whether `code` is a Disconnect-Request or a CoA-Request. */
export function isDasRequestCode(code: number): boolean {
  return code === DasCode.DisconnectRequest || code === DasCode.CoaRequest;
}

/** The ACK (`ack`) or NAK Code answering a Disconnect-Request or CoA-Request; RangeError for any other Code. */
export function dasResponseCode(requestCode: number, ack: boolean): number {
  if (requestCode === DasCode.DisconnectRequest) return ack ? DasCode.DisconnectAck : DasCode.DisconnectNak;
  if (requestCode === DasCode.CoaRequest) return ack ? DasCode.CoaAck : DasCode.CoaNak;
  throw new RangeError(`Code ${requestCode} is not a Disconnect-Request or CoA-Request`);
}

/**
 * The Request Authenticator of the first Length octets of a Disconnect-Request or
 * CoA-Request: MD5(Code + Identifier + Length + 16 zero octets + Attributes + secret).
 * RangeError when `packet` is shorter than its header or its Length, or the secret is empty.
 */
export function dasRequestAuthenticator(packet: Uint8Array, secret: Buffer): Buffer {
  checkSecret(secret);
  const length = packet.length >= 4 ? (packet[2] << 8) | packet[3] : 0;
  if (length < RADIUS_HEADER_LENGTH || length > packet.length) throw new RangeError('not a RADIUS packet: bad Length');
  return md5(packet.subarray(0, 4), ZERO_AUTHENTICATOR, packet.subarray(RADIUS_HEADER_LENGTH, length), secret);
}

function refuse(code: VerifyError['code'], detail: string): { ok: false; error: VerifyError } {
  return { ok: false, error: { code, detail } };
}

/** Options of verifyDasRequest. */
export interface DasVerifyOptions {
  /** Refuse a request without a Message-Authenticator (default true). */
  requireMessageAuthenticator?: boolean;
}

/**
 * Verifies a Disconnect-Request or CoA-Request from a client whose shared secret is
 * `secret`, and decodes it. Order: framing (decode errors: 'empty', 'truncated',
 * 'bad-length', 'length-overflow'), the Code ('unexpected-code': not 40 or 43), the Request
 * Authenticator ('bad-request-authenticator'), then the Message-Authenticator: required
 * unless `requireMessageAuthenticator` is false ('missing-message-authenticator'), exactly
 * one of 16 octets that verifies ('bad-message-authenticator'). Octets after Length are
 * padding (RFC 2865 §3) and not covered. Never throws on any `raw` (RangeError on an empty
 * secret only). The packet returned is zero-copy over `raw`.
 */
export function verifyDasRequest(raw: Uint8Array, secret: Buffer, options: DasVerifyOptions = {}): Result<RadiusPacket, VerifyError> {
  checkSecret(secret);
  const framed = frameRadius(raw);
  if (!framed.ok) return framed;
  const { length, spans } = framed.value;
  const code = raw[0];
  if (!isDasRequestCode(code)) return refuse('unexpected-code', `Code ${code} is not a Disconnect-Request (40) or CoA-Request (43)`);
  const b = asBuffer(raw);
  const want = dasRequestAuthenticator(raw, secret);
  if (!equalConstantTime(want, b.subarray(4, RADIUS_HEADER_LENGTH))) return refuse('bad-request-authenticator', 'Request Authenticator does not verify');
  // RFC 5176 §3.4: computed with the Authenticator field zeroed, as hostapd and radclient do.
  const bad = checkMessageAuthenticator(raw, length, spans, ZERO_AUTHENTICATOR, secret, options.requireMessageAuthenticator ?? true, 'RFC 5176 §3.4');
  if (bad !== undefined) return { ok: false, error: bad };
  return { ok: true, value: packetOfFrame(raw, framed.value) };
}

/**
 * Builds a Disconnect-Request or CoA-Request (the Dynamic Authorization Client's side: tests
 * and tools), with a Message-Authenticator first when `messageAuthenticator` is set (RFC
 * 5176 §3.4), then the Request Authenticator over it. RangeError on another Code, an empty
 * secret, a Message-Authenticator in `attributes`, or a packet that would not encode.
 */
export function buildDasRequest(a: { code: number; identifier: number; attributes: readonly RadiusAttribute[]; secret: Buffer; messageAuthenticator?: boolean }): Buffer {
  checkSecret(a.secret);
  if (!isDasRequestCode(a.code)) throw new RangeError(`Code ${a.code} is not a Disconnect-Request or CoA-Request`);
  for (const at of a.attributes) {
    if (at.type === Attr.MessageAuthenticator) throw new RangeError('buildDasRequest: Message-Authenticator is added by the codec, not passed in attributes');
  }
  const withMa = a.messageAuthenticator ?? true;
  const reserved = withMa ? MA_ATTRIBUTE_LENGTH : 0;
  const out = encodeRadiusAfter({ code: a.code, identifier: a.identifier, authenticator: ZERO_AUTHENTICATOR, attributes: a.attributes }, reserved);
  if (withMa) {
    out[RADIUS_HEADER_LENGTH] = Attr.MessageAuthenticator;
    out[RADIUS_HEADER_LENGTH + 1] = MA_ATTRIBUTE_LENGTH;
    const at = RADIUS_HEADER_LENGTH + 2;
    out.fill(0, at, at + AUTHENTICATOR_LENGTH);
    // The Authenticator field is still zero: the HMAC is over the packet as it stands.
    hmacMd5(a.secret, out).copy(out, at);
  }
  dasRequestAuthenticator(out, a.secret).copy(out, 4);
  return out;
}

/**
 * Builds a Disconnect-ACK/-NAK or CoA-ACK/-NAK answering a request whose Identifier and
 * Request Authenticator are given: a Message-Authenticator first (over the packet with the
 * Request Authenticator in the Authenticator field), then `attributes`, then the Response
 * Authenticator. RangeError on a Code that is not one of 41, 42, 44, 45, a Request
 * Authenticator not of 16 octets, an empty secret, or a packet that would not encode.
 */
export function buildDasResponse(a: { code: number; identifier: number; requestAuthenticator: Buffer; attributes: RadiusAttribute[]; secret: Buffer }): Buffer {
  checkInt('Identifier', a.identifier, 0, 255);
  checkLength('Request Authenticator', a.requestAuthenticator, AUTHENTICATOR_LENGTH);
  const c = a.code;
  if (c !== DasCode.DisconnectAck && c !== DasCode.DisconnectNak && c !== DasCode.CoaAck && c !== DasCode.CoaNak) {
    throw new RangeError(`Code ${c} is not a Disconnect-ACK/-NAK or CoA-ACK/-NAK`);
  }
  return buildResponse({ code: c, identifier: a.identifier, requestAuthenticator: a.requestAuthenticator, attributes: a.attributes, secret: a.secret, messageAuthenticator: true });
}
