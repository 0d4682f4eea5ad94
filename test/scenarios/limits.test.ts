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

void describe('adaptive handshake admission', () => {
  /**
   * The uplink as one busy agent: station frames are handled one after another, `serviceMs`
   * each, so an answer waits behind every answer before it. Returns how many msg 1/4 and
   * 3/4 went out again (retransmissions) before all `n` stations were authorized, and the
   * smallest admission limit seen.
   */
  function crowd(n: number, serviceMs: number, admission: 'adaptive' | 'fixed'): { retransmissions: number; authorized: number; minLimit: number; endLimit: number } {
    const air = new Air({ core: { maxHandshakesInFlight: 256, admission } });
    air.addBss({ bssid: BSSID });
    const stas = Array.from({ length: n }, (_v, i) => mac(0x60, i + 1));
    for (const s of stas) air.addStation({ mac: s }, BSSID);
    let busyUntil = 0;
    let minLimit = air.core.admissionLimit();
    air.intercept = (f) => {
      minLimit = Math.min(minLimit, air.core.admissionLimit());
      if (f.dir === 'down') return 'deliver';
      busyUntil = Math.max(busyUntil, f.t) + serviceMs;
      return { delayMs: busyUntil - f.t };
    };
    for (const s of stas) air.associate(s);
    air.run();
    let retransmissions = 0;
    for (const s of stas) retransmissions += air.transmissions(s, 'msg1/4').length + air.transmissions(s, 'msg3/4').length - 2;
    const authorized = stas.filter((s) => air.core.station(s)?.phase === 'authorized').length;
    return { retransmissions, authorized, minLimit, endLimit: air.core.admissionLimit() };
  }

  void it('a slow path shrinks the window: a crowd of stations joins with far fewer retransmissions than with a fixed window', () => {
    const fixed = crowd(600, 5, 'fixed');
    const adaptive = crowd(600, 5, 'adaptive');
    assert.equal(adaptive.authorized, 600);
    assert.ok(fixed.retransmissions > 200, `a fixed window of 256 behind a 5 ms-per-frame agent retransmits (${fixed.retransmissions})`);
    assert.ok(adaptive.retransmissions * 4 < fixed.retransmissions, `adaptive ${adaptive.retransmissions} vs fixed ${fixed.retransmissions} retransmissions`);
    assert.ok(adaptive.endLimit < 256 && adaptive.minLimit >= 64, `the window stayed between 64 and ${adaptive.endLimit}`);
    console.log(`600 joins behind a 5 ms/frame agent: retransmissions fixed window ${fixed.retransmissions} (authorized ${fixed.authorized}), adaptive ${adaptive.retransmissions}; window ${adaptive.minLimit}..${adaptive.endLimit}`);
  });

  void it('a fast path opens the whole window', () => {
    const fast = crowd(600, 0.01, 'adaptive');
    assert.equal(fast.authorized, 600);
    assert.equal(fast.retransmissions, 0);
    assert.equal(fast.minLimit, 64, 'it starts at 64');
    assert.equal(fast.endLimit, 256, 'and grows to maxHandshakesInFlight');
  });
});
