/**
 * A wired 802.1X port running the 4-way handshake (IEEE 802.11-2020 §12.7.6 over IEEE
 * 802.1X-2020 EAPOL): no (Re)Association Request, so no association RSNE. The agent
 * announces the station statically (an 'associated' event with an empty RSNE), the AA is
 * the port's BSSID, the PAE group address, and the RSNE of msg 2/4 is checked against the
 * port's policy instead (architecture invariant 5): one AKM, the port's; one pairwise
 * cipher, one the port offers; the port's group cipher. Otherwise reason 17.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER, Reason, encodeRsne, findElement, decodeKeyData, RSNE_ID } from '@airlock/rsn';
import { Air, keyFrameInfo, mac } from './harness.js';

/** IEEE 802.1X PAE group address: the AA of a wired port. */
const PAE_GROUP = Buffer.from([0x01, 0x80, 0xc2, 0x00, 0x00, 0x03]);

/** A station's RSNE: CCMP-128 group, the given pairwise ciphers, PSK. */
function stationRsne(pairwiseCiphers: number[]): Buffer {
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers, akms: [AKM.PSK], capabilities: 0 });
}

/** A wired PSK port offering CCMP-128 only (what the wired driver announces by default). */
function wiredAir(): Air {
  const air = new Air();
  air.addBss({ bssid: PAE_GROUP, wired: true, interfaceMac: mac(0xe1, 1), akms: [AKM.PSK] });
  return air;
}

const refused: { desc: string; pairwiseCiphers: number[]; stationCipher: number }[] = [
  { desc: 'msg 2/4 RSNE asking for GCMP-256, which the port does not offer', pairwiseCiphers: [CIPHER.GCMP_256], stationCipher: CIPHER.GCMP_256 },
  { desc: 'msg 2/4 RSNE listing two pairwise ciphers instead of selecting one', pairwiseCiphers: [CIPHER.CCMP_128, CIPHER.GCMP_256], stationCipher: CIPHER.CCMP_128 },
];

void describe('wired port: the msg 2/4 RSNE against the port policy', () => {
  for (const c of refused) {
    void it(`${c.desc}: refused with reason 17, no msg 3/4`, async () => {
      const air = wiredAir();
      const sta = mac(0x7b, 1);
      const rsne = stationRsne(c.pairwiseCiphers);
      const st = air.addStation({ mac: sta, rsne, pairwiseCipher: c.stationCipher }, PAE_GROUP);
      air.associate(sta);
      air.run();

      // There was no association RSNE to refuse: the handshake started.
      assert.equal(air.events('associated')[0].event.rsne.length, 0, 'the static station is announced without RSNE');
      const msg1 = air.transmissions(sta, 'msg1/4');
      assert.equal(msg1.length, 1);
      assert.ok(msg1[0].effect.bssid.equals(PAE_GROUP));
      const msg2 = air.events('eapol').filter((e) => keyFrameInfo(e.event.frame).kind === 'msg2/4');
      assert.equal(msg2.length, 1);
      const kd = decodeKeyData(keyFrameInfo(msg2[0].event.frame).key!.keyData);
      assert.ok(kd.ok && findElement(kd.value, RSNE_ID)?.equals(rsne), 'msg 2/4 carries the station RSNE');

      // The core answers that msg 2/4 with a disconnect, reason 17, and nothing else.
      const answer = air.effectsOf(msg2[0].i);
      assert.deepEqual(
        answer.filter((e) => e.type === 'disconnect').map((e) => e.reason),
        [Reason.IE_IN_4WAY_DIFFERS],
      );
      assert.deepEqual(answer.filter((e) => e.type === 'transmit-eapol' || e.type === 'install-pairwise-key' || e.type === 'set-port').map((e) => e.type), []);
      const hs = air.reports('handshake').filter((r) => r.sta.equals(sta));
      assert.deepEqual(hs.map((r) => [r.result, r.detail]), [['rejected', 'msg 2/4 RSNE selects another pairwise cipher']]);
      assert.equal(await air.metric('airlock_handshakes_total{result="rejected"}'), 1);
      assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 0);
      assert.equal(air.transmissions(sta, 'msg3/4').length, 0);
      assert.equal(air.effects('install-pairwise-key').length, 0);
      assert.deepEqual(st.disconnects, [Reason.IE_IN_4WAY_DIFFERS]);
      assert.equal(air.core.station(sta), undefined, 'the station is gone');
      assert.deepEqual(air.violations, []);
    });
  }

  void it('msg 2/4 RSNE selecting the port cipher (CCMP-128): the handshake completes with AA = the PAE group address', async () => {
    const air = wiredAir();
    const sta = mac(0x7b, 2);
    const rsne = stationRsne([CIPHER.CCMP_128]);
    const st = air.addStation({ mac: sta, rsne }, PAE_GROUP);
    air.associate(sta);
    air.run();

    assert.equal(air.transmissions(sta, 'msg3/4').length, 1);
    const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
    assert.equal(installs.length, 1);
    assert.ok(installs[0].effect.bssid.equals(PAE_GROUP));
    assert.equal(installs[0].effect.cipher, CIPHER.CCMP_128);
    // The station derived its PTK with AA = 01:80:c2:00:00:03; the TKs agree.
    assert.ok(installs[0].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.equal(air.radio(sta)?.portAuthorized, true);
    assert.deepEqual(air.reports('handshake').filter((r) => r.sta.equals(sta)).map((r) => r.result), ['success']);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(await air.metric('airlock_handshakes_total{result="rejected"}'), 0);
    assert.deepEqual(st.disconnects, []);
    assert.deepEqual(air.violations, []);
  });
});
