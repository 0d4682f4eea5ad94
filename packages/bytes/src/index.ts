/**
 * @airlock/bytes: the small things every package shares and nothing else — the Result of
 * decoding untrusted bytes (decoders return it and never throw), the byte helpers of
 * encoders, and the eviction of a bounded map's oldest entry (every table an outsider can
 * grow has a cap). packages/rsn (EAPOL, EAP, RSNE, KDE) and packages/radius both build on
 * it; neither depends on the other.
 */
export * from './result.js';
export * from './bytes.js';
export * from './oldest.js';
