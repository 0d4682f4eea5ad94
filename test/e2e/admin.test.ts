/**
 * The Admin API and the `airlock` CLI (issue 7 item 2) against a running authenticator over
 * mTLS with the test PKI's operator certificate: agents, stations (filters), explain (a
 * wrong passphrase diagnosed in words), disconnect, rekey; tables by default and --json;
 * exit codes and one-line errors (unknown station 1, bad MAC 2, not an operator 1,
 * unreachable 1).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { runCli } from '@airlock/authenticator/cli';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import type { RunningAuthenticator } from '@airlock/authenticator';
import { agentCredentials, testPkiDir } from '../support/test-pki.js';
import { startTestAuthenticator, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const STATIONS = 6;

interface Run {
  code: number;
  out: string;
  err: string;
}

void describe('airlock CLI over the Admin API', () => {
  let auth: RunningAuthenticator;
  let driver: SimDriver;
  let agent: EdgeAgent;
  let wrong: string;

  const cli = async (...args: string[]): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, ...(args.includes('--server') ? [] : ['--server', `localhost:${auth.adminPort}`]), ...(args.includes('--pki-dir') || args.includes('--tls-ca') ? [] : ['--pki-dir', testPkiDir()])], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  before(async () => {
    auth = await startTestAuthenticator();
    const t = { agentNumber: 1, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const stations = simStations(t);
    stations[STATIONS - 1] = { ...stations[STATIONS - 1], passphrase: 'not the passphrase 123' };
    wrong = formatMac(stations[STATIONS - 1].mac);
    driver = new SimDriver({ bsses: simBsses(t), stations, behaviour: { joinSpreadMs: 100, rejoinAfterDisconnect: false }, seed: 3 });
    agent = new EdgeAgent({ agentId: 'ap-1', target: `127.0.0.1:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    await agent.start();
    assert.ok(await waitFor(() => driver.authorizedCount() === STATIONS - 1 && auth.service.core.history(Buffer.from(wrong.replaceAll(':', ''), 'hex')).some((h) => h.result === 'mic_failure'), 15_000));
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop(500);
  });

  void it('agents: a table, and --json', async () => {
    const t = await cli('agents');
    assert.equal(t.code, 0, t.err);
    const [header, row] = t.out.split('\n');
    assert.match(header, /^AGENT\s+STATE\s+STATIONS\s+BSSIDS\s+PEER\s+CONNECTED/);
    assert.match(row, /^ap-1\s+connected\s+5\s+02:a1:00:01:00:01,02:a1:00:01:00:02\s+127\.0\.0\.1:\d+\s+\d+s ago/);
    const j = await cli('agents', '--json');
    const agents = JSON.parse(j.out) as { agentId: string; stations: number; bssids: string[] }[];
    assert.deepEqual(agents.map((a) => [a.agentId, a.stations, a.bssids.length]), [['ap-1', STATIONS - 1, 2]]);
  });

  void it('stations: state, BSS, AKM, VLAN, since when, last handshake; --state and --bssid filter', async () => {
    const t = await cli('stations');
    assert.equal(t.code, 0, t.err);
    const lines = t.out.split('\n');
    assert.match(lines[0], /^STATION\s+STATE\s+BSSID\s+AGENT\s+AKM\s+VLAN\s+SINCE\s+LAST HANDSHAKE$/);
    assert.equal(lines.length, 1 + STATIONS - 1, 'the wrong-passphrase station was disconnected');
    assert.match(lines[1], /^02:5a:00:01:00:01\s+authorized\s+02:a1:00:01:00:0[12]\s+ap-1\s+psk\s+-\s+\d+s ago\s+success$/);
    const authorized = JSON.parse((await cli('stations', '--state', 'authorized', '--json')).out) as { sta: string; state: string; akm: string; sinceUnixMs: number }[];
    assert.equal(authorized.length, STATIONS - 1);
    assert.ok(authorized.every((s) => s.state === 'authorized' && s.akm === 'psk' && Math.abs(Date.now() - s.sinceUnixMs) < 60_000));
    const onOne = JSON.parse((await cli('stations', '--bssid', '02:a1:00:01:00:01', '--json')).out) as { bssid: string }[];
    assert.ok(onOne.length > 0 && onOne.length < STATIONS - 1 && onOne.every((s) => s.bssid === '02:a1:00:01:00:01'));
    const none = await cli('stations', '--state', 'authenticating');
    assert.equal(none.out.split('\n').length, 1, 'only the header');
  });

  void it('explain: recent handshakes with timings, and the MIC-failure diagnosis in words', async () => {
    const ok = await cli('explain', '02:5a:00:01:00:01');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^station 02:5a:00:01:00:01: authorized on 02:a1:00:01:00:0[12] \(agent ap-1\), psk, associated \d+s ago, PTK state PTKINITDONE/);
    assert.match(ok.out, /\nlatest \S+Z {2}02:a1:00:01:00:0[12] {2}psk {2}success, joined in [\d.]+ ms {2}\(msg 1\/4 sent 1x, msg 3\/4 sent 1x, MIC failures 0\)/);
    const bad = await cli('explain', wrong);
    assert.equal(bad.code, 0, bad.err);
    assert.match(bad.out, new RegExp(`^station ${wrong}: not associated now`));
    assert.match(bad.out, /mic_failure/);
    assert.match(bad.out, /diagnosis \(psk-mismatch\): PSK mismatch: .* the station's passphrase is wrong/);
    const j = JSON.parse((await cli('explain', wrong, '--json')).out) as { station?: unknown; handshakes: { result: string; micFailures: number; diagnosisCause: string }[] };
    assert.equal(j.station, undefined);
    assert.equal(j.handshakes[0].result, 'mic_failure');
    assert.equal(j.handshakes[0].micFailures, 4);
    assert.equal(j.handshakes[0].diagnosisCause, 'psk-mismatch');
  });

  void it('errors: an unknown station exits 1 with one line; a bad MAC is a usage error (2)', async () => {
    const unknown = await cli('explain', '02:00:00:00:00:99');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.out, '');
    assert.equal(unknown.err, 'airlock explain: station 02:00:00:00:00:99 is not associated and has no recorded handshake');
    const d = await cli('disconnect', '02:00:00:00:00:99');
    assert.equal(d.code, 1);
    assert.equal(d.err, 'airlock disconnect: station 02:00:00:00:00:99 is not associated');
    const bad = await cli('explain', 'zz');
    assert.equal(bad.code, 2);
    assert.equal(bad.err, 'airlock explain: "zz" is not a MAC address (aa:bb:cc:dd:ee:ff)');
    const r = await cli('rekey', '02:00:00:00:00:98');
    assert.equal(r.code, 1);
    assert.match(r.err, /^airlock rekey: BSS 02:00:00:00:00:98 is not served/);
  });

  void it('its own credentials: a certificate not in admin.operators, an agent\'s certificate, plaintext and a wrong port are refused', async () => {
    const notOperator = await cli('agents', '--operator', 'not-an-operator');
    assert.equal(notOperator.code, 1);
    assert.equal(notOperator.err, 'airlock agents: certificate CN "not-an-operator" is not in admin.operators');
    const dir = testPkiDir();
    const asAgent = await cli('agents', '--tls-ca', `${dir}/ca.pem`, '--tls-cert', `${dir}/agent-ap-1.pem`, '--tls-key', `${dir}/agent-ap-1.key`);
    assert.equal(asAgent.code, 1);
    assert.equal(asAgent.err, 'airlock agents: not an operator certificate: role agent, not operator');
    // No plaintext over TCP any more: the flag says where local administration went.
    const plain = await cli('agents', '--plaintext', '--timeout-s', '2');
    assert.equal(plain.code, 2);
    assert.match(plain.err, /^airlock agents: --plaintext is gone: without TLS, use the authenticator's local socket \(--socket PATH/);
    const agentLink = await cli('agents', '--server', `localhost:${auth.grpcPort}`, '--timeout-s', '2');
    assert.equal(agentLink.code, 1, 'the AgentLink port does not serve the Admin API');
  });

  void it('disconnect and rekey act: the station is deauthenticated; the BSS switches to a new GTK', async () => {
    const sta = '02:5a:00:01:00:02';
    const before = driver.stats.disconnects;
    const d = await cli('disconnect', sta, '--reason', '3');
    assert.equal(d.code, 0, d.err);
    assert.equal(d.out, `disconnected ${sta} (reason 3)`);
    assert.ok(await waitFor(() => driver.stats.disconnects === before + 1, 5000));
    assert.equal((await cli('stations', '--json')).out.includes(sta), false);
    const bssid = Buffer.from('02a100010001', 'hex');
    const from = driver.groupTxKeyId(bssid);
    const r = await cli('rekey', '02:a1:00:01:00:01');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'group key rekey started on 02:a1:00:01:00:01');
    assert.ok(await waitFor(() => driver.groupTxKeyId(bssid) !== from, 5000), 'the radio transmits with the new GTK');
  });
});
