/**
 * The hash constructions of SAE for group 19 (IEEE 802.11-2020 §12.4.2, §12.4.4.2.3): H is
 * HMAC-SHA-256 used as HKDF-Extract (RFC 5869 §2.2, H(salt, ikm) = HMAC(salt, ikm)),
 * HKDF-Expand (RFC 5869 §2.3), and the address order MAX(STA-A-MAC, STA-B-MAC) ||
 * MIN(STA-A-MAC, STA-B-MAC) both PWE derivations hash.
 */
import { createHmac } from 'node:crypto';

const SHA256_LEN = 32;
const MAC_LEN = 6;

/** HKDF-Extract with SHA-256: HMAC-SHA-256(salt, ikm_1 || ikm_2 || ...). */
export function hkdfExtract(salt: Uint8Array, ...ikm: Uint8Array[]): Buffer {
  const h = createHmac('sha256', salt);
  for (const part of ikm) h.update(part);
  return h.digest();
}

/** HKDF-Expand with SHA-256 (RFC 5869 §2.3): the first `length` octets of T(1) || T(2) || ... */
export function hkdfExpand(prk: Uint8Array, info: string, length: number): Buffer {
  if (!Number.isInteger(length) || length <= 0 || length > 255 * SHA256_LEN) {
    throw new RangeError(`HKDF-Expand length must be 1..${255 * SHA256_LEN} octets, got ${length}`);
  }
  const infoOctets = Buffer.from(info, 'latin1');
  const out = Buffer.allocUnsafe(length); // filled block by block below
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 1, pos = 0; pos < length; i++, pos += SHA256_LEN) {
    const block = createHmac('sha256', prk).update(previous).update(infoOctets).update(Uint8Array.of(i)).digest();
    block.copy(out, pos, 0, Math.min(SHA256_LEN, length - pos));
    previous.fill(0);
    previous = block;
  }
  previous.fill(0);
  return out;
}

/** MAX(mac1, mac2) || MIN(mac1, mac2), the addresses compared as unsigned integers. */
export function macsMaxMin(mac1: Uint8Array, mac2: Uint8Array): Buffer {
  if (mac1.length !== MAC_LEN || mac2.length !== MAC_LEN) throw new RangeError('SAE station addresses must be 6 octets');
  // Station addresses are public: an ordinary compare is fine.
  const firstIsMax = Buffer.compare(mac1, mac2) > 0;
  return Buffer.concat([firstIsMax ? mac1 : mac2, firstIsMax ? mac2 : mac1]);
}
