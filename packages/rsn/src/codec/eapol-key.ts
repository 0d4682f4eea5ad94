/**
 * EAPOL-Key frames: IEEE 802.11-2020 §12.7.2 (Figure 12-32, Key Information Figure 12-33),
 * RSN Key Descriptor (type 2) with the 16-octet Key MIC of AKMs 1, 2, 5 and 6; message
 * classification per §12.7.6 (4-way handshake) and §12.7.7 (group key handshake).
 */
import { fail, ok, type Result } from '../result.js';
import { asBuffer, checkInt, checkLength } from './bytes.js';
import { EAPOL_HEADER_LENGTH, EapolType } from './eapol.js';

/** Descriptor Type of the IEEE 802.11 (RSN) Key Descriptor (IEEE 802.1X-2004 §11.9). */
export const KEY_DESCRIPTOR_RSN = 2;

/** Key Information field bits (§12.7.2, Figure 12-33). */
export const KeyInfo = {
  VERSION_MASK: 0x0007,
  PAIRWISE: 0x0008,
  INSTALL: 0x0040,
  ACK: 0x0080,
  MIC: 0x0100,
  SECURE: 0x0200,
  ERROR: 0x0400,
  REQUEST: 0x0800,
  ENCRYPTED_KEY_DATA: 0x1000,
  SMK_MESSAGE: 0x2000,
} as const;

/** Octets of an EAPOL-Key body before Key Data (16-octet MIC). */
export const EAPOL_KEY_FIXED_LENGTH = 95;

/** Offset of the Key MIC from the start of the 802.1X header (4 + 77). */
export const EAPOL_KEY_MIC_OFFSET = EAPOL_HEADER_LENGTH + 77;

// Field offsets inside the EAPOL-Key body (§12.7.2, Figure 12-32, 16-octet MIC).
const OFF_KEY_INFO = 1;
const OFF_KEY_LENGTH = 3;
const OFF_REPLAY_COUNTER = 5;
const OFF_NONCE = 13;
const OFF_IV = 45;
const OFF_RSC = 61;
const OFF_RESERVED = 69;
const OFF_MIC = 77;
const OFF_KEY_DATA_LENGTH = 93;
const MIC_LENGTH = 16;
const MAX_KEY_DATA = 0xffff - EAPOL_KEY_FIXED_LENGTH;

/** An EAPOL-Key body, RSN descriptor, with every field of §12.7.2. */
export interface EapolKey {
  /** Descriptor Type: 2 for RSN. */
  descriptorType: number;
  /** Key Information (see KeyInfo). */
  keyInfo: number;
  /** Key Length: octets of the pairwise temporal key (0 in frames from the supplicant). */
  keyLength: number;
  /** Key Replay Counter (64 bits). */
  replayCounter: bigint;
  /** Key Nonce, 32 octets. */
  nonce: Buffer;
  /** EAPOL-Key IV, 16 octets (zero with AES key wrap). */
  iv: Buffer;
  /** Key RSC, 8 octets. */
  rsc: Buffer;
  /** Reserved, 8 octets. */
  reserved: Buffer;
  /** Key MIC, 16 octets. */
  mic: Buffer;
  /** Key Data, as on the wire (possibly AES-key-wrapped). */
  keyData: Buffer;
}

/** Octets of the fixed-size Buffer fields (nonce, IV, RSC, reserved, MIC). */
const ZEROED_FIELDS_LENGTH = 32 + 16 + 8 + 8 + MIC_LENGTH;

/** An EapolKey with the given fields; the others zero-filled, descriptor type 2. */
export function newEapolKey(fields: Partial<EapolKey>): EapolKey {
  // One zeroed allocation from Node's pool (Buffer.alloc would make one ArrayBuffer per
  // field, each far costlier than a pooled slice); the fields are disjoint views of it.
  const z = Buffer.allocUnsafe(ZEROED_FIELDS_LENGTH).fill(0);
  return {
    descriptorType: fields.descriptorType ?? KEY_DESCRIPTOR_RSN,
    keyInfo: fields.keyInfo ?? 0,
    keyLength: fields.keyLength ?? 0,
    replayCounter: fields.replayCounter ?? 0n,
    nonce: fields.nonce ?? z.subarray(0, 32),
    iv: fields.iv ?? z.subarray(32, 48),
    rsc: fields.rsc ?? z.subarray(48, 56),
    reserved: fields.reserved ?? z.subarray(56, 64),
    mic: fields.mic ?? z.subarray(64, 64 + MIC_LENGTH),
    keyData: fields.keyData ?? z.subarray(0, 0),
  };
}

/**
 * Decodes an EAPOL-Key body (the EAPOL Packet Body of a frame of type Key).
 *
 * Fewer than 95 octets is 'truncated'; a Descriptor Type other than 2 is 'bad-type'; a Key
 * Data Length beyond the body is 'length-overflow'. Trailing bytes: octets after Key Data
 * are ignored. Key Information is not judged here (descriptor version, bit combinations):
 * that is the state machine's policy.
 *
 * Zero-copy: every Buffer field is a view of `body`.
 */
export function decodeEapolKey(body: Uint8Array): Result<EapolKey> {
  if (body.length < EAPOL_KEY_FIXED_LENGTH) {
    return fail('truncated', `EAPOL-Key body needs ${EAPOL_KEY_FIXED_LENGTH} octets, got ${body.length}`);
  }
  const b = asBuffer(body);
  const descriptorType = b[0];
  if (descriptorType !== KEY_DESCRIPTOR_RSN) {
    return fail('bad-type', `key descriptor type ${descriptorType}, expected ${KEY_DESCRIPTOR_RSN} (RSN)`);
  }
  const keyDataLength = b.readUInt16BE(OFF_KEY_DATA_LENGTH);
  const end = EAPOL_KEY_FIXED_LENGTH + keyDataLength;
  if (end > b.length) {
    return fail('length-overflow', `Key Data Length ${keyDataLength} exceeds the ${b.length - EAPOL_KEY_FIXED_LENGTH} octets present`);
  }
  return ok({
    descriptorType,
    keyInfo: b.readUInt16BE(OFF_KEY_INFO),
    keyLength: b.readUInt16BE(OFF_KEY_LENGTH),
    replayCounter: b.readBigUInt64BE(OFF_REPLAY_COUNTER),
    nonce: b.subarray(OFF_NONCE, OFF_IV),
    iv: b.subarray(OFF_IV, OFF_RSC),
    rsc: b.subarray(OFF_RSC, OFF_RESERVED),
    reserved: b.subarray(OFF_RESERVED, OFF_MIC),
    mic: b.subarray(OFF_MIC, OFF_KEY_DATA_LENGTH),
    keyData: b.subarray(EAPOL_KEY_FIXED_LENGTH, end),
  });
}

/** Throws RangeError unless every field of `key` fits its slot in the body. */
function checkEapolKey(key: EapolKey): void {
  checkInt('descriptor type', key.descriptorType, 0, 0xff);
  checkInt('key information', key.keyInfo, 0, 0xffff);
  checkInt('key length', key.keyLength, 0, 0xffff);
  if (typeof key.replayCounter !== 'bigint' || key.replayCounter < 0n || key.replayCounter > 0xffffffffffffffffn) {
    throw new RangeError(`replay counter must be a 64-bit unsigned bigint, got ${String(key.replayCounter)}`);
  }
  checkLength('key nonce', key.nonce, 32);
  checkLength('EAPOL-Key IV', key.iv, 16);
  checkLength('key RSC', key.rsc, 8);
  checkLength('reserved', key.reserved, 8);
  checkLength('key MIC', key.mic, MIC_LENGTH);
  checkInt('key data length', key.keyData.length, 0, MAX_KEY_DATA);
}

/** Writes the body of `key` into `out` at `at`; `out` has room for it (checked by the caller). */
function writeEapolKeyBody(out: Buffer, at: number, key: EapolKey): void {
  out[at] = key.descriptorType;
  out.writeUInt16BE(key.keyInfo, at + OFF_KEY_INFO);
  out.writeUInt16BE(key.keyLength, at + OFF_KEY_LENGTH);
  out.writeBigUInt64BE(key.replayCounter, at + OFF_REPLAY_COUNTER);
  out.set(key.nonce, at + OFF_NONCE);
  out.set(key.iv, at + OFF_IV);
  out.set(key.rsc, at + OFF_RSC);
  out.set(key.reserved, at + OFF_RESERVED);
  out.set(key.mic, at + OFF_MIC);
  out.writeUInt16BE(key.keyData.length, at + OFF_KEY_DATA_LENGTH);
  out.set(key.keyData, at + EAPOL_KEY_FIXED_LENGTH);
}

/**
 * Encodes an EAPOL-Key body (no 802.1X header); Key Data Length is `keyData.length`.
 * Throws RangeError when a field has the wrong size (e.g. a nonce that is not 32 octets).
 */
export function encodeEapolKey(key: EapolKey): Buffer {
  checkEapolKey(key);
  const out = Buffer.allocUnsafe(EAPOL_KEY_FIXED_LENGTH + key.keyData.length);
  writeEapolKeyBody(out, 0, key);
  return out;
}

/**
 * Encodes a whole EAPOL-Key frame: 802.1X header (given version, type Key) then the body,
 * in one allocation. Throws RangeError like encodeEapolKey.
 */
export function encodeEapolKeyFrame(key: EapolKey, eapolVersion: number): Buffer {
  checkEapolKey(key);
  checkInt('EAPOL version', eapolVersion, 0, 0xff);
  const bodyLength = EAPOL_KEY_FIXED_LENGTH + key.keyData.length;
  const out = Buffer.allocUnsafe(EAPOL_HEADER_LENGTH + bodyLength);
  out[0] = eapolVersion;
  out[1] = EapolType.Key;
  out.writeUInt16BE(bodyLength, 2);
  writeEapolKeyBody(out, EAPOL_HEADER_LENGTH, key);
  return out;
}

/**
 * What the Key MIC is computed over (§12.7.2 "Key MIC"): a copy of `frame` (starting at the
 * 802.1X header) cut to 4 + declared Packet Body Length, with the MIC field zeroed; every
 * other octet byte-exact as received, so a peer's MIC verifies even over fields we would
 * encode differently. Undefined unless `frame` is a well-formed EAPOL-Key frame: version
 * >= 1, type Key, declared body within the buffer, at least 95 body octets, descriptor
 * type 2, Key Data within the declared body. Bytes after the declared body (Ethernet
 * padding) are dropped.
 */
export function zeroedMicCopy(frame: Uint8Array): Buffer | undefined {
  if (frame.length < EAPOL_HEADER_LENGTH || frame[0] === 0 || frame[1] !== EapolType.Key) return undefined;
  const bodyLength = (frame[2] << 8) | frame[3];
  const end = EAPOL_HEADER_LENGTH + bodyLength;
  if (end > frame.length || bodyLength < EAPOL_KEY_FIXED_LENGTH) return undefined;
  if (frame[EAPOL_HEADER_LENGTH] !== KEY_DESCRIPTOR_RSN) return undefined;
  const kdl = EAPOL_HEADER_LENGTH + OFF_KEY_DATA_LENGTH;
  const keyDataLength = (frame[kdl] << 8) | frame[kdl + 1];
  if (EAPOL_KEY_FIXED_LENGTH + keyDataLength > bodyLength) return undefined;
  const copy = Buffer.allocUnsafe(end);
  copy.set(frame.subarray(0, end));
  copy.fill(0, EAPOL_KEY_MIC_OFFSET, EAPOL_KEY_MIC_OFFSET + MIC_LENGTH);
  return copy;
}

/**
 * Writes the 16-octet `mic` into an encoded EAPOL-Key frame (from the 802.1X header) at
 * EAPOL_KEY_MIC_OFFSET. Throws RangeError if `mic` is not 16 octets or the frame is too short.
 */
export function writeMic(frame: Buffer, mic: Uint8Array): void {
  checkLength('key MIC', mic, MIC_LENGTH);
  if (frame.length < EAPOL_HEADER_LENGTH + EAPOL_KEY_FIXED_LENGTH) {
    throw new RangeError(`EAPOL-Key frame must be at least ${EAPOL_HEADER_LENGTH + EAPOL_KEY_FIXED_LENGTH} octets, got ${frame.length}`);
  }
  frame.set(mic, EAPOL_KEY_MIC_OFFSET);
}

/** The messages of §12.7.6 and §12.7.7 that describeKeyMessage tells apart. */
export type KeyMessageKind = 'msg1/4' | 'msg2/4' | 'msg3/4' | 'msg4/4' | 'group1/2' | 'group2/2' | 'request' | 'unknown';

/**
 * Names the handshake message `key` is, from its Key Information bits (§12.7.6.2-5,
 * §12.7.7.2-3), for logs and dispatch. The rule, in order:
 *  - SMK Message set: 'unknown' (PeerKey, removed from the standard);
 *  - Request set: 'request' (EAPOL-Key request, including MIC failure reports);
 *  - Key Type Pairwise: Ack without MIC is 'msg1/4'; Ack with MIC is 'msg3/4'; MIC without
 *    Ack is 'msg4/4' when Key Data is empty and 'msg2/4' otherwise;
 *  - Key Type Group: Ack with MIC is 'group1/2'; MIC without Ack is 'group2/2';
 *  - anything else: 'unknown'.
 * Msg 2/4 vs 4/4 follows hostapd's wpa_receive(): msg 2/4 always carries the station's RSNE
 * in Key Data (§12.7.6.3) and msg 4/4 carries none (§12.7.6.5). The Secure bit is not
 * consulted, as hostapd does not consult it: WPA-style stations send msg 4/4 without it
 * (e.g. iwd's unit/test-eapol.c eapol_key_data_16), so keying on Secure would turn their
 * msg 4/4 into a msg 2/4 that fails. Install, Secure and Encrypted Key Data are not checked
 * here: the state machine validates each message it accepts.
 */
export function describeKeyMessage(key: EapolKey): KeyMessageKind {
  const info = key.keyInfo;
  if (info & KeyInfo.SMK_MESSAGE) return 'unknown';
  if (info & KeyInfo.REQUEST) return 'request';
  const ack = (info & KeyInfo.ACK) !== 0;
  const mic = (info & KeyInfo.MIC) !== 0;
  if (info & KeyInfo.PAIRWISE) {
    if (ack) return mic ? 'msg3/4' : 'msg1/4';
    if (mic) return key.keyData.length === 0 ? 'msg4/4' : 'msg2/4';
    return 'unknown';
  }
  if (mic) return ack ? 'group1/2' : 'group2/2';
  return 'unknown';
}
