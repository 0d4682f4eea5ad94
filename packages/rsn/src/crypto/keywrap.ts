/**
 * AES Key Wrap, RFC 3394 §2.2 with the default IV A6A6A6A6A6A6A6A6 (§2.2.3.1), as used for
 * EAPOL-Key Key Data with descriptor versions 2 and 3 and with SAE's version 0 (IEEE 802.11-2020 §12.7.2).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

const DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

function wrapAlgorithm(kek: Uint8Array): string | undefined {
  switch (kek.length) {
    case 16:
      return 'id-aes128-wrap';
    case 24:
      return 'id-aes192-wrap';
    case 32:
      return 'id-aes256-wrap';
    default:
      return undefined;
  }
}

// OpenSSL's wrap ciphers emit everything from update(); final() is empty, so no copy is made.
function joinOutput(head: Buffer, tail: Buffer): Buffer {
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Wraps key data (a multiple of 8 octets, at least 16) under a 128/192/256-bit KEK; RangeError otherwise. */
export function aesKeyWrap(kek: Uint8Array, plaintext: Uint8Array): Buffer {
  const algorithm = wrapAlgorithm(kek);
  if (algorithm === undefined) throw new RangeError(`KEK must be 16, 24 or 32 octets, got ${kek.length}`);
  if (plaintext.length < 16 || plaintext.length % 8 !== 0) {
    throw new RangeError(`key data to wrap must be a multiple of 8 octets and at least 16, got ${plaintext.length}`);
  }
  const cipher = createCipheriv(algorithm, kek, DEFAULT_IV);
  return joinOutput(cipher.update(plaintext), cipher.final());
}

/** Unwraps and checks the integrity value; undefined on a bad length, a bad KEK or a failed check. Never throws. */
export function aesKeyUnwrap(kek: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  const algorithm = wrapAlgorithm(kek);
  if (algorithm === undefined || ciphertext.length < 24 || ciphertext.length % 8 !== 0) return undefined;
  try {
    const decipher = createDecipheriv(algorithm, kek, DEFAULT_IV);
    return joinOutput(decipher.update(ciphertext), decipher.final());
  } catch {
    // OpenSSL reports a failed integrity check as an error: the ciphertext is not authentic.
    return undefined;
  }
}
