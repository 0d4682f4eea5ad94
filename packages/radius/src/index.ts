/** @airlock/radius: the RADIUS codec (sans-I/O) and, alongside it, the RADIUS client. */
export * from './codec/index.js';
export * from './client/index.js';
