/**
 * An agent that reads nothing (DESIGN.md "Flow control": queues are bounded, never
 * buffered without limit): a hostile agent over mTLS announces BSSes, associates stations
 * and stops reading its stream. The authenticator's commands for it (msg 1/4, disconnects)
 * fill gRPC's and HTTP/2's buffers, then its outbox; at 4 x limits.agent_send_queue waiting
 * the authenticator gives the stream up: RESOURCE_EXHAUSTED, counted as
 * send_queue_overflow, the waiting commands discarded (their keys wiped). Meanwhile a
 * healthy agent's stations join.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { AKM } from '@airlock/rsn';
import { simBssRsne, type EdgeAgent, type SimDriver } from '@airlock/edge-agent';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { agentCredentials } from '../support/test-pki.js';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { fetchMetrics, startSimAgents, startTestAuthenticator, testConfig, TEST_SSID, waitFor } from '../support/topology.js';

const RSNE = simBssRsne(AKM.PSK);
const SSID = Buffer.from(TEST_SSID, 'utf8');
const SEND_QUEUE = 16;
const BSSES = 16;
const HEALTHY_STATIONS = 10;

void describe('an agent that reads nothing', () => {
  let auth: RunningAuthenticator;
  let agents: EdgeAgent[] = [];
  let drivers: SimDriver[] = [];
  let raw: RawAgent | undefined;

  before(async () => {
    auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.limits.agentSendQueue = SEND_QUEUE;
    }));
  });
  after(async () => {
    raw?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await auth?.stop(500);
  });

  void it(`its stream is ended with RESOURCE_EXHAUSTED once ${4 * SEND_QUEUE} commands wait; a healthy agent's stations join meanwhile`, async () => {
    raw = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials('raw-5') });
    const bssids = Array.from({ length: BSSES }, (_v, i) => Buffer.from([0x02, 0xa1, 0x00, 0x77, 0x00, i]));
    raw.hello({ agentId: 'raw-5', bsses: bssids.map((bssid) => bssInfo({ bssid, ssid: SSID, rsne: RSNE })) });
    await raw.nextMessage((m) => m.body?.$case === 'welcome');
    raw.pauseReading();
    ({ agents, drivers } = await startSimAgents(auth, 1, HEALTHY_STATIONS, () => ({ behaviour: { joinSpreadMs: 1000 } })));
    // Associations until the authenticator gives up (its metric says so: this client, not
    // reading, cannot see the end yet); each association brings at least one command.
    const overflows = async (): Promise<number> => (await fetchMetrics(auth)).get('airlock_agent_protocol_errors_total{reason="send_queue_overflow"}') ?? 0;
    let n = 0;
    while ((await overflows()) === 0 && n < 100_000) {
      for (let i = 0; i < 500; i++, n++) {
        const sta = Buffer.from([0x02, 0x5c, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 0x01]);
        raw.send({ $case: 'stationAssociated', value: { bssid: bssids[n % BSSES], sta, rsne: RSNE, reassociation: false, previousBssid: Buffer.alloc(0) } });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await overflows(), 1, `the authenticator gave the stream up after ${n} associations`);
    // Reading again, the client gets what was sent before the end, then the status.
    raw.resumeReading();
    const end = await raw.ended(10_000);
    assert.equal(end.code, grpc.status.RESOURCE_EXHAUSTED, `${end.codeName}: ${end.details}`);
    assert.match(end.details, /the agent reads nothing: \d+ commands wait to be sent/);
    // Its session is gone (its stations wait out agents.reconnect_grace_s, as after any lost stream).
    assert.ok(await waitFor(async () => (await fetchMetrics(auth)).get('airlock_agents_connected') === 1, 5000), 'only the healthy agent is connected');
    // The healthy agent was not held up.
    assert.ok(await waitFor(() => drivers[0].authorizedCount() === HEALTHY_STATIONS, 15_000), `healthy stations authorized: ${drivers[0].authorizedCount()}`);
    assert.ok(agents[0].connected);
  });
});
