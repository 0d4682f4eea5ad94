/**
 * The key-encryption keys of the configuration (redis.kek, redis.kek_previous) as the
 * sealed box takes them. A KEK's id (the octet a sealed value names it by) is the first
 * octet of its SHA-256, so every instance derives the same id from the same KEK without
 * another setting; two KEKs with the same id are both tried (sealed-box.ts).
 */
import { createHash } from 'node:crypto';

export function kekId(kek: Buffer): number {
  return createHash('sha256').update(kek).digest()[0];
}

export function keksOf(kekHex: string, previousHex: string): { kek: Buffer; id: number; previous: Map<number, Buffer[]> } {
  const kek = Buffer.from(kekHex, 'hex');
  const previous = new Map<number, Buffer[]>();
  if (previousHex !== '') {
    const p = Buffer.from(previousHex, 'hex');
    previous.set(kekId(p), [p]);
  }
  return { kek, id: kekId(kek), previous };
}
