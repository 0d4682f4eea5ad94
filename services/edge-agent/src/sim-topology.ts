/**
 * Addresses and station sets of a sim agent: agent number `n` gets BSSIDs
 * 02:a1:NN:NN:00:0b and stations 02:5a:NN:NN:ss:ss, so several agents never collide.
 */
import type { SimBssSpec, SimStationSpec } from './drivers/sim/sim-driver.js';

/** Shape of one sim agent's radio. */
export interface SimTopology {
  agentNumber: number;
  bsses: number;
  stations: number;
  ssid: string;
  passphrase: string;
}

function mac(prefix: number, n: number, i: number): Buffer {
  return Buffer.from([0x02, prefix, (n >> 8) & 0xff, n & 0xff, (i >> 8) & 0xff, i & 0xff]);
}

/** The BSS specs of agent `agentNumber`. */
export function simBsses(t: SimTopology): SimBssSpec[] {
  return Array.from({ length: t.bsses }, (_, b) => ({ bssid: mac(0xa1, t.agentNumber, b + 1), ssid: t.ssid }));
}

/** The station specs of agent `agentNumber`. */
export function simStations(t: SimTopology): SimStationSpec[] {
  return Array.from({ length: t.stations }, (_, s) => ({ mac: mac(0x5a, t.agentNumber, s + 1), passphrase: t.passphrase }));
}
