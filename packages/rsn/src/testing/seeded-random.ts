/** Deterministic bytes for reproducible tests and scenarios (never for keys in the product). */
import { createHash } from 'node:crypto';

/** A deterministic byte source: SHA-256(seed || ":" || counter) blocks. Same seed, same bytes. */
export function seededRandom(seed: string): (n: number) => Buffer {
  let counter = 0;
  return (n: number): Buffer => {
    const out = Buffer.alloc(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(seed).update(':').update(String(counter++)).digest();
      block.copy(out, off, 0, Math.min(32, n - off));
    }
    return out;
  };
}
