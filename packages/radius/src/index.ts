/** @airlock/radius: the RADIUS codec (sans-I/O) and, alongside it, the RADIUS client and the Dynamic Authorization Server (RFC 5176). */
export * from './codec/index.js';
export * from './client/index.js';
export * from './das/index.js';
