/**
 * Graceful shutdown (issue 5 item 2): health goes NOT_SERVING (gRPC health service and
 * /readyz), the server drains, the agent streams are ended, and the close is forced after
 * the grace period even when a client holds its stream open.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { agentCredentials } from '../support/test-pki.js';
import { startSimAgents, startTestAuthenticator, testConfig, waitFor } from '../support/topology.js';
import { simBssRsne } from '@airlock/edge-agent';
import { AKM } from '@airlock/rsn';

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');
type WatchCall = grpc.ClientReadableStream<{ status: string }>;

void describe('graceful shutdown', () => {
  void it('NOT_SERVING first (health service and /readyz), then the agents are told, then the server closes', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const { agents, drivers } = await startSimAgents(auth, 1, 5);
    const health = new HealthClient(`localhost:${auth.grpcPort}`, agentCredentials('raw-1')) as unknown as grpc.Client & { Watch(req: { service: string }): WatchCall };
    try {
      assert.ok(await waitFor(() => drivers[0].authorizedCount() === 5, 10_000));
      const seen: string[] = [];
      const watch = health.Watch({ service: 'airlock.v1.AgentLink' });
      watch.on('data', (m: { status: string }) => seen.push(m.status));
      watch.on('error', () => undefined);
      assert.ok(await waitFor(() => seen.includes('SERVING'), 3000), 'SERVING while up');
      let agentTold: number | undefined;
      agents[0].once('disconnected', () => (agentTold = Date.now()));

      const t0 = Date.now();
      const stopped = auth.stop(1500);
      const ready = await fetch(`http://127.0.0.1:${auth.httpPort}/readyz`);
      assert.equal(ready.status, 503, '/readyz says not ready while draining');
      assert.ok(await waitFor(() => seen.includes('NOT_SERVING'), 2000), `health watchers see NOT_SERVING: ${seen.join(', ')}`);
      await stopped;
      const took = Date.now() - t0;
      assert.ok(agentTold !== undefined, 'the agent saw its stream end');
      assert.ok(took < 1500 + 1000, `stopped in ${took} ms`);
      await assert.rejects(fetch(`http://127.0.0.1:${auth.httpPort}/healthz`), 'the HTTP port is closed');
    } finally {
      health.close();
      await Promise.all(agents.map((a) => a.stop()));
      await auth.stop(200);
    }
  });

  void it('a client that keeps its stream open does not hold the stop beyond the grace period', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const raw = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials('raw-2') });
    try {
      raw.hello({ agentId: 'raw-2', bsses: [bssInfo({ bssid: Buffer.from('02ee000000aa', 'hex'), ssid: Buffer.from('airlock-test'), rsne: simBssRsne(AKM.PSK) })] });
      await raw.nextMessage((m) => m.body?.$case === 'welcome');
      const t0 = Date.now();
      await auth.stop(500);
      const took = Date.now() - t0;
      assert.ok(took < 500 + 1000, `forced close after the grace period: ${took} ms`);
      const s = await raw.ended(3000);
      assert.ok(s.code === grpc.status.OK || s.code === grpc.status.UNAVAILABLE || s.code === grpc.status.CANCELLED, `the stream ended: ${s.codeName} ${s.details}`);
    } finally {
      raw.close();
    }
  });
});
