/** @airlock/rsn: the sans-I/O authenticator core. */
export * from './result.js';
export * from './mac.js';
export * from './suites.js';
export * from './crypto/index.js';
export * from './codec/index.js';
export * from './authenticator/index.js';
export * as sae from './sae/index.js';
