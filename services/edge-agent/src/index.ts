/** @airlock/edge-agent: the AP-side agent and its drivers. */
export * from './driver.js';
export * from './agent.js';
export * from './drivers/sim/sim-driver.js';
export * from './drivers/sim/air-model.js';
export * from './sim-topology.js';
export * from './drivers/interface-mac.js';
export * from './drivers/wired/index.js';
export * from './link-credentials.js';
export * from './drivers/nl80211/index.js';
