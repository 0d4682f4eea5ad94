/**
 * RADIUS Dynamic Authorization Server (RFC 5176): Disconnect-Request and CoA-Request from
 * policy servers. The codec additions (das-codec.ts, das-constants.ts, station-id.ts,
 * ip-address.ts, das-request.ts) and the sans-I/O server (das-server.ts) do no I/O; the UDP
 * listener (das-listener.ts) drives the server.
 */
export * from './das-constants.js';
export * from './das-codec.js';
export * from './station-id.js';
export * from './ip-address.js';
export * from './das-request.js';
export * from './das-server.js';
export * from './das-listener.js';
