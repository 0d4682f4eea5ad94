/** @airlock/rsn: the sans-I/O authenticator core. */
export * from './result.js';
export * from './mac.js';
