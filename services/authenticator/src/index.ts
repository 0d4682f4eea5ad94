/** @airlock/authenticator: the central authenticator service. */
export * from './config.js';
export * from './metrics.js';
export * from './version.js';
export * from './config-reload.js';
export * from './logging.js';
export * from './http-endpoints.js';
export * from './service.js';
export * from './report-metrics.js';
export * from './akm-names.js';
export * from './server.js';
export { AgentSession } from './agent-session.js';
export * from './random-pool.js';
/** The shared store's Lua scripts (store/store-scripts.ts), run against a real Redis by the tests. */
export * as storeScripts from './store/store-scripts.js';
