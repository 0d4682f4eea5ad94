/**
 * Interop, IEEE 802.1X on a wired port: the real wpa_supplicant 2.10 (`-D wired`) in a
 * network namespace ↔ veth ↔ the agent's wired driver (libpcap) → gRPC → the authenticator
 * (IEEE 802.1X-2004 §8.2 PAE + backend, EAP relayed per RFC 3579) → FreeRADIUS 3.2.
 *
 * The station appears with its first EAPOL frame (its EAPOL-Start, about 2 s after
 * wpa_supplicant starts). Cases: key_mgmt=IEEE8021X with EAP-TLS, PEAP/MSCHAPv2 and
 * TTLS/PAP; key_mgmt=WPA-EAP (EAP, then the 4-way handshake up to wpa_supplicant's wired
 * end); a wrong password (Access-Reject).
 *
 * The ports announce RSN with AKM 00-0F-AC:1, so after EAP the authenticator runs the
 * 4-way handshake. Two checks are `todo` because of product bugs (they pass once fixed; see
 * the interop report):
 * - a port without key management (no RSNE announced: IEEE 802.1X only, what a
 *   key_mgmt=IEEE8021X supplicant needs) is refused by the authenticator's Hello check, and
 *   the core has no path that opens a port on EAP success alone;
 * - key_mgmt=WPA-EAP: msg 1/4 carries a PMKID computed with AA = the BSSID (PAE group
 *   address), while wpa_supplicant derives it with AA = the frame's source address (the
 *   agent's interface MAC): "RSN: PMKID mismatch", and it aborts the handshake.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { AKM } from '@airlock/rsn';
import { fetchMetrics, waitFor } from '../support/topology.js';
import type { WpaNetwork } from '../support/wpa-supplicant.js';
import { assertInteropPrerequisites, expectLinesInOrder, startRadiusSide, startRig, wiredHandshakeLines, wiredNetwork, type RadiusSide, type Rig } from './harness.js';

const SSID = 'airlock-wired-8021x';
const EAP_MS = 10_000;
const STEP_MS = 3000;
const USERS = { peap: { name: 'bob', password: 'bob password' }, ttls: { name: 'carol', password: 'carol password' }, tls: { name: 'alice' } };

void describe('interop: wpa_supplicant 2.10 -D wired, IEEE 802.1X via FreeRADIUS', () => {
  let side: RadiusSide | undefined;
  let rig: Rig | undefined;

  before(async () => {
    await assertInteropPrerequisites({ radius: true });
    side = await startRadiusSide([{ name: USERS.peap.name, password: USERS.peap.password }, { name: USERS.ttls.name, password: USERS.ttls.password }, { name: USERS.tls.name }], [USERS.tls.name]);
  });

  after(async () => {
    await rig?.close();
    await side?.close();
  });

  /** The supplicant's EAP fields for a method. */
  function eap(method: 'TLS' | 'PEAP' | 'TTLS', password?: string): WpaNetwork {
    const pki = side!.pki;
    switch (method) {
      case 'TLS':
        return { eap: 'TLS', identity: USERS.tls.name, ca_cert: pki.ca.cert, client_cert: pki.stations[USERS.tls.name].cert, private_key: pki.stations[USERS.tls.name].key };
      case 'PEAP':
        return { eap: 'PEAP', identity: USERS.peap.name, password: password ?? USERS.peap.password, ca_cert: pki.ca.cert, phase2: 'auth=MSCHAPV2' };
      case 'TTLS':
        return { eap: 'TTLS', identity: USERS.ttls.name, password: password ?? USERS.ttls.password, ca_cert: pki.ca.cert, phase2: 'auth=PAP' };
    }
  }

  async function start8021x(supplicant: WpaNetwork): Promise<Rig> {
    rig = await startRig({
      network: wiredNetwork(SSID, { akms: ['8021x'] }),
      port: { akm: AKM.IEEE8021X },
      radius: side!.radius,
      supplicant,
    });
    return rig;
  }

  async function metric(r: Rig, name: string): Promise<number> {
    return (await fetchMetrics(r.auth)).get(name) ?? 0;
  }

  /** EAP method type numbers (RFC 3748 §5, IANA): TLS 13, TTLS 21, PEAP 25. */
  const METHOD_TYPE = { TLS: 13, TTLS: 21, PEAP: 25 } as const;

  for (const method of ['TLS', 'PEAP', 'TTLS'] as const) {
    const label = { TLS: 'EAP-TLS', PEAP: 'PEAP/MSCHAPv2', TTLS: 'TTLS/PAP' }[method];
    void it(`key_mgmt=IEEE8021X, ${label}: CTRL-EVENT-EAP-SUCCESS, Access-Accept counted`, async () => {
      try {
        const r = await start8021x({ key_mgmt: 'IEEE8021X', eapol_flags: 0, ...eap(method) });
        await expectLinesInOrder(r.supplicant, [
          'CTRL-EVENT-EAP-STARTED EAP authentication started',
          `CTRL-EVENT-EAP-METHOD EAP vendor 0 method ${METHOD_TYPE[method]} (${method}) selected`,
          'CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully',
          'EAPOL: Supplicant port status: Authorized',
        ], EAP_MS);
        assert.ok(await waitFor(async () => (await metric(r, 'airlock_eap_authentications_total{result="accept"}')) >= 1, 2000), 'airlock_eap_authentications_total{result="accept"}');
        assert.equal(await metric(r, 'airlock_eap_authentications_total{result="reject"}'), 0);
        const st = r.driver.station(r.sta);
        assert.ok(st, 'the station appeared at the agent with its first EAPOL frame');
        assert.equal(st.static, false);
      } finally {
        await rig?.close();
        rig = undefined;
      }
    });
  }

  void it('key_mgmt=IEEE8021X on a port without key management: EAP success opens the port at the agent', async () => {
    try {
      rig = await startRig({
        network: wiredNetwork(SSID, { akms: ['8021x'] }),
        port: { rsne: Buffer.alloc(0) },
        radius: side!.radius,
        supplicant: { key_mgmt: 'IEEE8021X', eapol_flags: 0, ...eap('PEAP') },
      });
      const r = rig;
      await expectLinesInOrder(r.supplicant, ['CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully', 'EAPOL: Supplicant port status: Authorized'], EAP_MS);
      assert.ok(await waitFor(() => r.driver.station(r.sta)?.portAuthorized === true, 2000), 'port authorized at the agent');
      assert.ok(await waitFor(async () => (await metric(r, 'airlock_eap_authentications_total{result="accept"}')) >= 1, 2000), 'airlock_eap_authentications_total{result="accept"}');
      assert.equal(r.supplicant.indexOf(/WPA: RX message 1 of 4-Way Handshake/), -1, 'no 4-way handshake on a port without key management');
    } finally {
      await rig?.close();
      rig = undefined;
    }
  });

  void it('key_mgmt=WPA-EAP, PEAP/MSCHAPv2: EAP success, then the 4-way handshake up to the wired end', async (t: TestContext) => {
    try {
      const r = await start8021x({ key_mgmt: 'WPA-EAP', ssid: SSID, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', ...eap('PEAP') });
      const [success] = await expectLinesInOrder(r.supplicant, ['CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully'], EAP_MS);
      assert.ok(await waitFor(async () => (await metric(r, 'airlock_eap_authentications_total{result="accept"}')) >= 1, 2000), 'airlock_eap_authentications_total{result="accept"}');
      const [msg1] = await expectLinesInOrder(r.supplicant, [/WPA: RX message 1 of 4-Way Handshake/], STEP_MS, success);

      await t.test('msg 2/4 verifies at the authenticator; wpa_supplicant verifies msg 3/4 and decrypts its key data', async () => {
        const next = await r.supplicant.waitForLine(/WPA: PTK derivation|RSN: PMKID mismatch/, STEP_MS, msg1);
        assert.doesNotMatch(r.supplicant.lines()[next], /PMKID mismatch/, 'wpa_supplicant rejected the PMKID of msg 1/4');
        await expectLinesInOrder(r.supplicant, wiredHandshakeLines(r.sta), STEP_MS, success);
        const view = r.auth.service.core.station(r.sta);
        assert.equal(view?.ptkState, 'PTKINITNEGOTIATING');
        assert.equal(view?.handshake?.micFailures, 0);
      });
    } finally {
      await rig?.close();
      rig = undefined;
    }
  });

  void it('a wrong EAP password: Access-Reject, CTRL-EVENT-EAP-FAILURE, reject counted, port stays closed', async () => {
    try {
      const r = await start8021x({ key_mgmt: 'IEEE8021X', eapol_flags: 0, ...eap('PEAP', 'not the password') });
      await expectLinesInOrder(r.supplicant, ['CTRL-EVENT-EAP-STARTED', 'CTRL-EVENT-EAP-FAILURE EAP authentication failed'], EAP_MS);
      assert.ok(await waitFor(async () => (await metric(r, 'airlock_eap_authentications_total{result="reject"}')) >= 1, 2000), 'airlock_eap_authentications_total{result="reject"}');
      assert.equal(await metric(r, 'airlock_eap_authentications_total{result="accept"}'), 0);
      assert.ok(await waitFor(() => r.auth.service.core.history(r.sta)[0]?.result === 'rejected', 2000), 'the handshake record says rejected');
      assert.notEqual(r.driver.station(r.sta)?.portAuthorized, true);
      assert.equal(r.supplicant.indexOf('CTRL-EVENT-EAP-SUCCESS'), -1);
    } finally {
      await rig?.close();
      rig = undefined;
    }
  });
});
