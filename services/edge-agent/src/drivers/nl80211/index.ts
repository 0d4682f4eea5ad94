/** The nl80211 driver: the agent as the MLME of access points on Linux mac80211 interfaces. */
export { ApMlme, type MlmeAction, type MlmeConfig, type MlmeCounters, type MlmeDrop } from './ap-mlme.js';
export { loadNetlinkBinding, NETLINK_MISSING } from './netlink-socket.js';
export * from './nl80211-driver.js';
export * from './radio-spec.js';
