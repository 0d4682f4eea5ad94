/**
 * Dynamic Authorization (RFC 5176) at a running authenticator, end to end: the real
 * radclient (FreeRADIUS's) sends Disconnect-Request and CoA-Request to das.listen; the
 * stations are sim stations with PSKs from a real FreeRADIUS (so RADIUS knows their
 * sessions: User-Name, Acct-Session-Id), and accounting goes to its detail file.
 * - Disconnect by Calling-Station-Id: Disconnect-ACK, the station is deauthenticated and
 *   its Accounting-Stop says Admin-Reset, with the session's Acct-Session-Id;
 * - CoA with a Session-Timeout, by User-Name: CoA-ACK, and the session ends then;
 * - an unknown session: Disconnect-NAK 503; a CoA reauthentication of a PSK station: 405;
 * - no answer to a request without Message-Authenticator, a stale Event-Timestamp, or a
 *   wrong secret (each counted in airlock_das_dropped_total).
 * The protocol's own cases against radclient are in das-radclient.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningAuthenticator } from '@airlock/authenticator';
import type { EdgeAgent, SimDriver, SimStationSpec } from '@airlock/edge-agent';
import { writeDevPki } from '@airlock/pki';
import { macKey } from '@airlock/rsn';
import { macAuthUser, startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { nowSec, radclient as radclientWith, signed, type Reply } from '../support/radclient.js';
import { fetchMetrics, pskNetwork, startOneBssAgent, startTestAuthenticator, testConfig, waitFor } from '../support/topology.js';

const RADIUS_SECRET = 'airlock das e2e radius secret';
const DAS_SECRET = 'airlock das e2e das secret';
const SSID = 'airlock-das';
const BSSID = Buffer.from([0x02, 0xd1, 0x00, 0x00, 0x00, 0x01]);
const STATIONS: SimStationSpec[] = [1, 2, 3].map((n) => ({ mac: Buffer.from([0x02, 0x6b, 0x00, 0x00, 0x00, n]), passphrase: `das station ${n} passphrase` }));
const [ONE, TWO, THREE] = STATIONS;

/** "02-6B-00-00-00-01", as policy servers write Calling-Station-Id. */
const dashed = (mac: Buffer): string => [...mac].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('-');

void describe('Dynamic Authorization (RFC 5176) with radclient, FreeRADIUS and a running authenticator', () => {
  let pkiDir: string;
  let fr: FreeRadius;
  let auth: RunningAuthenticator;
  let agent: EdgeAgent;
  let driver: SimDriver;
  let port: number;
  const radclient = (command: 'disconnect' | 'coa', lines: string[], secret = DAS_SECRET): Promise<Reply> => radclientWith(port, command, lines, { secret, timeoutSec: 1, retries: 1 });
  const authorized = (s: SimStationSpec): boolean => driver.stations().some((x) => x.sta.equals(s.mac) && x.portAuthorized);
  const detail = (): string => readFileSync(fr.detailFile(), 'utf8');

  const config = (timeWindowS = 300) =>
    testConfig([pskNetwork({ ssid: SSID, passphrases: [], pskSource: 'radius' })], (c) => {
      c.radius.servers = [{ name: 'freeradius', host: '127.0.0.1', authPort: fr.authPort, acctPort: fr.acctPort, secret: RADIUS_SECRET }];
      c.radius.nasIdentifier = 'airlock-das-e2e';
      c.das = { listen: '127.0.0.1:0', clients: [{ name: 'radclient', address: '127.0.0.1', secret: DAS_SECRET }], timeWindowS, requireEventTimestamp: true };
    });

  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'airlock-das-'));
    const pki = writeDevPki(join(pkiDir, 'pki'));
    fr = await startFreeRadius({
      secret: RADIUS_SECRET,
      users: STATIONS.map((s) => macAuthUser(s.mac, s.passphrase)),
      pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
    });
    auth = await startTestAuthenticator(config());
    port = auth.service.dasAddress!.port;
    // Stations do not come back by themselves: what a request did stays visible.
    ({ agent, driver } = await startOneBssAgent(auth, { bssid: BSSID, ssid: SSID, stations: STATIONS, behaviour: { rejoinAfterDisconnect: false }, seed: 11 }));
    assert.ok(await waitFor(() => STATIONS.every(authorized), 15_000), 'the stations did not join');
  });

  after(async () => {
    await agent?.stop();
    await auth?.stop(500);
    await fr?.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  void it('Disconnect-Request by Calling-Station-Id: ACK, the station is gone, Accounting-Stop with Admin-Reset', async () => {
    const session = auth.service.core.sessions(ONE.mac)[0];
    assert.ok(session !== undefined);
    const r = await radclient('disconnect', signed([`Calling-Station-Id = "${dashed(ONE.mac)}"`, 'NAS-Identifier = "airlock-das-e2e"']));
    assert.equal(r.code, 'Disconnect-ACK', r.out);
    assert.ok(await waitFor(() => !authorized(ONE), 5000), 'the station is still authorized');
    assert.equal(auth.service.core.sessions(ONE.mac).length, 0);
    const stopped = () => detail().split('\n\n').find((rec) => rec.includes('Acct-Status-Type = Stop') && rec.includes(`Acct-Session-Id = "${session.acctSessionId}"`));
    assert.ok(await waitFor(() => stopped() !== undefined, 5000), 'no Accounting-Stop for the session');
    assert.match(stopped()!, /Acct-Terminate-Cause = Admin-Reset/);
  });

  void it('CoA-Request with a Session-Timeout, by User-Name: ACK, and the session ends then', async () => {
    const r = await radclient('coa', signed([`User-Name = "${macKey(TWO.mac)}"`, 'Session-Timeout = 2']));
    assert.equal(r.code, 'CoA-ACK', r.out);
    assert.ok(authorized(TWO));
    assert.ok(await waitFor(() => !authorized(TWO), 6000), 'the session did not end at its new Session-Timeout');
    const stopped = () => detail().split('\n\n').find((rec) => rec.includes('Acct-Status-Type = Stop') && rec.includes(`User-Name = "${macKey(TWO.mac)}"`));
    assert.ok(await waitFor(() => stopped() !== undefined, 5000));
    assert.match(stopped()!, /Acct-Terminate-Cause = Session-Timeout/);
  });

  void it('NAKs: an unknown session (503), a reauthentication of a station that does not use 802.1X (405)', async () => {
    const unknown = await radclient('disconnect', signed(['Calling-Station-Id = "02-00-00-99-99-99"']));
    assert.equal(unknown.code, 'Disconnect-NAK', unknown.out);
    assert.deepEqual(unknown.attrs.get('Error-Cause'), ['Session-Context-Not-Found']);
    const reauth = await radclient('coa', signed([`Calling-Station-Id = "${dashed(THREE.mac)}"`, 'Cisco-AVPair = "subscriber:command=reauthenticate"']));
    assert.equal(reauth.code, 'CoA-NAK', reauth.out);
    assert.deepEqual(reauth.attrs.get('Error-Cause'), ['Unsupported-Service']);
    assert.ok(authorized(THREE), 'a NAKed request changed the session');
    const m = await fetchMetrics(auth);
    assert.equal(m.get('airlock_das_requests_total{kind="disconnect",result="nak",error_cause="503"}'), 1);
    assert.equal(m.get('airlock_das_requests_total{kind="coa",result="nak",error_cause="405"}'), 1);
    assert.equal(m.get('airlock_das_requests_total{kind="disconnect",result="ack",error_cause=""}'), 1);
  });

  void it('no answer without Message-Authenticator, with a stale Event-Timestamp or with a wrong secret; each counted', async () => {
    const target = `Calling-Station-Id = "${dashed(THREE.mac)}"`;
    const noMa = await radclient('disconnect', [target, `Event-Timestamp = ${nowSec()}`]);
    assert.equal(noMa.code, undefined, noMa.out);
    const stale = await radclient('disconnect', signed([target], nowSec() - 3600));
    assert.equal(stale.code, undefined, stale.out);
    const wrong = await radclient('disconnect', signed([target]), 'not the secret');
    assert.equal(wrong.code, undefined, wrong.out);
    assert.ok(authorized(THREE), 'a dropped request changed the session');
    const m = await fetchMetrics(auth);
    const dropped = [...m].filter(([k]) => k.startsWith('airlock_das_dropped_total')).reduce((n, [, v]) => n + v, 0);
    assert.ok(dropped >= 3, `dropped: ${dropped}`);
  });

  void it('a reload that changes das says it needs a restart (the listener keeps its settings)', async () => {
    const r = await auth.reload(config(60));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.ok ? r.restartNeeded : [], ['das']);
  });
});
