#!/usr/bin/env node
/**
 * A hostile agent as its own process, for the log-flood test (issue 13 item 4): over mTLS
 * with a valid certificate it sends a Hello whose software_version is VERSION_BYTES long,
 * then CommandResult{ok: false} with an ERROR_BYTES error text at RATE messages per second
 * (in 10 ms slices, honouring write backpressure) for SECONDS seconds. It prints one JSON
 * line when it stops — messages written, seconds spent, whether it was welcomed, and how its
 * stream ended — and exits.
 *
 *   node log-flood-agent.js TARGET AGENT_ID BSSID_HEX RATE SECONDS ERROR_BYTES VERSION_BYTES
 *
 * The test PKI comes from AIRLOCK_TEST_PKI (test-pki.ts).
 */
import { AgentLinkClient, type AgentMessage } from '@airlock/proto';
import { AKM } from '@airlock/rsn';
import { simBssRsne } from '@airlock/edge-agent';
import { agentCredentials } from './test-pki.js';

const [target, agentId, bssidHex, rateArg, secondsArg, errorArg, versionArg] = process.argv.slice(2);
if (target === undefined || agentId === undefined || bssidHex === undefined || versionArg === undefined) {
  console.error('usage: log-flood-agent TARGET AGENT_ID BSSID_HEX RATE SECONDS ERROR_BYTES VERSION_BYTES');
  process.exit(2);
}
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const errorText = 'E'.repeat(Number(errorArg));
const bssid = Buffer.from(bssidHex, 'hex');
const client = new AgentLinkClient(target, agentCredentials(agentId), { 'grpc.max_send_message_length': 4 << 20, 'grpc.max_receive_message_length': 4 << 20 });
const call = client.connect();
let seq = 0n;
let written = 0;
let welcomed = false;
let ended: string | undefined;
let stopped = false;
const t0 = performance.now();
const write = (body: AgentMessage['body']): boolean => {
  seq += 1n;
  return call.write({ seq, body });
};
let statusSeen = false;
call.on('status', () => (statusSeen = true));
call.on('data', (m: { body?: { $case: string } }) => {
  if (m.body?.$case === 'welcome') welcomed = true;
});
call.on('error', (e: Error) => {
  ended = e.message;
  finish();
});
call.on('end', () => {
  ended ??= 'ended by the authenticator';
  finish();
});

function finish(): void {
  if (stopped) return;
  stopped = true;
  clearInterval(ticker);
  const seconds = (performance.now() - t0) / 1000;
  // Half-close: what was written still reaches the authenticator; then wait for its answer.
  call.end();
  let reported = false;
  const done = (): void => {
    if (reported) return;
    reported = true;
    process.stdout.write(`${JSON.stringify({ written, seconds, welcomed, ended })}\n`);
    call.cancel();
    client.close();
    setTimeout(() => process.exit(0), 50);
  };
  if (statusSeen) done();
  call.once('status', done);
  setTimeout(done, 5000);
}
process.on('SIGTERM', finish);

write({
  $case: 'hello',
  value: {
    agentId,
    softwareVersion: 'V'.repeat(Number(versionArg)),
    bsses: [{ bssid, ssid: Buffer.from('airlock-test'), rsne: simBssRsne(AKM.PSK), wired: false, interfaceMac: Buffer.alloc(0), rsnxe: Buffer.alloc(0), beaconProtection: false }],
    stations: [],
    reportsTxStatus: false,
  },
});

// Paced: every 10 ms, as many results as the rate allows by then.
let blocked = false;
call.on('drain', () => (blocked = false));
const ticker = setInterval(() => {
  const elapsed = (performance.now() - t0) / 1000;
  if (elapsed >= seconds) return finish();
  const due = Math.floor(elapsed * rate);
  while (!blocked && written < due) {
    written++;
    // Results for commands never sent: the authenticator waits for none of them.
    if (!write({ $case: 'commandResult', value: { commandSeq: BigInt(written), ok: false, error: errorText } })) blocked = true;
  }
}, 10);
