/**
 * Msg 3/4 carries the AP's RSNE exactly as advertised (IEEE 802.11-2020 §12.7.6.4: "the
 * RSNE ... from the Authenticator's Beacon/Probe Response"; architecture invariant 6): on a
 * BSS that advertises two AKMs, a station that associated with one of them must find both
 * in msg 3/4, byte for byte, or it aborts the handshake (a downgrade check). Not the
 * station's association RSNE, and not an RSNE rebuilt from the negotiated suites.
 *
 * The Key Data of msg 3/4 is unwrapped here as the station does it: PTK from the station's
 * PMK, AA, SPA and the two nonces seen in the air, then AES key unwrap with the KEK.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER, RSNE_ID, aesKeyUnwrap, decodeKeyData, decodeRsne, derivePtk, encodeRsne, findElement, isPskAkm } from '@airlock/rsn';
import { Air, keyFrameInfo, mac, scriptedRadius } from './harness.js';

const BSSID = mac(0xb8, 1);
/** RSN Capabilities with PTKSA Replay Counter = 3 (16 counters), as hostapd advertises with WMM. */
const CAPABILITIES = 0x000c;

const cases: { desc: string; akms: number[]; stationAkm: number }[] = [
  { desc: 'PSK and PSK-SHA256 advertised, the station chose PSK-SHA256', akms: [AKM.PSK, AKM.PSK_SHA256], stationAkm: AKM.PSK_SHA256 },
  { desc: 'PSK and PSK-SHA256 advertised, the station chose PSK', akms: [AKM.PSK, AKM.PSK_SHA256], stationAkm: AKM.PSK },
  { desc: '802.1X and PSK advertised, the station chose 802.1X', akms: [AKM.IEEE8021X, AKM.PSK], stationAkm: AKM.IEEE8021X },
];

void describe('msg 3/4 carries the AP RSNE', () => {
  for (const c of cases) {
    void it(`${c.desc}: msg 3/4 carries the advertised RSNE byte for byte, both AKMs`, async () => {
      const apRsne = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: c.akms, capabilities: CAPABILITIES });
      const air = new Air();
      air.radius = scriptedRadius();
      const cfg = air.addBss({ bssid: BSSID, akms: c.akms, rsne: apRsne });
      assert.ok(cfg.rsne.equals(apRsne));
      const sta = mac(0x7c, 1);
      const spec = { mac: sta, akm: c.stationAkm, eap: isPskAkm(c.stationAkm) ? undefined : { identity: 'station@example.org' } };
      const st = air.addStation(spec, BSSID);
      air.associate(sta);
      air.run();

      // The station associated with its one AKM: its RSNE is not the AP's.
      const assoc = air.events('associated')[0].event.rsne;
      const assocDec = decodeRsne(assoc);
      assert.ok(assocDec.ok);
      assert.deepEqual(assocDec.value.akms, [c.stationAkm]);
      assert.notDeepEqual(assoc, apRsne);

      const msg1 = air.transmissions(sta, 'msg1/4');
      const msg3 = air.transmissions(sta, 'msg3/4');
      const msg2 = air.events('eapol').map((e) => keyFrameInfo(e.event.frame)).filter((k) => k.kind === 'msg2/4');
      assert.equal(msg1.length, 1);
      assert.equal(msg2.length, 1);
      assert.equal(msg3.length, 1);
      const pmk = isPskAkm(c.stationAkm) ? air.stationPmk(spec, cfg) : st.eap.pmk;
      assert.ok(pmk !== undefined, 'the station has a PMK');
      const ptk = derivePtk({ pmk, aa: BSSID, spa: sta, anonce: msg1[0].info.nonce, snonce: msg2[0].nonce, akm: c.stationAkm, cipher: CIPHER.CCMP_128 });
      const plain = aesKeyUnwrap(ptk.kek, msg3[0].info.key!.keyData);
      assert.ok(plain !== undefined, 'msg 3/4 Key Data unwraps with the KEK');
      const kd = decodeKeyData(plain);
      assert.ok(kd.ok);
      const rsne = findElement(kd.value, RSNE_ID);
      assert.ok(rsne !== undefined, 'msg 3/4 carries an RSNE');
      assert.equal(rsne.toString('hex'), apRsne.toString('hex'), 'the RSNE of msg 3/4 is the advertised one, byte for byte');
      const dec = decodeRsne(rsne);
      assert.ok(dec.ok);
      assert.deepEqual(dec.value.akms, c.akms, 'both advertised AKMs');
      assert.equal(dec.value.capabilities, CAPABILITIES);

      // The station compared it with the Beacon RSNE and completed the handshake.
      assert.deepEqual(st.log.filter((l) => l.effect.type === 'dropped').map((l) => l.effect), []);
      assert.equal(air.reports('joined').length, 1);
      assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
      assert.deepEqual(air.violations, []);
    });
  }
});
