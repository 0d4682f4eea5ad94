/**
 * @airlock/bytes: what the protocol codecs share and nothing else — the Result of decoding
 * untrusted bytes (decoders return it and never throw) and the byte helpers of encoders.
 * packages/rsn (EAPOL, EAP, RSNE, KDE) and packages/radius both build on it; neither depends
 * on the other.
 */
export * from './result.js';
export * from './bytes.js';
