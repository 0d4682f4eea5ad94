/**
 * Hidden attribute values, both MD5 stream ciphers keyed with the shared secret and the
 * Request Authenticator:
 *  - User-Password, RFC 2865 §5.2: b1 = MD5(S + RA), c1 = p1 xor b1,
 *    bi = MD5(S + c(i-1)), ci = pi xor bi, over the password padded with NULs to a
 *    multiple of 16 octets (at most 128).
 *  - MS-MPPE-Send-Key / MS-MPPE-Recv-Key, RFC 2548 §2.4.2 / §2.4.3: Salt (2 octets, high
 *    bit set) then the same cipher with b1 = MD5(S + R + A), R the Request Authenticator
 *    of the Access-Request answered and A the Salt, over Key-Length || Key || padding.
 *  - Tunnel-Password, RFC 2868 §3.5: a Tag octet, then the MPPE form (Salt with its high
 *    bit set, then Data-Length || Password || padding under the same cipher).
 * Temporary plaintext buffers are zeroed before they are released.
 */
import { fail, ok, type Result } from '@airlock/bytes';
import { checkLength, checkSecret, md5 } from './bytes.js';
import { AUTHENTICATOR_LENGTH } from './constants.js';

/** Longest User-Password before hiding (RFC 2865 §5.2: "up to 128 octets"). */
export const MAX_USER_PASSWORD_LENGTH = 128;

/** Longest MPPE key encryptMppeKey accepts: 1 + key + padding must fit a 247-octet sub-attribute with its 2-octet Salt. */
export const MAX_MPPE_KEY_LENGTH = 239;

/** XORs `data` (a multiple of 16 octets) in place with the RFC 2865 §5.2 keystream started from `first`. */
function cipherBlocks(data: Buffer, secret: Buffer, first: Buffer, decrypt: boolean): void {
  let chain: Uint8Array = first;
  for (let i = 0; i < data.length; i += 16) {
    const b = md5(secret, chain);
    const block = data.subarray(i, i + 16);
    // The next key block chains on the ciphertext: taken before decrypting, after encrypting.
    const cipherCopy = decrypt ? Buffer.from(block) : undefined;
    for (let j = 0; j < 16; j++) block[j] ^= b[j];
    chain = cipherCopy ?? block;
  }
}

/**
 * Hides a User-Password (RFC 2865 §5.2). The result is 16 to 128 octets; an empty password
 * is padded to one block of NULs and hidden like any other. RangeError when the password
 * exceeds 128 octets, the authenticator is not 16 octets or the secret is empty.
 */
export function hideUserPassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  checkSecret(secret);
  checkLength('Request Authenticator', requestAuthenticator, AUTHENTICATOR_LENGTH);
  if (password.length > MAX_USER_PASSWORD_LENGTH) {
    throw new RangeError(`User-Password of ${password.length} octets exceeds ${MAX_USER_PASSWORD_LENGTH}`);
  }
  const out = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
  password.copy(out);
  cipherBlocks(out, secret, requestAuthenticator, false);
  return out;
}

/**
 * Reveals a hidden User-Password (RFC 2865 §5.2), trailing NUL padding removed. Undefined
 * when the hidden value is not 16..128 octets in whole 16-octet blocks.
 */
export function unhideUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer | undefined {
  checkSecret(secret);
  checkLength('Request Authenticator', requestAuthenticator, AUTHENTICATOR_LENGTH);
  if (hidden.length < 16 || hidden.length > MAX_USER_PASSWORD_LENGTH || hidden.length % 16 !== 0) return undefined;
  const plain = Buffer.from(hidden);
  cipherBlocks(plain, secret, requestAuthenticator, true);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  const password = Buffer.from(plain.subarray(0, end));
  plain.fill(0);
  return password;
}

/**
 * Encrypts an MS-MPPE-Send-Key or MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3): the
 * sub-attribute value Salt || E(Key-Length || Key || padding). `salt` is 2 octets with the
 * high bit set, unique per key in the packet (the caller supplies it: no randomness here).
 * RangeError on a bad salt, an empty key or one longer than 239 octets.
 */
export function encryptMppeKey(key: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: Buffer): Buffer {
  checkSecret(secret);
  checkLength('Request Authenticator', requestAuthenticator, AUTHENTICATOR_LENGTH);
  checkLength('MPPE Salt', salt, 2);
  if ((salt[0] & 0x80) === 0) throw new RangeError('MPPE Salt must have its most significant bit set (RFC 2548 §2.4.2)');
  if (key.length === 0 || key.length > MAX_MPPE_KEY_LENGTH) {
    throw new RangeError(`MPPE key must be 1..${MAX_MPPE_KEY_LENGTH} octets, got ${key.length}`);
  }
  const plainLength = Math.ceil((1 + key.length) / 16) * 16;
  const out = Buffer.alloc(2 + plainLength);
  salt.copy(out, 0);
  const body = out.subarray(2);
  body[0] = key.length;
  key.copy(body, 1);
  cipherBlocks(body, secret, Buffer.concat([requestAuthenticator, salt]), false);
  return out;
}

/**
 * Decrypts an MS-MPPE-Send-Key or MS-MPPE-Recv-Key sub-attribute value (RFC 2548 §2.4.2,
 * §2.4.3) with the Request Authenticator of the Access-Request it answers, with a named
 * error: 'bad-length' (not 2 + a positive multiple of 16 octets), 'invalid' (Salt without
 * its high bit), 'length-overflow' (Key-Length 0 or beyond the decrypted data; a wrong
 * secret or authenticator usually shows up here). Not authenticated by itself: verify the
 * packet (verifyResponse) first. Never throws on any `value`.
 */
export function readMppeKey(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Result<Buffer> {
  checkSecret(secret);
  checkLength('Request Authenticator', requestAuthenticator, AUTHENTICATOR_LENGTH);
  if (value.length < 2 + 16 || (value.length - 2) % 16 !== 0) {
    return fail('bad-length', `MPPE key value of ${value.length} octets is not 2 + a positive multiple of 16`);
  }
  const salt = value.subarray(0, 2);
  if ((salt[0] & 0x80) === 0) return fail('invalid', 'MPPE Salt without its most significant bit set');
  const plain = Buffer.from(value.subarray(2));
  cipherBlocks(plain, secret, Buffer.concat([requestAuthenticator, salt]), true);
  const keyLength = plain[0];
  const result: Result<Buffer> = keyLength === 0 || keyLength > plain.length - 1
    ? fail('length-overflow', `MPPE Key-Length ${keyLength} does not fit the ${plain.length - 1} decrypted octets`)
    : ok(Buffer.from(plain.subarray(1, 1 + keyLength)));
  plain.fill(0);
  return result;
}

/**
 * Decrypts an MS-MPPE-Send-Key or MS-MPPE-Recv-Key sub-attribute value (RFC 2548 §2.4.2,
 * §2.4.3): readMppeKey without the reason. Undefined on a bad Salt, a bad length, or a
 * Key-Length of 0 or beyond the decrypted data.
 */
export function decryptMppeKey(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer | undefined {
  const r = readMppeKey(value, secret, requestAuthenticator);
  return r.ok ? r.value : undefined;
}

/** A Tunnel-Password (RFC 2868 §3.5), decrypted: its tag (0x00..0x1F) and the password octets. */
export interface TunnelPassword {
  tag: number;
  /** The password: the caller owns it (and wipes it). */
  password: Buffer;
}

/**
 * Decrypts a Tunnel-Password value (RFC 2868 §3.5: Tag, Salt, then the MPPE cipher of
 * RFC 2548 over Data-Length || Password || padding) with the Request Authenticator of the
 * Access-Request it answers. Errors as readMppeKey's ('bad-length', 'invalid',
 * 'length-overflow'), plus 'bad-length' for a value without its Tag; a Tag above 0x1F is
 * 'invalid'. Not authenticated by itself: verify the packet first. Never throws on `value`.
 */
export function readTunnelPassword(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Result<TunnelPassword> {
  if (value.length < 1) return fail('bad-length', 'Tunnel-Password without its Tag octet');
  const tag = value[0];
  if (tag > 0x1f) return fail('invalid', `Tunnel-Password Tag 0x${tag.toString(16)} is above 0x1F`);
  const r = readMppeKey(value.subarray(1), secret, requestAuthenticator);
  return r.ok ? ok({ tag, password: r.value }) : r;
}

/**
 * Encrypts a Tunnel-Password (RFC 2868 §3.5): the inverse of readTunnelPassword, for tests
 * and tools. `salt`: 2 octets with the high bit set. RangeError as encryptMppeKey, and on a
 * Tag outside 0..31.
 */
export function encryptTunnelPassword(tag: number, password: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: Buffer): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) throw new RangeError(`Tunnel-Password Tag ${tag}: expected 0..31`);
  return Buffer.concat([Buffer.of(tag), encryptMppeKey(password, secret, requestAuthenticator, salt)]);
}
