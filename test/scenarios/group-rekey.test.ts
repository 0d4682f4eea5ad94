/**
 * Group key handshake and GTK rekey, IEEE 802.11-2020 §12.7.7 and §12.7.10.4 (WPA_GROUP),
 * on virtual time. DESIGN.md invariants 7 and 10: the new GTK is installed receive-only,
 * reaches every authorized station, and only then becomes the transmit key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatMac } from '@airlock/rsn';
import { Air, mac } from './harness.js';

const BSSID = mac(0xb0, 1);

void describe('group key rekey', () => {
  void it('GTK rekey across 20 stations, one never answers: rx-only install, 19 get the GTK, the mute one gets 4 group msg 1/2 then reason 16, then the GTK becomes the TX key', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const initial = air.effects('install-group-key');
    assert.equal(initial.length, 1);
    assert.equal(initial[0].effect.keyId, 1, 'the first GTK has key id 1');
    assert.equal(initial[0].effect.setTx, true);

    const stations = Array.from({ length: 20 }, (_, i) => mac(0x5a, i));
    const muteSta = stations[7];
    for (const sta of stations) air.addStation({ mac: sta, misbehave: sta === muteSta ? { ignoreGroupMsg1: true } : undefined }, BSSID);
    for (const sta of stations) air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 20);
    const gtk1 = air.radioBss(BSSID).gtk.get(1);
    assert.ok(gtk1 !== undefined);
    for (const sta of stations) assert.ok(air.station(sta).supplicant.gtk?.gtk.equals(gtk1), `${formatMac(sta)} holds GTK 1 after its join`);

    const start = air.timeline.length;
    const t0 = air.now;
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();

    const installs = air.effects('install-group-key').filter((x) => x.i >= start);
    assert.deepEqual(installs.map((x) => [x.effect.keyId, x.effect.setTx]), [[2, false], [2, true]], 'new GTK: key id 2, rx-only first, TX last');
    const [rxOnly, tx] = installs;
    assert.ok(rxOnly.effect.key.equals(tx.effect.key));
    assert.ok(!rxOnly.effect.key.equals(gtk1), 'a new GTK');

    for (const sta of stations) {
      const msgs = air.transmissions(sta, 'group1/2').filter((x) => x.i >= start);
      assert.ok(msgs.every((m) => m.effect.protected), `${formatMac(sta)}: group msg 1/2 leaves protected`);
      assert.ok(msgs.every((m) => m.i > rxOnly.i), 'group msg 1/2 only after the rx-only install');
      if (sta === muteSta) continue;
      assert.equal(msgs.length, 1, `${formatMac(sta)}: one group msg 1/2`);
      const sup = air.station(sta).supplicant;
      assert.equal(sup.gtk?.keyId, 2);
      assert.ok(sup.gtk.gtk.equals(rxOnly.effect.key), `${formatMac(sta)} holds the new GTK`);
      assert.equal(air.station(sta).disconnects.length, 0);
    }

    const mute = air.transmissions(muteSta, 'group1/2').filter((x) => x.i >= start);
    assert.equal(mute.length, 4, 'the mute station gets 4 group msg 1/2 (dot11RSNAConfigGroupUpdateCount)');
    assert.deepEqual(mute.map((m) => m.t - t0), [0, 500, 1500, 2500]);
    for (let i = 1; i < mute.length; i++) assert.ok(mute[i].info.replayCounter > mute[i - 1].info.replayCounter);
    const disc = air.effects('disconnect');
    assert.equal(disc.length, 1, 'only the mute station is disconnected');
    assert.ok(disc[0].effect.sta.equals(muteSta));
    assert.equal(disc[0].effect.reason, 16);
    assert.equal(disc[0].t - t0, 3500);
    assert.ok(disc[0].i < tx.i, 'the GTK becomes the TX key only after the mute station is dealt with');
    // Every answering station's group msg 2/2 reached the core before the TX switch.
    const lastAnswer = air.events('eapol').filter((e) => e.i >= start).at(-1);
    assert.ok(lastAnswer !== undefined && lastAnswer.i < tx.i);

    assert.equal(air.radioBss(BSSID).txKeyId, 2);
    assert.equal(air.core.groupKeyId(BSSID), 2);
    const rekeyReports = air.reports('group-rekey');
    assert.deepEqual(rekeyReports.map((r) => [r.phase, r.keyId]), [['started', 2], ['completed', 2]]);
    assert.equal(rekeyReports[0].stations, 20);
    assert.equal(await air.metric('airlock_stations{state="authorized"}'), 19);
    assert.deepEqual(air.violations, []);

    // The next rekey goes back to key id 1, and all 19 remaining stations get it.
    const start2 = air.timeline.length;
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();
    const installs2 = air.effects('install-group-key').filter((x) => x.i >= start2);
    assert.deepEqual(installs2.map((x) => [x.effect.keyId, x.effect.setTx]), [[1, false], [1, true]], 'key id alternates 2 -> 1');
    for (const sta of stations) {
      if (sta === muteSta) continue;
      assert.equal(air.station(sta).supplicant.gtk?.keyId, 1);
      assert.ok(air.station(sta).supplicant.gtk?.gtk.equals(installs2[0].effect.key));
    }
    assert.equal(air.effects('disconnect').length, 1);
    assert.deepEqual(air.violations, []);
  });

  void it('station joining during a GTK rekey gets the GTK the BSS transmits with, then the new one', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const mute = mac(0x5a, 1);
    const late = mac(0x5a, 2);
    air.addStation({ mac: mute, misbehave: { ignoreGroupMsg1: true } }, BSSID);
    air.addStation({ mac: late }, BSSID);
    air.associate(mute);
    air.run();
    // The rekey waits ~3.5 s for the mute station; the late one joins meanwhile.
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.runFor(100);
    assert.equal(air.radioBss(BSSID).txKeyId, 1, 'the rekey is under way: GTK 1 still transmits');
    let atPortOpen: { tx: number | undefined; station: number | undefined } | undefined;
    air.onEffects = (effects) => {
      if (effects.some((e) => e.type === 'set-port' && e.sta.equals(late))) {
        atPortOpen = { tx: air.radioBss(BSSID).txKeyId, station: air.station(late).supplicant.gtk?.keyId };
      }
    };
    air.associate(late);
    air.run();
    assert.ok(atPortOpen !== undefined, 'the late station joined');
    assert.equal(atPortOpen.station, atPortOpen.tx, 'when its port opens, the station holds the GTK the BSS transmits with');
    assert.equal(air.radioBss(BSSID).txKeyId, 2);
    assert.equal(air.station(late).supplicant.gtk?.keyId, 2, 'and it gets the new GTK before that becomes the TX key');
  });

  void it('a late TX status of msg 3/4 does not cut short the group msg 1/2 timeout', () => {
    // The agent reports TX status late (300 ms): the status of msg 3/4 comes after msg 4/4.
    const air = new Air({ txStatusDelayMs: 300 });
    air.addBss({ bssid: BSSID, reportsTxStatus: true });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta, misbehave: { ignoreGroupMsg1: true } }, BSSID);
    air.associate(sta);
    air.runFor(100);
    assert.equal(air.reports('joined').length, 1);
    const t0 = air.now;
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.runFor(1000);
    const group = air.transmissions(sta, 'group1/2');
    assert.equal(group[0]?.t, t0);
    assert.equal(group[1]?.t, t0 + 500, 'the first group msg 1/2 timeout is 500 ms, whatever TX status arrives meanwhile');
  });
});
