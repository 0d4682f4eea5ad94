/**
 * The healthy side of the attack tests (flood.test.ts, fairness.test.ts): sim agents ap-1..N
 * over mTLS, each joining `stations` PSK stations on 2 BSSes spread over 3 s, against an
 * authenticator process; their join latency is the authenticator's
 * airlock_join_duration_seconds.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { histogramQuantile } from '@airlock/authenticator';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import type { AuthenticatorProcess } from './authenticator-process.js';
import { agentCredentials } from './test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from './topology.js';

/** The healthy agents' joins, as the authenticator counted them. */
export interface HealthyJoins {
  p50Ms: number;
  p99Ms: number;
  joins: number;
  metrics: Map<string, number>;
}

/**
 * Starts `agents` healthy agents (pushed to `started`, which the caller stops in its
 * finally), waits until every station of each is authorized and the authenticator counted
 * every join; returns the join quantiles and the metrics read then.
 */
export async function healthyJoins(auth: AuthenticatorProcess, agents: number, stations: number, started: EdgeAgent[], what = 'healthy agents'): Promise<HealthyJoins> {
  const drivers: SimDriver[] = [];
  for (let i = 1; i <= agents; i++) {
    const t = { agentNumber: i, bsses: 2, stations, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 3000 }, seed: i });
    drivers.push(driver);
    started.push(new EdgeAgent({ agentId: `ap-${i}`, target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials(`ap-${i}`) }));
  }
  await Promise.all(started.map((a) => a.start()));
  assert.ok(await waitFor(() => drivers.every((d) => d.authorizedCount() === stations), 30_000), `${what}: authorized ${drivers.map((d) => d.authorizedCount()).join(', ')}`);
  await waitFor(async () => (await auth.metrics()).get('airlock_join_duration_seconds_count{akm="psk"}') === agents * stations, 5000);
  const metrics = await auth.metrics();
  return {
    p50Ms: histogramQuantile(metrics, 'airlock_join_duration_seconds', 0.5) * 1000,
    p99Ms: histogramQuantile(metrics, 'airlock_join_duration_seconds', 0.99) * 1000,
    joins: metrics.get('airlock_join_duration_seconds_count{akm="psk"}') ?? 0,
    metrics,
  };
}
