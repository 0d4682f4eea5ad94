/** Fingerprints of secrets for logs and `explain`: never the value, only a short hash. */
import { hash } from 'node:crypto';

/** First 8 hex digits of SHA-256(value). */
export function fingerprint(value: Uint8Array): string {
  // The one-shot hash (Node >= 20.12) skips the Hash object createHash builds per call.
  return hash('sha256', value, 'hex').slice(0, 8);
}
