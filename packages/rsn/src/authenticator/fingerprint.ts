/** Fingerprints of secrets for logs and `explain`: never the value, only a short hash. */
import { createHash } from 'node:crypto';

/** First 8 hex digits of SHA-256(value). */
export function fingerprint(value: Uint8Array): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}
