/**
 * The core's bounds on virtual time: the per-station EAPOL rate limit (issue 5 item 3) and
 * handshake admission, at most maxHandshakesInFlight 4-way handshakes at once (issue 6).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EapolType, macKey } from '@airlock/rsn';
import { Air, mac, stationEapol } from './harness.js';

const BSSID = mac(0xb0, 1);

void describe('per-station EAPOL rate limit', () => {
  void it('a flooding station loses what exceeds its bucket, counted; it refills with time; another station is unaffected', async () => {
    const air = new Air({ core: { eapolRate: { perSecond: 5, burst: 10 } } });
    air.addBss({ bssid: BSSID });
    const flood = mac(0x5c, 1);
    const calm = mac(0x5c, 2);
    air.addStation({ mac: flood }, BSSID);
    air.addStation({ mac: calm }, BSSID);
    air.associate(flood);
    air.associate(calm);
    air.run();
    const ignored = async (): Promise<number> => air.metric('airlock_frames_dropped_total{reason="eapol_start_ignored"}');
    const limited = async (): Promise<number> => air.metric('airlock_frames_dropped_total{reason="eapol_rate_limited"}');
    const i0 = await ignored();
    // 50 EAPOL-Start frames at once (PSK: each is processed and ignored, unless limited).
    // The handshake's own frames took 2 tokens from the burst of 10.
    for (let k = 0; k < 50; k++) air.inject({ type: 'eapol', bssid: BSSID, sta: flood, frame: stationEapol(EapolType.Start) });
    assert.equal((await ignored()) - i0, 8, 'the rest of the burst is processed');
    assert.equal(await limited(), 42, 'the excess is dropped and counted');
    air.runFor(1000);
    for (let k = 0; k < 50; k++) air.inject({ type: 'eapol', bssid: BSSID, sta: flood, frame: stationEapol(EapolType.Start) });
    assert.equal((await ignored()) - i0, 8 + 5, 'one second later: 5 more (the rate)');
    assert.equal(await limited(), 42 + 45);
    // The other station's frames are untouched: a rekey of its PTK still completes.
    air.inject({ type: 'eapol', bssid: BSSID, sta: calm, frame: stationEapol(EapolType.Start) });
    assert.equal((await ignored()) - i0, 8 + 5 + 1);
    assert.equal(air.core.station(flood)?.phase, 'authorized', 'the flooder keeps its own association');
    assert.equal(air.core.station(calm)?.phase, 'authorized');
  });
});

void describe('handshake admission', () => {
  void it('at most maxHandshakesInFlight 4-way handshakes run at once; the others wait without timers and all complete', () => {
    const air = new Air({ core: { maxHandshakesInFlight: 2 } });
    air.addBss({ bssid: BSSID });
    const stas = Array.from({ length: 10 }, (_v, i) => mac(0x5d, i + 1));
    for (const s of stas) air.addStation({ mac: s }, BSSID);
    for (const s of stas) air.associate(s);
    // Before any answer arrives, only two msg 1/4 went out.
    const sentFirst = stas.filter((s) => air.transmissions(s, 'msg1/4').length > 0);
    assert.equal(sentFirst.length, 2);
    assert.deepEqual(air.core.handshakeLoad(), { inFlight: 2, waiting: 8 });
    air.run();
    for (const s of stas) {
      assert.equal(air.core.station(s)?.phase, 'authorized', macKey(s));
      assert.equal(air.transmissions(s, 'msg1/4').length, 1, `${macKey(s)}: one msg 1/4, no retransmission while waiting`);
    }
    assert.deepEqual(air.core.handshakeLoad(), { inFlight: 0, waiting: 0 });
  });

  void it('a slot freed by a failed or abandoned handshake goes to the next station; a waiting station that leaves gives up its turn', () => {
    const air = new Air({ core: { maxHandshakesInFlight: 1 } });
    air.addBss({ bssid: BSSID, passphrases: ['correct horse battery staple'] });
    const wrong = mac(0x5e, 1);
    const leaves = mac(0x5e, 2);
    const ok = mac(0x5e, 3);
    air.addStation({ mac: wrong, passphrase: 'wrong horse battery staple' }, BSSID);
    air.addStation({ mac: leaves }, BSSID);
    air.addStation({ mac: ok }, BSSID);
    air.associate(wrong);
    air.associate(leaves);
    air.associate(ok);
    assert.deepEqual(air.core.handshakeLoad(), { inFlight: 1, waiting: 2 });
    air.leave(leaves);
    air.run();
    assert.equal(air.core.station(wrong), undefined, 'the wrong passphrase failed (reason 15)');
    assert.equal(air.transmissions(leaves, 'msg1/4').length, 0, 'the station that left never got msg 1/4');
    assert.equal(air.core.station(ok)?.phase, 'authorized');
    assert.deepEqual(air.core.handshakeLoad(), { inFlight: 0, waiting: 0 });
  });
});
