/**
 * The first-claim table is bounded (issue 13 item 5): an agent announcing fresh BSSIDs on
 * every Hello grew it without limit (7.2M claims, 482 MB of heap in 8 minutes). Over real
 * gRPC with the test PKI's agents: a Hello with more BSSes than agents.max_bsses_per_hello
 * is refused; an agent reconnecting with fresh BSSIDs again and again holds at most
 * agents.max_bsses_per_agent claims (its oldest unannounced ones go); past agents.max_claims
 * a Hello claiming new BSSIDs is refused; an absent agent's claims expire after
 * agents.claim_expiry_s, and another agent may then take those BSSIDs, while a BSSID pinned
 * in bss_assignments never goes to anyone else. Then the same on a cluster (2 workers, whose
 * claims are in the shared store, a real redis-server, for both).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { simBssRsne } from '@airlock/edge-agent';
import { AKM } from '@airlock/rsn';
import type { ControllerMessage } from '@airlock/proto';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { agentCredentials, serverTlsYaml } from '../support/test-pki.js';
import { fetchMetrics, startTestAuthenticator, testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { sharedStoreYaml, startRedis, type RedisServer } from '../support/redis.js';

const SSID = Buffer.from(TEST_SSID);
const RSNE = simBssRsne(AKM.PSK);
const isWelcome = (m: ControllerMessage): boolean => m.body?.$case === 'welcome';
/** BSSID number n of a group. */
const bss = (group: number, n: number): Buffer => Buffer.from([0x02, 0xcc, group, 0, (n >> 8) & 0xff, n & 0xff]);
const PINNED = '02:cc:09:00:00:01';

const LIMITS = { perHello: 8, perAgent: 12, total: 30, expiryS: 2 };

/** One agent's Hello announcing `bssids`; resolves with 'welcome' or the refusal. */
async function hello(target: string, agent: string, bssids: Buffer[]): Promise<{ welcomed: boolean; code?: string; details?: string; raw: RawAgent }> {
  const raw = new RawAgent(target, { credentials: agentCredentials(agent) });
  raw.hello({ agentId: agent, bsses: bssids.map((b) => bssInfo({ bssid: b, ssid: SSID, rsne: RSNE })) });
  try {
    await raw.nextMessage(isWelcome, 5000);
    return { welcomed: true, raw };
  } catch {
    const s = await raw.ended(5000);
    raw.close();
    return { welcomed: false, code: s.codeName, details: s.details, raw };
  }
}

/**
 * Everything the test checks, against an authenticator at `target` whose /metrics `metrics`
 * reads (airlock_bss_claims: the claims one process holds; airlock_agents_connected).
 */
async function attackAndDefence(target: string, metrics: () => Promise<Map<string, number>>): Promise<void> {
  const claims = async (): Promise<number> => (await metrics()).get('airlock_bss_claims') ?? 0;
  // The agents here connect one at a time: gone when none is connected.
  const gone = async (agent: string): Promise<void> => assert.ok(await waitFor(async () => (await metrics()).get('airlock_agents_connected') === 0, 5000), `${agent} left`);

  // A Hello announcing too many BSSes.
  const big = await hello(target, 'raw-1', Array.from({ length: LIMITS.perHello + 1 }, (_v, i) => bss(1, i)));
  assert.equal(big.welcomed, false);
  assert.equal(big.code, 'INVALID_ARGUMENT');
  assert.match(big.details ?? '', /at most 8 \(agents\.max_bsses_per_hello\)/);

  // The attack: fresh BSSIDs on every Hello. The agent's claims stay at its cap.
  for (let round = 0; round < 6; round++) {
    const h = await hello(target, 'raw-1', Array.from({ length: LIMITS.perHello }, (_v, i) => bss(2, round * LIMITS.perHello + i)));
    assert.ok(h.welcomed, `round ${round}: ${h.details}`);
    h.raw.close();
    await gone('raw-1');
  }
  assert.ok(await waitFor(async () => (await claims()) === LIMITS.perAgent, 3000), `raw-1 holds its cap of claims (${await claims()})`);

  // Two more agents fill the table up to max_claims; the next new BSSID is refused.
  const h2 = await hello(target, 'raw-2', Array.from({ length: 8 }, (_v, i) => bss(3, i)));
  assert.ok(h2.welcomed);
  h2.raw.close();
  const h3 = await hello(target, 'raw-3', Array.from({ length: 8 }, (_v, i) => bss(4, i)));
  assert.ok(h3.welcomed, h3.details);
  h3.raw.close();
  const h3more = await hello(target, 'raw-3', Array.from({ length: 8 }, (_v, i) => bss(4, i + 8)));
  assert.equal(h3more.welcomed, false, 'past agents.max_claims');
  assert.equal(h3more.code, 'RESOURCE_EXHAUSTED');
  assert.match(h3more.details ?? '', /agents\.max_claims/);
  assert.ok((await claims()) <= LIMITS.total);

  // The pinned BSSID: its agent comes and goes; nobody else gets it, even after the expiry.
  const pinned = await hello(target, 'raw-9', [Buffer.from(PINNED.replaceAll(':', ''), 'hex')]);
  assert.ok(pinned.welcomed, pinned.details);
  pinned.raw.close();
  await gone('raw-9');

  // Everyone is away now. After agents.claim_expiry_s their claims expire: another agent
  // may take raw-1's BSSIDs, and the table has room again.
  await gone('raw-2');
  await gone('raw-3');
  // (A cluster primary looks for expired claims every expiry/4.)
  await new Promise((r) => setTimeout(r, LIMITS.expiryS * 1000 + 1500));
  const taker = await hello(target, 'raw-4', [bss(2, 5 * LIMITS.perHello)]);
  assert.ok(taker.welcomed, `an expired claim can be taken: ${taker.details}`);
  assert.ok(await waitFor(async () => (await claims()) === 1, 3000), `only the new claim is left (${await claims()})`);
  const thief = await hello(target, 'raw-5', [Buffer.from(PINNED.replaceAll(':', ''), 'hex')]);
  assert.equal(thief.welcomed, false);
  assert.match(thief.details ?? '', /assigned to agent "raw-9"/);
  taker.raw.close();
}

function tweak(c: { agents: Record<string, unknown> }): void {
  Object.assign(c.agents, {
    reconnectGraceS: 0,
    maxBssesPerHello: LIMITS.perHello,
    maxBssesPerAgent: LIMITS.perAgent,
    maxClaims: LIMITS.total,
    claimExpiryS: LIMITS.expiryS,
    bssAssignments: [{ agent: 'raw-9', bssids: [PINNED] }],
  });
}

void describe('the first-claim table is bounded and expires', () => {
  let auth: RunningAuthenticator;
  before(async () => {
    auth = await startTestAuthenticator(testConfig(undefined, (c) => tweak(c as unknown as { agents: Record<string, unknown> })));
  });
  after(async () => {
    await auth?.stop(500);
  });

  void it('one process: caps per Hello, per agent and in total; absent agents expire; pinned BSSIDs never do', async () => {
    await attackAndDefence(`localhost:${auth.grpcPort}`, () => fetchMetrics(auth));
  });
});

void describe('the first-claim table of a cluster', () => {
  let workDir: string;
  let proc: AuthenticatorProcess;
  let redis: RedisServer;
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'airlock-claims-'));
    redis = await startRedis();
    proc = await startAuthenticatorProcess('claims-cluster', workDir, {
      redis: sharedStoreYaml(redis),
      grpc: { plaintext: false, tls: serverTlsYaml() },
      cluster: { workers: 2 },
      log: { level: 'warn' },
      agents: { reconnect_grace_s: 0, max_bsses_per_hello: LIMITS.perHello, max_bsses_per_agent: LIMITS.perAgent, max_claims: LIMITS.total, claim_expiry_s: LIMITS.expiryS, bss_assignments: [{ agent: 'raw-9', bssids: [PINNED] }] },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE] }],
    });
  });
  after(async () => {
    await proc?.stop();
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  void it('two workers: the same bounds and expiry hold over both, through the shared store', async () => {
    const target = `localhost:${proc.grpcTarget.split(':')[1]}`;
    // The claims are the shared store's, for all workers: each worker's gauge is the count it
    // last read there, and the cluster's is the highest of them.
    const metrics = async (): Promise<Map<string, number>> => {
      const m = await proc.metrics();
      return new Map([
        ['airlock_bss_claims', m.get('airlock_bss_claims') ?? 0],
        ['airlock_agents_connected', m.get('airlock_agents_connected') ?? 0],
      ]);
    };
    await attackAndDefence(target, metrics);
  });
});
