/**
 * mTLS between agents and the authenticator, and the BSS ownership policy (issue 5 item 1,
 * DESIGN.md "Security"): the identity is the client certificate's CN; a Hello claiming
 * another identity, a client without a certificate, one from another CA and a plaintext
 * client are refused; an agent never acts for another agent's BSS, under either policy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startAuthenticator, type RunningAuthenticator } from '@airlock/authenticator';
import { writeDevPki } from '@airlock/pki';
import { simBssRsne } from '@airlock/edge-agent';
import { AKM } from '@airlock/rsn';
import type { ControllerMessage } from '@airlock/proto';
import pino from 'pino';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { agentCredentials, testPki } from '../support/test-pki.js';
import { fetchMetrics, startSimAgents, startTestAuthenticator, testConfig, TEST_SSID, waitFor } from '../support/topology.js';

const SSID = Buffer.from(TEST_SSID);
const RSNE = simBssRsne(AKM.PSK);
const bss = (n: number): Buffer => Buffer.from([0x02, 0xee, 0, 0, 0, n]);
const isWelcome = (m: ControllerMessage): boolean => m.body?.$case === 'welcome';

void describe('mTLS on AgentLink', () => {
  let auth: RunningAuthenticator;
  const raws: RawAgent[] = [];
  const open = (credentials: grpc.ChannelCredentials): RawAgent => {
    const r = new RawAgent(`localhost:${auth.grpcPort}`, { credentials });
    raws.push(r);
    return r;
  };
  before(async () => {
    auth = await startTestAuthenticator(testConfig());
  });
  after(async () => {
    for (const r of raws) r.close();
    await auth.stop(500);
  });

  void it('an agent with its certificate is welcomed, and its identity is the CN', async () => {
    const raw = open(agentCredentials('raw-1'));
    raw.hello({ agentId: 'raw-1', bsses: [bssInfo({ bssid: bss(1), ssid: SSID, rsne: RSNE })] });
    await raw.nextMessage(isWelcome);
    assert.ok(auth.service.agents().includes('raw-1'));
  });

  void it('a Hello whose agent_id is not its certificate CN is refused with PERMISSION_DENIED', async () => {
    const raw = open(agentCredentials('raw-2'));
    raw.hello({ agentId: 'ap-1', bsses: [bssInfo({ bssid: bss(2), ssid: SSID, rsne: RSNE })] });
    const s = await raw.ended();
    assert.equal(s.codeName, 'PERMISSION_DENIED', s.details);
    assert.match(s.details, /agent_id "ap-1" does not match the agent's certificate \(CN "raw-2"\)/);
    assert.ok(!auth.service.agents().includes('ap-1'));
  });

  void it('a client without a certificate, with one from another CA, or in plaintext never reaches the service', async () => {
    const p = testPki();
    const ca = readFileSync(p.ca.cert);
    const otherDir = mkdtempSync(join(tmpdir(), 'airlock-other-ca-'));
    try {
      const other = writeDevPki(otherDir, { agents: ['raw-3'] });
      const cases: [string, grpc.ChannelCredentials][] = [
        ['no client certificate', grpc.credentials.createSsl(ca)],
        ['a certificate from another CA', grpc.credentials.createSsl(ca, readFileSync(other.agents['raw-3'].key), readFileSync(other.agents['raw-3'].cert))],
        ['plaintext', grpc.credentials.createInsecure()],
      ];
      for (const [desc, creds] of cases) {
        const raw = open(creds);
        raw.hello({ agentId: 'raw-3', bsses: [bssInfo({ bssid: bss(3), ssid: SSID, rsne: RSNE })] });
        const s = await raw.ended(5000);
        assert.equal(s.codeName, 'UNAVAILABLE', `${desc}: ${s.details}`);
        assert.deepEqual(raw.received, [], `${desc}: nothing received`);
        assert.ok(!auth.service.agents().includes('raw-3'), desc);
      }
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  void it("first-claim: another agent may not take a BSS, even while its owner is away", async () => {
    const owner = open(agentCredentials('raw-4'));
    owner.hello({ agentId: 'raw-4', bsses: [bssInfo({ bssid: bss(4), ssid: SSID, rsne: RSNE })] });
    await owner.nextMessage(isWelcome);
    owner.close();
    assert.ok(await waitFor(() => !auth.service.agents().includes('raw-4'), 3000), 'the owner is gone');
    const thief = open(agentCredentials('raw-5'));
    thief.hello({ agentId: 'raw-5', bsses: [bssInfo({ bssid: bss(4), ssid: SSID, rsne: RSNE })] });
    const s = await thief.ended();
    assert.equal(s.codeName, 'PERMISSION_DENIED');
    assert.match(s.details, /owned by agent "raw-4", which claimed it first/);
    // The owner comes back to it.
    const again = open(agentCredentials('raw-4'));
    again.hello({ agentId: 'raw-4', bsses: [bssInfo({ bssid: bss(4), ssid: SSID, rsne: RSNE })] });
    await again.nextMessage(isWelcome);
  });
});

void describe('the configured BSS policy', () => {
  void it('an agent serves only the BSSIDs assigned to it', async () => {
    const auth = await startTestAuthenticator(testConfig(undefined, (c) => {
      c.agents.bssPolicy = 'configured';
      c.agents.bssAssignments = [{ agent: 'raw-6', bssids: ['02:ee:00:00:00:06'] }];
    }));
    const raws: RawAgent[] = [];
    try {
      const ok = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials('raw-6') });
      raws.push(ok);
      ok.hello({ agentId: 'raw-6', bsses: [bssInfo({ bssid: bss(6), ssid: SSID, rsne: RSNE })] });
      await ok.nextMessage(isWelcome);
      for (const [id, n, named] of [['raw-6', 7, /BSS 02:ee:00:00:00:07 is not assigned to agent "raw-6"/], ['raw-7', 6, /BSS 02:ee:00:00:00:06 is assigned to agent "raw-6"/]] as const) {
        const raw = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: agentCredentials(id) });
        raws.push(raw);
        raw.hello({ agentId: id, bsses: [bssInfo({ bssid: bss(n), ssid: SSID, rsne: RSNE })] });
        const s = await raw.ended();
        assert.equal(s.codeName, 'PERMISSION_DENIED', s.details);
        assert.match(s.details, named);
      }
    } finally {
      for (const r of raws) r.close();
      await auth.stop(500);
    }
  });
});

void describe('starting with mTLS', () => {
  void it('a missing certificate file stops the start with the key path and what to do', async () => {
    const c = testConfig();
    c.grpc.tls = { ...c.grpc.tls, cert: '/nonexistent/authenticator.pem' };
    await assert.rejects(startAuthenticator({ config: c, logger: pino({ level: 'silent' }) }), /grpc\.tls\.cert: cannot read the certificate \/nonexistent\/authenticator\.pem \(ENOENT\); create a development PKI with `airlock pki init --dir DIR`/);
  });

  void it('sim agents with their certificates authorize their stations', async () => {
    const auth = await startTestAuthenticator(testConfig());
    const { agents, drivers } = await startSimAgents(auth, 2, 5);
    try {
      assert.ok(await waitFor(() => drivers.every((d) => d.authorizedCount() === 5), 10_000));
      assert.equal((await fetchMetrics(auth)).get('airlock_agents_connected'), 2);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await auth.stop(500);
    }
  });
});
