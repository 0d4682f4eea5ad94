/**
 * Per-station PSKs from RADIUS (hostapd's wpa_psk_radius, Cisco's iPSK) on virtual time: a
 * PSK network with pskSource 'radius' asks a MAC-authentication lookup at association (the
 * 'psk-request' effect), and the 4-way handshake starts only with the PSK its Accept gave.
 * The glue's side (the Access-Request, Tunnel-Password, PBKDF2, the cache) is tested
 * against FreeRADIUS in test/e2e/psk-radius.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, AcctTerminateCause, PskCache } from '@airlock/rsn';
import { Air, mac, type PskRequest } from './harness.js';

const BSSID = mac(0xd0, 1);
const SSID = 'mpsk';
const pskCache = new PskCache();

/** The PSK a station with `passphrase` derives (what the glue computes from a Tunnel-Password). */
function pskOf(passphrase: string): Buffer {
  return pskCache.get(Buffer.from(SSID), passphrase);
}

function mpskAir(): Air {
  const air = new Air({ commandDelayMs: 2 });
  air.addBss({ bssid: BSSID, ssid: SSID, akms: [AKM.PSK], passphrases: ['the shared one is not used'], pskSource: 'radius' });
  return air;
}

void describe('PSK from RADIUS', () => {
  void it('two stations with different PSKs from RADIUS join, each on its own VLAN; msg 1/4 waits for the answer', () => {
    const air = mpskAir();
    const a = mac(0x6a, 1);
    const b = mac(0x6a, 2);
    const table = new Map([[a.toString('hex'), { pass: 'alpha passphrase', vlan: 10 }], [b.toString('hex'), { pass: 'bravo passphrase', vlan: 20 }]]);
    const asked: PskRequest[] = [];
    air.pskLookup = (req) => {
      asked.push(req);
      const e = table.get(req.sta.toString('hex'));
      return e === undefined ? { outcome: 'reject' } : { outcome: 'accept', psk: pskOf(e.pass), vlanId: e.vlan, server: 'radius-1', rttMs: 4, delayMs: 30 };
    };
    const sa = air.addStation({ mac: a, passphrase: 'alpha passphrase' }, BSSID);
    const sb = air.addStation({ mac: b, passphrase: 'bravo passphrase' }, BSSID);
    air.associate(a);
    air.associate(b);
    air.runFor(20);
    // Nothing goes to a station before its PSK is known.
    assert.equal(air.transmissions(a).length, 0);
    assert.equal(asked.length, 2);
    assert.ok(asked[0].ssid.equals(Buffer.from(SSID)));
    assert.equal(asked[0].akm, AKM.PSK);
    assert.ok(asked[0].bssid.equals(BSSID));
    air.run();
    assert.equal(sa.supplicant.state, 'established');
    assert.equal(sb.supplicant.state, 'established');
    const first = air.transmissions(a)[0];
    assert.ok(first.t >= 30, 'msg 1/4 left after the answer');
    const vlans = air.effects('set-port', (e) => e.authorized).map((x) => [x.effect.sta.toString('hex'), x.effect.vlanId]);
    assert.deepEqual(new Map(vlans as [string, number][]), new Map([[a.toString('hex'), 10], [b.toString('hex'), 20]]));
    // explain shows where the PSK came from; accounting says RADIUS authenticated it.
    const rec = air.core.history(a)[0];
    assert.equal(rec.result, 'success');
    assert.equal(rec.auth?.identity, a.toString('hex'));
    assert.deepEqual(rec.auth?.rounds, [{ server: 'radius-1', rttMs: 4 }]);
    assert.equal(rec.auth?.vlanId, 10);
    const start = air.accounting.find((x) => x.effect.kind === 'start' && x.effect.sta.equals(a));
    assert.equal(start?.effect.authentic, 'radius');
  });

  void it('the PSK of another station does not open the door: a station using the wrong one fails its MIC', async () => {
    const air = mpskAir();
    const a = mac(0x6a, 3);
    air.pskLookup = () => ({ outcome: 'accept', psk: pskOf('what RADIUS says') });
    const st = air.addStation({ mac: a, passphrase: 'something else' }, BSSID);
    air.associate(a);
    air.run();
    assert.notEqual(st.supplicant.state, 'established');
    assert.ok((await air.metric('airlock_handshakes_total{result="mic_failure"}')) >= 1 || (await air.metric('airlock_handshakes_total{result="timeout"}')) >= 1);
    assert.equal(air.effects('install-pairwise-key').length, 0);
  });

  for (const c of [
    { name: 'an Access-Reject', reply: { outcome: 'reject' as const }, words: /Access-Reject/ },
    { name: 'no answer', reply: { outcome: 'timeout' as const }, words: /no RADIUS server answered/ },
    { name: 'an Accept without a Tunnel-Password', reply: { outcome: 'accept' as const, detail: 'no Tunnel-Password in the Access-Accept' }, words: /without a usable PSK \(no Tunnel-Password/ },
  ]) {
    void it(`${c.name} refuses the station with reason 23 before any handshake, and explain says why`, async () => {
      const air = mpskAir();
      const a = mac(0x6a, 4);
      air.pskLookup = () => c.reply;
      const st = air.addStation({ mac: a, passphrase: 'x'.repeat(8) }, BSSID);
      air.associate(a);
      air.run();
      assert.deepEqual(st.disconnects, [23]);
      assert.equal(air.transmissions(a).length, 0, 'no msg 1/4');
      const rec = air.core.history(a)[0];
      assert.equal(rec.stage, 'psk-lookup');
      assert.equal(rec.result, 'rejected');
      assert.match(rec.detail ?? '', c.words);
      assert.equal(await air.metric('airlock_handshakes_total{result="rejected"}'), 1);
      assert.equal(await air.metric('airlock_stations{state="associated"}') + await air.metric('airlock_stations{state="authenticating"}'), 0);
    });
  }

  void it('a station that leaves while its lookup runs is forgotten; the late answer changes nothing', () => {
    const air = mpskAir();
    const a = mac(0x6a, 5);
    let ref = 0;
    air.pskLookup = (req) => {
      ref = req.ref;
      return undefined;
    };
    air.addStation({ mac: a, passphrase: 'late answer pass' }, BSSID);
    air.associate(a);
    air.runFor(10);
    air.leave(a);
    air.runFor(10);
    const before = air.timeline.length;
    const effects = air.inject({ type: 'radius-response', ref, outcome: 'accept', psk: pskOf('late answer pass') });
    assert.deepEqual(effects, []);
    assert.ok(air.timeline.length > before);
    assert.equal(air.transmissions(a).length, 0);
  });

  void it('a Session-Timeout ends the session then (the next join asks again), with Acct-Terminate-Cause Session-Timeout', () => {
    const air = mpskAir();
    const a = mac(0x6a, 6);
    let asked = 0;
    air.pskLookup = () => {
      asked++;
      return { outcome: 'accept', psk: pskOf('timed passphrase'), sessionTimeoutS: 60 };
    };
    const st = air.addStation({ mac: a, passphrase: 'timed passphrase' }, BSSID);
    air.associate(a);
    air.runFor(1000);
    assert.equal(st.supplicant.state, 'established');
    air.runFor(60_000);
    assert.equal(st.disconnects.length, 1);
    const stop = air.accounting.find((x) => x.effect.kind === 'stop' && x.effect.sta.equals(a));
    assert.equal(stop?.effect.terminateCause, AcctTerminateCause.SessionTimeout);
    air.associate(a);
    air.runFor(1000);
    assert.equal(asked, 2, 'the second join asked RADIUS again');
    assert.equal(st.supplicant.state, 'established');
  });

  void it('a network with PSKs from the configuration asks nothing', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, akms: [AKM.PSK] });
    let asked = 0;
    air.pskLookup = () => {
      asked++;
      return undefined;
    };
    const a = mac(0x6a, 7);
    const st = air.addStation({ mac: a }, BSSID);
    air.associate(a);
    air.run();
    assert.equal(asked, 0);
    assert.equal(st.supplicant.state, 'established');
    assert.equal(air.accounting.find((x) => x.effect.kind === 'start')?.effect.authentic, 'local');
  });
});
