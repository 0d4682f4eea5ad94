/**
 * The RADIUS operator tools and `airlock reload` on a clustered authenticator
 * (cluster.workers: 2, a real process, real FreeRADIUS, the CLI as a child process):
 * - `airlock reload` goes the primary's way: every worker checks the file, then every worker
 *   applies it; a change one worker refuses (its BSSes serve the SSID) is rejected with that
 *   error, and each reload is counted once;
 * - `airlock radius test` runs on one worker (one Access-Request, not one per worker);
 * - `airlock radius` merges the workers' views: a server one worker found dead is dead,
 *   with how many workers hold it so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { agentCredentials, serverTlsYaml, testPki } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { sharedStoreYaml, startRedis, type RedisServer } from '../support/redis.js';

const CLI = join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js');
const SECRET = 'radius tools cluster secret';
const USER = { name: 'carol', password: 'carol pap password 3' };

void describe('airlock reload / radius on a cluster (cluster.workers: 2)', () => {
  let dir: string;
  let fr: FreeRadius;
  let auth: AuthenticatorProcess;
  let redis: RedisServer;
  let deadPort: number;
  let agent: EdgeAgent;
  let driver: SimDriver;

  const cli = (...args: string[]): Promise<{ code: number; out: string; err: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args, '--socket', auth.adminSocket], { timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? -1), out: stdout.trimEnd(), err: stderr.trimEnd() });
      });
    });
  const count = async (result: string): Promise<number> => (await auth.metrics()).get(`airlock_config_reloads_total{result="${result}"}`) ?? 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-radius-cluster-'));
    redis = await startRedis();
    const pki = testPki();
    fr = await startFreeRadius({ secret: SECRET, users: [{ name: USER.name, password: USER.password, reply: { 'Reply-Message': 'welcome carol' } }], pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key } });
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    deadPort = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    auth = await startAuthenticatorProcess('radius-cluster', dir, {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      cluster: { workers: 2 },
      redis: sharedStoreYaml(redis),
      log: { level: 'info' },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
      radius: {
        servers: [
          { name: 'gone', host: '127.0.0.1', auth_port: deadPort, acct_port: deadPort, secret: SECRET },
          { name: 'fr', host: '127.0.0.1', auth_port: fr.authPort, acct_port: fr.acctPort, secret: SECRET },
        ],
        timeout_ms: 100,
        max_retransmits: 1,
        dead_after_ms: 300,
        probe_interval_ms: 300,
        accounting: false,
      },
    });
    const t = { agentNumber: 1, bsses: 2, stations: 4, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 100 }, seed: 1 });
    agent = new EdgeAgent({ agentId: 'ap-1', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    await agent.start();
    assert.ok(await waitFor(() => driver.authorizedCount() === 4, 15_000));
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop();
    await fr?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('radius test runs on one worker: one Access-Request through failover; radius merges the workers (dead on 1 of 2)', async () => {
    const r = await cli('radius', 'test', USER.name, USER.password);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split('\n').slice(1), ['  Reply-Message: welcome carol']);
    assert.match(r.out, /^Access-Accept from fr in \d+\.\d ms/);
    const m = await auth.metrics();
    assert.equal(m.get('airlock_radius_requests_total{server="fr",code="Access-Accept"}'), 1, 'one request, from one worker');
    const list = await cli('radius');
    assert.equal(list.code, 0, list.err);
    const [, gone, live] = list.out.split('\n');
    assert.match(gone, new RegExp(`^gone\\s+127\\.0\\.0\\.1:${deadPort}\\s+dead \\(1/2 workers dead\\)\\s+\\d+s ago\\s+-\\s+0\\s+1\\s+\\S`));
    assert.match(live, /^fr\s+\S+\s+alive\s+\d+s ago\s+\d+\.\d \/ \d+\.\d ms\s+0\s+0\s+-$/);
    const j = JSON.parse((await cli('radius', '--json')).out) as { name: string; state: string; workersDead: number; workers: number }[];
    assert.deepEqual(j.map((s) => [s.name, s.state, s.workersDead, s.workers]), [['gone', 'dead', 1, 2], ['fr', 'alive', 0, 2]]);
  });

  void it('reload: every worker checks then applies; a change a worker refuses is rejected with its error; counted once each', async () => {
    const config = auth.config;
    writeFileSync(auth.configFile, `${JSON.stringify({ ...config, networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE, 'another passphrase'], group_rekey_s: 0 }] }, null, 2)}\n`);
    const ok = await cli('reload');
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, `applied ${auth.configFile}: networks changed`);
    assert.deepEqual([await count('applied'), await count('rejected')], [1, 0], 'once, not once per worker');
    const workersLogged = readFileSync(auth.logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"configuration reloaded"'));
    assert.equal(workersLogged.length, 1, 'logged by the primary');
    assert.match(workersLogged[0], /"by":"Admin API \(local socket\)"/);

    writeFileSync(auth.configFile, `${JSON.stringify({ ...config, networks: [{ ssid: 'another-ssid', akms: ['psk'], passphrases: [TEST_PASSPHRASE] }] }, null, 2)}\n`);
    const refused = await cli('reload');
    assert.equal(refused.code, 1);
    assert.deepEqual(refused.err.split('\n'), [`networks: SSID "${TEST_SSID}" is served by 2 BSS(es) now; a reload cannot remove it (end those BSSes first)`, 'airlock reload: rejected (1 error); the running configuration stays']);
    assert.deepEqual([await count('applied'), await count('rejected')], [1, 1]);
    assert.equal(driver.authorizedCount(), 4, 'the stations never noticed');
  });
});
