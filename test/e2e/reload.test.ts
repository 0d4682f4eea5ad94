/**
 * Configuration reload on SIGHUP (issue 7 item 3), on a real authenticator process over
 * mTLS: a new passphrase and a rekey interval take effect without ending the agent's stream
 * or any station's association; a file that does not validate, or a reload that would take
 * a served SSID away, is refused with its errors logged and the running configuration stays.
 * Every outcome is counted in airlock_config_reloads_total{result}.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { agentCredentials, serverTlsYaml } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const STATIONS = 8;
const SECOND = 'second passphrase 456';

void describe('SIGHUP reloads the configuration', () => {
  let dir: string;
  let auth: AuthenticatorProcess;
  let driver: SimDriver;
  let agent: EdgeAgent;
  let late: string;

  const logLines = (msg: string): Record<string, unknown>[] =>
    readFileSync(auth.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"msg":"${msg}"`))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const rewrite = (networks: unknown[]): void => {
    writeFileSync(auth.configFile, `${JSON.stringify({ ...auth.config, networks }, null, 2)}\n`);
  };
  const authorized = async (): Promise<number> => (await auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0;
  const reloads = async (): Promise<{ applied?: number; rejected?: number }> => {
    const m = await auth.metrics();
    return { applied: m.get('airlock_config_reloads_total{result="applied"}'), rejected: m.get('airlock_config_reloads_total{result="rejected"}') };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-reload-'));
    auth = await startAuthenticatorProcess('reload', dir, {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      log: { level: 'info' },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
    });
    const t = { agentNumber: 1, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const stations = simStations(t);
    // One station knows only a passphrase the authenticator does not have yet: it keeps failing and rejoining.
    stations[STATIONS - 1] = { ...stations[STATIONS - 1], passphrase: SECOND };
    late = formatMac(stations[STATIONS - 1].mac);
    driver = new SimDriver({ bsses: simBsses(t), stations, behaviour: { joinSpreadMs: 100, awayMs: [300, 600], rejoinAfterDisconnect: true }, seed: 5 });
    agent = new EdgeAgent({ agentId: 'ap-1', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    await agent.start();
    assert.ok(await waitFor(async () => (await authorized()) === STATIONS - 1 && ((await auth.metrics()).get('airlock_handshakes_total{result="mic_failure"}') ?? 0) >= 1, 20_000));
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('a new passphrase and a rekey interval apply without dropping the stream or any station', async () => {
    assert.deepEqual(await reloads(), { applied: 0, rejected: 0 }, 'both results at 0 before any SIGHUP');
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'services/authenticator/package.json'), 'utf8')) as { version: string };
    assert.deepEqual([...(await auth.metrics())].filter(([k]) => k.startsWith('airlock_build_info')), [[`airlock_build_info{version="${version}"}`, 1]]);
    const disconnects = driver.stats.disconnects;
    const welcomes = logLines('agent connected').length;
    const bssid = simBsses({ agentNumber: 1, bsses: 2, stations: 0, ssid: TEST_SSID, passphrase: '' })[0].bssid;
    const gtkBefore = driver.groupTxKeyId(bssid);
    rewrite([{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE, SECOND], group_rekey_s: 2 }]);
    auth.signal('SIGHUP');
    assert.ok(await waitFor(() => logLines('configuration reloaded').length === 1, 5000), 'reloaded');
    assert.deepEqual(logLines('configuration reloaded')[0].applied, ['networks']);
    assert.deepEqual(await reloads(), { applied: 1, rejected: 0 }, 'the good reload is counted as applied');
    // The station with the second passphrase joins on its next try; the others never noticed.
    assert.ok(await waitFor(async () => (await authorized()) === STATIONS, 15_000), `${late} authorized with the new passphrase`);
    assert.ok(await waitFor(() => driver.groupTxKeyId(bssid) !== gtkBefore, 5000), 'the new rekey interval rekeyed the GTK');
    const lateNow = driver.keyViews().find((k) => k.sta === late);
    assert.equal(lateNow?.state, 'authorized');
    assert.equal(logLines('agent connected').length, welcomes, 'the agent stream was never replaced');
    // Only the late station was ever disconnected (its failures before the reload).
    const others = driver.keyViews().filter((k) => k.sta !== late);
    assert.ok(others.every((k) => k.state === 'authorized' && k.apTk !== undefined && k.stationTk?.equals(k.apTk)));
    assert.ok(driver.stats.disconnects - disconnects <= 1, 'no station lost its association to the reload');
  });

  void it('an invalid file is rejected with every error and its path; the running configuration stays', async () => {
    rewrite([{ ssid: TEST_SSID, akms: ['psk'], passphrases: ['short'], group_rekey_s: 'often' }]);
    auth.signal('SIGHUP');
    assert.ok(await waitFor(() => logLines('configuration reload rejected: the file is invalid; the running configuration stays').length === 1, 5000));
    const errors = logLines('configuration reload rejected: the file is invalid; the running configuration stays')[0].errors as string[];
    assert.equal(errors.length, 2);
    assert.match(errors[0], /networks\[0\]\.passphrases\[0\]: expected 8\.\.63 printable ASCII characters/);
    assert.match(errors[1], /networks\[0\]\.group_rekey_s: /);
    assert.ok(!errors.join('\n').includes('short'), 'the secret is not echoed');
    assert.equal(await authorized(), STATIONS, 'nothing changed for the stations');
    assert.deepEqual(await reloads(), { applied: 1, rejected: 1 }, 'the invalid file is counted as rejected');
  });

  void it('a reload that would take a served SSID away is refused; the running configuration stays', async () => {
    rewrite([{ ssid: 'another-ssid', akms: ['psk'], passphrases: [TEST_PASSPHRASE] }]);
    auth.signal('SIGHUP');
    assert.ok(await waitFor(() => logLines('configuration reload rejected; the running configuration stays').length === 1, 5000));
    const errors = logLines('configuration reload rejected; the running configuration stays')[0].errors as string[];
    assert.deepEqual(errors, [`networks: SSID "${TEST_SSID}" is served by 2 BSS(es) now; a reload cannot remove it (end those BSSes first)`]);
    assert.deepEqual(await reloads(), { applied: 1, rejected: 2 }, 'the refused reload is counted as rejected');
    // The second passphrase still works: the late station leaves and joins again.
    const mac = Buffer.from(late.replaceAll(':', ''), 'hex');
    driver.leave(mac);
    assert.ok(await waitFor(async () => (await authorized()) === STATIONS - 1, 5000));
    driver.join(mac, 0);
    assert.ok(await waitFor(async () => (await authorized()) === STATIONS, 10_000), 'rejoined with the second passphrase');
  });
});
