#!/usr/bin/env node
/**
 * A hostile agent as its own process, for the fairness test (issue 13 item 1): over mTLS
 * with a valid certificate it announces BSSES BSSes and then associates stations that never
 * answer a single EAPOL frame:
 *
 *   node stall-agent.js TARGET AGENT_ID stalled N BSSES   N stations at once; the stream drops on SIGTERM
 *   node stall-agent.js TARGET AGENT_ID spoof RATE BSSES  RATE new MACs per second on the first BSS, until SIGTERM
 *
 * `stalled` with a large N is also the station-table attack. It prints one JSON line when it
 * stops: associations written and the seconds spent. The test PKI comes from AIRLOCK_TEST_PKI.
 */
import { randomBytes } from 'node:crypto';
import { AgentLinkClient, type AgentMessage } from '@airlock/proto';
import { AKM } from '@airlock/rsn';
import { simBssRsne } from '@airlock/edge-agent';
import { agentCredentials } from './test-pki.js';

const [target, agentId, mode, countText, bssText] = process.argv.slice(2);
if (target === undefined || agentId === undefined || (mode !== 'stalled' && mode !== 'spoof') || countText === undefined) {
  console.error('usage: stall-agent TARGET AGENT_ID stalled|spoof N|RATE [BSSES]');
  process.exit(2);
}
const count = Number(countText);
const bssCount = Number(bssText ?? '1');
const rsne = simBssRsne(AKM.PSK);
const bssids = Array.from({ length: bssCount }, (_v, i) => Buffer.from([0x02, 0xbd, 0, 0, (i >> 8) & 0xff, i & 0xff]));
const client = new AgentLinkClient(target, agentCredentials(agentId), { 'grpc.max_send_message_length': 1 << 20, 'grpc.max_receive_message_length': 1 << 20 });
const call = client.connect();
let seq = 0n;
let associations = 0;
let stopped = false;
const t0 = performance.now();
const write = (body: AgentMessage['body']): boolean => {
  seq += 1n;
  return call.write({ seq, body });
};
// Commands (msg 1/4 to transmit, ...) are read and ignored: the stations never answer.
call.on('data', () => undefined);
call.on('error', (e: Error) => {
  if (!stopped) console.error(`stall agent: stream error ${e.message}`);
  finish();
});

function finish(): void {
  if (stopped) return;
  stopped = true;
  process.stdout.write(`${JSON.stringify({ associations, seconds: (performance.now() - t0) / 1000 })}\n`);
  call.cancel();
  client.close();
  setTimeout(() => process.exit(0), 50);
}
process.on('SIGTERM', finish);

function associate(bssid: Buffer, sta: Buffer): boolean {
  associations++;
  return write({ $case: 'stationAssociated', value: { bssid, sta, rsne, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
}

write({ $case: 'hello', value: { agentId, softwareVersion: 'stall-agent/0', bsses: bssids.map((bssid) => ({ bssid, ssid: Buffer.from('airlock-test'), rsne, wired: false, interfaceMac: Buffer.alloc(0), rsnxe: Buffer.alloc(0), beaconProtection: false })), stations: [], reportsTxStatus: false } });

if (mode === 'stalled') {
  let i = 0;
  const pump = (): void => {
    while (i < count) {
      const sta = Buffer.from([0x02, 0x5a, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x01]);
      const more = associate(bssids[i % bssids.length], sta);
      i++;
      if (!more) {
        call.once('drain', pump);
        return;
      }
    }
    // Everything is written; the test drops the stream (SIGTERM) once the authenticator read it.
  };
  pump();
} else {
  // A station spoofing MACs: a fresh random (locally administered) MAC every 1/RATE s.
  const perTick = Math.max(1, Math.round(count / 50));
  setInterval(() => {
    for (let k = 0; k < perTick; k++) {
      const sta = randomBytes(6);
      sta[0] = (sta[0] & 0xfc) | 0x02;
      associate(bssids[0], sta);
    }
  }, 20);
}
