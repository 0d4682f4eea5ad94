/**
 * The authenticator configured with a RadSec server (radius.servers[].transport: tls,
 * RFC 6614) against a real FreeRADIUS 3.2 RadSec listener: a station's PSK from RADIUS
 * (Tunnel-Password) comes over TLS, the station joins on its VLAN, and its Accounting-Start
 * goes over the same connection. The RADIUS client's RadSec behaviour (no retransmission,
 * reconnect, watchdog, failover to UDP) is tested in radsec.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RunningAuthenticator } from '@airlock/authenticator';
import type { EdgeAgent, SimDriver, SimStationSpec } from '@airlock/edge-agent';
import { macKey } from '@airlock/rsn';
import { macAuthUser, startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { radsecClientCertificate, testPki } from '../support/test-pki.js';
import { fetchMetrics, pskNetwork, startOneBssAgent, startTestAuthenticator, testConfig, waitFor } from '../support/topology.js';

const SSID = 'airlock-radsec';
const BSSID = Buffer.from([0x02, 0xd2, 0x00, 0x00, 0x00, 0x01]);
const STATION: SimStationSpec = { mac: Buffer.from([0x02, 0x6c, 0x00, 0x00, 0x00, 0x01]), passphrase: 'a passphrase over radsec' };

void describe('the authenticator with a RadSec server (real FreeRADIUS listener)', () => {
  let fr: FreeRadius;
  let auth: RunningAuthenticator;
  let agent: EdgeAgent;
  let driver: SimDriver;

  before(async () => {
    const pki = testPki();
    const client = radsecClientCertificate();
    fr = await startFreeRadius({
      secret: 'unused udp secret',
      users: [macAuthUser(STATION.mac, STATION.passphrase, 42)],
      pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
      radsec: { clientCa: pki.issuers.authenticator.cert },
    });
    auth = await startTestAuthenticator(
      testConfig([pskNetwork({ ssid: SSID, passphrases: [], pskSource: 'radius' })], (c) => {
        c.radius.servers = [{ name: 'radsec', host: '127.0.0.1', transport: 'tls', tlsPort: fr.radsecPort!, authPort: 1812, acctPort: 1813, secret: '', tls: { ca: pki.ca.cert, cert: client.cert, key: client.key, serverName: 'radius-server' } }];
      }),
    );
    ({ agent, driver } = await startOneBssAgent(auth, { bssid: BSSID, ssid: SSID, stations: [STATION], seed: 3 }));
  });

  after(async () => {
    await agent?.stop();
    await auth?.stop(500);
    await fr?.stop();
  });

  void it('the PSK and VLAN come over TLS, and so does the Accounting-Start', async () => {
    assert.ok(await waitFor(() => driver.stations().some((s) => s.portAuthorized), 15_000), `not authorized; FreeRADIUS said: ${fr.log().slice(-2000)}`);
    assert.equal(driver.stations()[0].vlanId, 42);
    const m = await fetchMetrics(auth);
    assert.equal(m.get('airlock_psk_lookups_total{result="accept"}'), 1);
    assert.equal(m.get('airlock_radius_server_up{server="radsec"}'), 1);
    assert.ok(await waitFor(() => readFileSync(fr.detailFile(), 'utf8').includes(`User-Name = "${macKey(STATION.mac)}"`), 5000), 'no Accounting-Start in the detail file');
    const states = auth.service.radiusServers();
    assert.deepEqual(states.map((s) => s.name), ['radsec']);
  });
});
