/**
 * Per-station PSKs from RADIUS (networks[].psk_source: radius) against a real FreeRADIUS
 * 3.2 whose users file holds a Tunnel-Password (and a VLAN) per station MAC, over real gRPC
 * with sim stations: two stations with different PSKs land on their VLANs, a station
 * without an entry is refused with reason 23, and once the server gets an entry for it,
 * its next join succeeds (nothing of the refusal is kept).
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
import { macAuthUser, startFreeRadius, type FreeRadius, type FreeRadiusOptions } from '../support/freeradius.js';
import { fetchMetrics, pskNetwork, startOneBssAgent, startTestAuthenticator, testConfig, waitFor } from '../support/topology.js';

const SECRET = 'airlock mpsk e2e secret';
const SSID = 'airlock-mpsk';
const BSSID = Buffer.from([0x02, 0xd0, 0x00, 0x00, 0x00, 0x01]);
const STATIONS: SimStationSpec[] = [
  { mac: Buffer.from([0x02, 0x6a, 0x00, 0x00, 0x00, 0x01]), passphrase: 'alpha station passphrase' },
  { mac: Buffer.from([0x02, 0x6a, 0x00, 0x00, 0x00, 0x02]), passphrase: 'bravo station passphrase' },
  { mac: Buffer.from([0x02, 0x6a, 0x00, 0x00, 0x00, 0x03]), passphrase: 'charlie station passphrase' },
];
const [ALPHA, BRAVO, CHARLIE] = STATIONS;

void describe('PSKs per station from RADIUS, with a real FreeRADIUS', () => {
  let pkiDir: string;
  let options: FreeRadiusOptions;
  let fr: FreeRadius;
  let auth: RunningAuthenticator;
  let agent: EdgeAgent;
  let driver: SimDriver;

  const config = (server: FreeRadius) =>
    testConfig([pskNetwork({ ssid: SSID, passphrases: [], pskSource: 'radius' })], (c) => {
      c.radius.servers = [{ name: 'freeradius', host: '127.0.0.1', authPort: server.authPort, acctPort: server.acctPort, secret: SECRET }];
      c.radius.timeoutMs = 300;
      c.radius.maxRetransmits = 1;
      c.limits.macBackoffAfterFailures = 0;
    });

  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'airlock-mpsk-'));
    const pki = writeDevPki(join(pkiDir, 'pki'));
    options = {
      secret: SECRET,
      users: [macAuthUser(ALPHA.mac, ALPHA.passphrase, 10, { 'Session-Timeout': '3600' }), macAuthUser(BRAVO.mac, BRAVO.passphrase, 20)],
      pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
    };
    fr = await startFreeRadius(options);
    auth = await startTestAuthenticator(config(fr));
    ({ agent, driver } = await startOneBssAgent(auth, { bssid: BSSID, ssid: SSID, stations: STATIONS, behaviour: { awayMs: [300, 500], rejoinAfterDisconnect: true }, seed: 7 }));
  });

  after(async () => {
    await agent?.stop();
    await auth?.stop(500);
    await fr?.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  void it('two stations with different PSKs from RADIUS join, each on the VLAN of its entry', async () => {
    const authorized = () => new Map(driver.stations().filter((s) => s.portAuthorized).map((s) => [macKey(s.sta), s.vlanId]));
    assert.ok(await waitFor(() => authorized().size === 2, 15_000), `authorized: ${[...authorized().keys()].join(', ')}`);
    assert.deepEqual(authorized(), new Map([[macKey(ALPHA.mac), 10], [macKey(BRAVO.mac), 20]]));
    // Each Access-Request matched the users-file entry named by the MAC as 12 hex digits (the
    // VLANs above say which), and the accounting session carries that User-Name.
    assert.ok(await waitFor(() => readFileSync(fr.detailFile(), 'utf8').includes(`User-Name = "${macKey(ALPHA.mac)}"`), 5000), 'no accounting with the MAC as User-Name');
    const m = await fetchMetrics(auth);
    assert.equal(m.get('airlock_psk_lookups_total{result="accept"}'), 2);
    assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}') ?? 0, 0);
    // explain: where the PSK came from.
    const rec = auth.service.core.history(ALPHA.mac)[0];
    assert.equal(rec.auth?.identity, macKey(ALPHA.mac));
    assert.deepEqual(rec.auth?.rounds.map((r) => r.server), ['freeradius']);
  });

  void it('a station without an entry is refused (Access-Reject) before any handshake, with reason 23', async () => {
    assert.ok(await waitFor(() => auth.service.core.history(CHARLIE.mac).some((h) => h.stage === 'psk-lookup'), 10_000), 'no refusal recorded');
    const rec = auth.service.core.history(CHARLIE.mac).find((h) => h.stage === 'psk-lookup')!;
    assert.match(rec.detail ?? '', /Access-Reject/);
    assert.equal(rec.msg1Sent, 0);
    assert.ok(!driver.stations().some((s) => s.sta.equals(CHARLIE.mac) && s.portAuthorized));
    assert.ok(((await fetchMetrics(auth)).get('airlock_psk_lookups_total{result="reject"}') ?? 0) >= 1);
  });

  void it('a new entry on the server takes effect at the station\'s next join', async () => {
    const next = await startFreeRadius({ ...options, users: [...options.users, macAuthUser(CHARLIE.mac, CHARLIE.passphrase, 30)] });
    try {
      const r = await auth.reload(config(next));
      assert.ok(r.ok, JSON.stringify(r));
      const vlanOf = () => driver.stations().find((s) => s.sta.equals(CHARLIE.mac) && s.portAuthorized)?.vlanId;
      assert.ok(await waitFor(() => vlanOf() !== undefined, 15_000), 'charlie did not join after the server learned its PSK');
      assert.equal(vlanOf(), 30);
      // The Accounting-Start of a PSK from RADIUS says Acct-Authentic = RADIUS.
      assert.ok(await waitFor(() => readFileSync(next.detailFile(), 'utf8').includes('Acct-Authentic = RADIUS'), 5000), 'no Accounting-Start with Acct-Authentic RADIUS');
    } finally {
      await fr.stop();
      fr = next;
    }
  });
});
