/**
 * PSK derivation, IEEE 802.11-2020 Annex J.4.1: PSK = PBKDF2-HMAC-SHA1(passphrase, SSID,
 * 4096, 256 bits), and a bounded cache so each (SSID, passphrase) pair is derived once.
 */
import { takeOldest } from '@airlock/bytes';
import { pbkdf2Sync } from 'node:crypto';

const PSK_ITERATIONS = 4096;
const PSK_LENGTH = 32;
const PASSPHRASE_RE = /^[\x20-\x7e]{8,63}$/;
const RAW_PSK_RE = /^[0-9a-fA-F]{64}$/;

/** PSK from an ASCII passphrase (J.4.1); throws RangeError unless 8..63 printable ASCII characters. */
export function pbkdf2Psk(passphrase: string, ssid: Uint8Array): Buffer {
  if (!PASSPHRASE_RE.test(passphrase)) {
    throw new RangeError('passphrase must be 8..63 printable ASCII characters (IEEE 802.11-2020 J.4.1)');
  }
  return pbkdf2Sync(passphrase, ssid, PSK_ITERATIONS, PSK_LENGTH, 'sha1');
}

/**
 * Why `s` is neither a passphrase (J.4.1: 8..63 printable ASCII characters, 32..126) nor a
 * raw PSK (64 hex digits), or undefined when it is one. The text gives the length and the
 * kind of problem, never the value: it is a secret.
 */
export function passphraseProblem(s: string): string | undefined {
  if (RAW_PSK_RE.test(s) || PASSPHRASE_RE.test(s)) return undefined;
  const expected = 'expected 8..63 printable ASCII characters or 64 hex digits';
  const n = [...s].length;
  if (n === 64) return `${expected}, got 64 characters that are not all hex digits`;
  if (n < 8 || n > 63) return `${expected}, got ${n} characters`;
  return `${expected}, got ${n} characters including non-printable or non-ASCII ones`;
}

/** A raw 256-bit PSK written as 64 hex digits, or undefined if the string is not one. */
export function pskFromHex(hex: string): Buffer | undefined {
  return RAW_PSK_RE.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/** Computes each (SSID, passphrase) PSK once; bounded LRU. */
export class PskCache {
  readonly #maxEntries: number;
  // Map iteration order is insertion order: the first key is the least recently used.
  readonly #entries = new Map<string, Buffer>();
  #computations = 0;

  /** A cache holding at most `maxEntries` PSKs (default 4096). */
  constructor(opts?: { maxEntries?: number }) {
    const maxEntries = opts?.maxEntries ?? 4096;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
  }

  /**
   * The PSK for (SSID, passphrase), derived on first use. Returns a copy the caller owns and
   * may wipe; the cached value stays intact.
   */
  get(ssid: Uint8Array, passphrase: string): Buffer {
    // Hex has no ':', so the key is unambiguous for any SSID bytes and passphrase.
    const key = `${Buffer.from(ssid.buffer, ssid.byteOffset, ssid.byteLength).toString('hex')}:${passphrase}`;
    let psk = this.#entries.get(key);
    if (psk !== undefined) {
      this.#entries.delete(key);
    } else {
      psk = pbkdf2Psk(passphrase, ssid);
      this.#computations++;
      if (this.#entries.size >= this.#maxEntries) this.#evictOldest();
    }
    this.#entries.set(key, psk);
    return Buffer.from(psk);
  }

  /** Wipes and drops every cached PSK (e.g. after a configuration reload). */
  clear(): void {
    for (const psk of this.#entries.values()) psk.fill(0);
    this.#entries.clear();
  }

  /** How many PBKDF2 derivations this cache has run. */
  get computations(): number {
    return this.#computations;
  }

  /** How many PSKs are cached. */
  get size(): number {
    return this.#entries.size;
  }

  #evictOldest(): void {
    takeOldest(this.#entries)?.[1].fill(0);
  }
}
