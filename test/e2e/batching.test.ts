/**
 * AgentLink's two RPCs carry the same protocol: Connect (one AgentMessage per gRPC message)
 * and ConnectBatched (AgentBatch / ControllerBatch, each message with its own seq). Both
 * join stations; on ConnectBatched the seq rules apply to the messages inside the batches,
 * and commands of one turn arrive together.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { AgentLinkClient, type AgentBatch, type ControllerBatch } from '@airlock/proto';
import { EdgeAgent, SimDriver, simBssRsne, simBsses, simStations } from '@airlock/edge-agent';
import { AKM } from '@airlock/rsn';
import { agentCredentials } from '../support/test-pki.js';
import { fetchMetrics, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

void describe('Connect and ConnectBatched', () => {
  void it('agents on either RPC join their stations, with equal keys on both sides', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const agents: EdgeAgent[] = [];
    const drivers: SimDriver[] = [];
    try {
      for (const [i, batched] of [[1, true], [2, false]] as const) {
        const t = { agentNumber: i, bsses: 2, stations: 15, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
        const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 300 }, seed: i });
        drivers.push(driver);
        agents.push(new EdgeAgent({ agentId: `ap-${i}`, target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials(`ap-${i}`), batched }));
      }
      await Promise.all(agents.map((a) => a.start()));
      assert.ok(await waitFor(() => drivers.every((d) => d.authorizedCount() === 15), 10_000), `authorized: ${drivers.map((d) => d.authorizedCount()).join(', ')}`);
      for (const d of drivers) {
        assert.deepEqual(d.violations, []);
        for (const k of d.keyViews()) assert.ok(k.apTk && k.stationTk && k.apTk.equals(k.stationTk), k.sta);
      }
      assert.equal((await fetchMetrics(auth)).get('airlock_handshakes_total{result="success"}'), 30);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await auth.stop(500);
    }
  });

  void it('ConnectBatched: Welcome arrives in a batch, and a seq gap inside a batch ends the stream with FAILED_PRECONDITION', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const client = new AgentLinkClient(`localhost:${auth.grpcPort}`, agentCredentials('raw-1'));
    const call = client.connectBatched();
    const received: ControllerBatch[] = [];
    let ended: grpc.StatusObject | undefined;
    call.on('data', (b: ControllerBatch) => received.push(b));
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => (ended = s));
    try {
      const bssid = Buffer.from('02ee000000b1', 'hex');
      const rsne = simBssRsne(AKM.PSK);
      const sta = Buffer.from('02ee000000c1', 'hex');
      const batch: AgentBatch = {
        messages: [
          { seq: 1n, body: { $case: 'hello', value: { agentId: 'raw-1', softwareVersion: 'test', bsses: [{ bssid, ssid: Buffer.from(TEST_SSID), rsne, wired: false, interfaceMac: Buffer.alloc(0), rsnxe: Buffer.alloc(0), beaconProtection: false }], stations: [], reportsTxStatus: false } } },
          { seq: 2n, body: { $case: 'stationAssociated', value: { bssid, sta, rsne, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } } },
        ],
      };
      call.write(batch);
      assert.ok(await waitFor(() => received.flatMap((b) => b.messages).some((m) => m.body?.$case === 'transmitEapol'), 3000), 'msg 1/4 for the station');
      const first = received.flatMap((b) => b.messages);
      assert.equal(first[0].body?.$case, 'welcome');
      assert.deepEqual(first.map((m) => m.seq), first.map((_m, i) => BigInt(i + 1)), 'consecutive seqs across batches');
      // Messages 3 and 5: a gap inside one batch.
      call.write({ messages: [{ seq: 3n, body: { $case: 'stationCounters', value: { bssid, sta, rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n } } }, { seq: 5n, body: { $case: 'stationCounters', value: { bssid, sta, rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n } } }] });
      assert.ok(await waitFor(() => ended !== undefined, 3000));
      assert.equal(ended?.code, grpc.status.FAILED_PRECONDITION);
      assert.match(ended?.details ?? '', /sequence gap: expected seq 4, got 5/);
    } finally {
      call.cancel();
      client.close();
      await auth.stop(500);
    }
  });
});
