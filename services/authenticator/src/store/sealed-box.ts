/**
 * Key material bound for the shared store is sealed with the key-encryption key of the
 * configuration (redis.kek): AES-256-GCM, a random 96-bit nonce per value, and the value's
 * name in the store as additional data, so a sealed value moved to another key (another
 * station's, another BSS's) does not open. Redis never holds a key in clear (issue 16).
 *
 * Layout: version (1 octet, 1) | KEK id (1 octet) | nonce (12) | ciphertext | tag (16).
 * The KEK id lets a rotation open values sealed under the previous KEK (redis.kek_previous).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;
const HEADER = 2 + NONCE;

export class SealedBox {
  /** KEKs by id; the first of the current id's list is the one that seals. */
  private readonly keks = new Map<number, Buffer[]>();
  private readonly current: Buffer;

  /**
   * `kek`: 32 octets (the current KEK, id `id`); `previous`: older KEKs by id, opened but
   * never used to seal.
   */
  constructor(kek: Buffer, private readonly id = 1, previous: ReadonlyMap<number, readonly Buffer[]> = new Map()) {
    if (kek.length !== 32) throw new Error(`the key-encryption key must be 32 octets (got ${kek.length})`);
    if (id < 0 || id > 255) throw new Error('a KEK id is one octet');
    this.current = Buffer.from(kek);
    this.keks.set(id, [this.current]);
    for (const [i, list] of previous) {
      for (const k of list) {
        if (k.length !== 32) throw new Error(`previous key-encryption key ${i} must be 32 octets`);
        const have = this.keks.get(i) ?? [];
        have.push(Buffer.from(k));
        this.keks.set(i, have);
      }
    }
  }

  /** Seals `plain` for the store under the name `name` (the additional data). */
  seal(plain: Buffer, name: string): Buffer {
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', this.current, nonce);
    c.setAAD(Buffer.from(name, 'utf8'));
    const body = c.update(plain);
    c.final();
    return Buffer.concat([Buffer.from([VERSION, this.id]), nonce, body, c.getAuthTag()]);
  }

  /** The plaintext of a sealed value, or undefined when it is not one of ours, was sealed under another name or was altered. */
  open(sealed: Buffer, name: string): Buffer | undefined {
    if (sealed.length < HEADER + TAG || sealed[0] !== VERSION) return undefined;
    for (const kek of this.keks.get(sealed[1]) ?? []) {
      try {
        const d = createDecipheriv('aes-256-gcm', kek, sealed.subarray(2, HEADER));
        d.setAAD(Buffer.from(name, 'utf8'));
        d.setAuthTag(sealed.subarray(sealed.length - TAG));
        const body = d.update(sealed.subarray(HEADER, sealed.length - TAG));
        d.final();
        return body;
      } catch {
        // another KEK with the same id, or not ours
      }
    }
    return undefined;
  }

  /** Overwrites the KEKs held (at shutdown). */
  wipe(): void {
    for (const list of this.keks.values()) for (const k of list) k.fill(0);
  }
}
