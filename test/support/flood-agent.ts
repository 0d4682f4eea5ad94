#!/usr/bin/env node
/**
 * A hostile agent as its own process, for the flood test: over mTLS with a valid
 * certificate it announces one BSS, associates one station, and then sends EAPOL frames of
 * that station as fast as the stream takes them (honouring write backpressure), until
 * SIGTERM. It prints one JSON line when it stops: messages written and the seconds spent.
 *
 *   node flood-agent.js TARGET AGENT_ID BSSID_HEX STA_HEX
 *
 * The test PKI comes from AIRLOCK_TEST_PKI (test-pki.ts).
 */
import { AgentLinkClient, type AgentMessage } from '@airlock/proto';
import { AKM, EapolType, encodeEapol } from '@airlock/rsn';
import { simBssRsne } from '@airlock/edge-agent';
import { agentCredentials } from './test-pki.js';

const [target, agentId, bssidHex, staHex] = process.argv.slice(2);
if (target === undefined || agentId === undefined || bssidHex === undefined || staHex === undefined) {
  console.error('usage: flood-agent TARGET AGENT_ID BSSID_HEX STA_HEX');
  process.exit(2);
}
const bssid = Buffer.from(bssidHex, 'hex');
const sta = Buffer.from(staHex, 'hex');
const rsne = simBssRsne(AKM.PSK);
const client = new AgentLinkClient(target, agentCredentials(agentId), { 'grpc.max_send_message_length': 1 << 20, 'grpc.max_receive_message_length': 1 << 20 });
const call = client.connect();
let seq = 0n;
let written = 0;
let stopped = false;
const t0 = performance.now();
const write = (body: AgentMessage['body']): boolean => {
  seq += 1n;
  written++;
  return call.write({ seq, body });
};
call.on('data', () => undefined);
call.on('error', (e: Error) => {
  if (!stopped) console.error(`flood agent: stream error ${e.message}`);
  finish();
});

function finish(): void {
  if (stopped) return;
  stopped = true;
  process.stdout.write(`${JSON.stringify({ written, seconds: (performance.now() - t0) / 1000 })}\n`);
  call.cancel();
  client.close();
  setTimeout(() => process.exit(0), 50);
}
process.on('SIGTERM', finish);

write({ $case: 'hello', value: { agentId, softwareVersion: 'flood-agent/0', bsses: [{ bssid, ssid: Buffer.from('airlock-test'), rsne, wired: false, interfaceMac: Buffer.alloc(0), rsnxe: Buffer.alloc(0), beaconProtection: false }], stations: [], reportsTxStatus: false } });
write({ $case: 'stationAssociated', value: { bssid, sta, rsne, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
// EAPOL-Start over and over: each must be read, decoded and rate-limited by the authenticator.
const frame = encodeEapol({ version: 2, type: EapolType.Start, body: Buffer.alloc(0) });
const body: AgentMessage['body'] = { $case: 'eapolReceived', value: { bssid, sta, frame } };
function pump(): void {
  while (!stopped) {
    if (!write(body)) {
      call.once('drain', pump);
      return;
    }
    // Let the event loop breathe now and then (signals, socket writes).
    if (written % 1000 === 0) {
      setImmediate(pump);
      return;
    }
  }
}
pump();
