/**
 * One authenticator takes a BSS over from another with the state it left (issue 16,
 * DESIGN.md "Several authenticators"), on virtual time: the core's snapshots (exportBss,
 * exportStation), their adoption by a second core, and the reconcile with the agent's
 * station table. The stations' own supplicants check every frame after the takeover with
 * the keys and replay counters they hold, so a wrong PTK, GTK or counter shows up as a
 * dropped frame and a disconnect.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, AuthenticatorCore, macKey, REPLAY_RESERVATION, type Effect, type SaListener, type StationEntryView } from '@airlock/rsn';
import { Air, mac, scriptedRadius, seededRandom } from './harness.js';
import { keyRequest } from './frames.js';

const BSSID = mac(0xb0, 1);

/** What an SaListener heard, in order. */
function recorder(): { sa: SaListener; heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    sa: {
      stationChanged: (b, s) => heard.push(`changed ${macKey(b)} ${macKey(s)}`),
      stationGone: (b, s) => heard.push(`gone ${macKey(b)} ${macKey(s)}`),
      bssChanged: (b) => heard.push(`bss ${macKey(b)}`),
    },
  };
}

/** The agent's station table as its Hello to the new instance carries it. */
function entries(air: Air, stas: Buffer[]): StationEntryView[] {
  return stas.map((sta) => ({ sta, rsne: air.station(sta).assocRsne, portAuthorized: true, pairwiseKeyInstalled: true }));
}

/** Takes `bssid` over into a fresh core: BSS, stations, then the reconcile with the agent's table. */
function takeOver(air: Air, stas: Buffer[], o: { installGtk?: boolean; sa?: SaListener } = {}): void {
  const next = new AuthenticatorCore({ random: seededRandom('second instance'), saListener: o.sa });
  air.takeOver(next, (from, to, now) => {
    const snap = from.exportBss(BSSID);
    assert.ok(snap !== undefined);
    const snaps = stas.map((sta) => {
      const x = from.exportStation(sta);
      assert.ok(x !== undefined && x !== 'busy', `${macKey(sta)} has a snapshot`);
      return x;
    });
    const r = to.adoptBss(air.bssConfig(BSSID), snap, snaps, o.installGtk ?? false, now);
    assert.ok(r.ok);
    assert.equal(r.adopted.length, stas.length, 'every station adopted');
    const out: Effect[] = [...r.effects];
    out.push(...to.reconcile(BSSID, entries(air, stas), now));
    // The first instance is gone: nothing of it runs any more (its timers die with it).
    from.relinquishBss(BSSID, now);
    return out;
  });
}

void describe('takeover by another authenticator', () => {
  void it('PSK: the new instance keeps every station without a message to it, and its next GTK rekey reaches them all (their MIC and replay checks pass)', () => {
    const { sa, heard } = recorder();
    const air = new Air({ core: { saListener: sa } });
    air.addBss({ bssid: BSSID });
    const stas = [1, 2, 3].map((n) => mac(0x5a, n));
    for (const sta of stas) air.addStation({ mac: sta }, BSSID);
    for (const sta of stas) air.associate(sta);
    air.run();
    for (const sta of stas) assert.equal(air.core.station(sta)?.phase, 'authorized');
    // Told: the first GTK, and each station once it was authorized.
    assert.equal(heard[0], `bss ${macKey(BSSID)}`);
    for (const sta of stas) assert.ok(heard.includes(`changed ${macKey(BSSID)} ${macKey(sta)}`));

    const before = air.timeline.length;
    takeOver(air, stas);
    air.run();
    const sent = air.timeline.slice(before).filter((e) => e.kind === 'effect' && e.effect.type !== 'report');
    assert.deepEqual(sent, [], 'the takeover sends nothing: no key install, no handshake, no disconnect');
    for (const sta of stas) assert.equal(air.core.station(sta)?.phase, 'authorized');

    air.operator('rekey on the new instance', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();
    const radio = air.radioBss(BSSID);
    for (const sta of stas) {
      const g = air.station(sta).supplicant.gtk;
      assert.ok(g !== undefined && g.keyId === 2 && radio.gtk.get(2)?.equals(g.gtk), `${macKey(sta)} holds the new GTK`);
      assert.deepEqual(air.station(sta).disconnects, [], `${macKey(sta)} was never disconnected`);
    }
    assert.equal(air.reports('handshake').filter((r) => r.result !== 'success').length, 0);
  });

  void it('the replay counters go on above every counter the old instance used, even past the snapshot it wrote last', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run();
    const snapAtJoin = air.core.exportStation(sta);
    assert.ok(snapAtJoin !== undefined && snapAtJoin !== 'busy');
    // Rekeys the old instance ran after that snapshot, each using a counter.
    for (let i = 0; i < REPLAY_RESERVATION / 2 - 4; i++) {
      air.operator('rekey', (core, now) => core.rekeyGroup(BSSID, now));
      air.run();
    }
    const used = air.transmissions(sta).map((t) => t.info.replayCounter);
    const last = used.reduce((a, b) => (a > b ? a : b), 0n);
    assert.ok(BigInt(snapAtJoin.replayCounter) > last, `the snapshot at the join (${snapAtJoin.replayCounter}) still covers counter ${last}`);
    // The new instance adopts that older snapshot (the newer write was lost with the old instance).
    const next = new AuthenticatorCore({ random: seededRandom('second') });
    air.takeOver(next, (from, to, now) => {
      const r = to.adoptBss(air.bssConfig(BSSID), from.exportBss(BSSID), [snapAtJoin], false, now);
      assert.ok(r.ok && r.adopted.length === 1);
      const out = [...r.effects, ...to.reconcile(BSSID, entries(air, [sta]), now)];
      from.relinquishBss(BSSID, now);
      return out;
    });
    air.operator('rekey on the new instance', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();
    const after = air.transmissions(sta).map((t) => t.info.replayCounter).filter((c) => c > last);
    assert.ok(after.length > 0);
    assert.deepEqual(air.station(sta).disconnects, [], 'the station accepted the new counter');
    assert.equal(air.core.groupKeyId(BSSID), (air.radioBss(BSSID).txKeyId ?? 0));
  });

  void it('802.1X: the accounting session goes on (no new Start; the Stop carries its Acct-Session-Id) and the grant (VLAN, Session-Timeout) with it', () => {
    const air = new Air({ core: { accountingInterimMs: 0 } });
    air.radius = scriptedRadius({ vlanId: 30, sessionTimeoutS: 3600 });
    air.addBss({ bssid: BSSID, akms: [AKM.IEEE8021X] });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta, eap: { identity: 'alice' } }, BSSID);
    air.associate(sta);
    air.runFor(2000); // run() would go on to the Session-Timeout's reauthentication
    assert.equal(air.core.station(sta)?.phase, 'authorized');
    const start = air.accounting.filter((a) => a.effect.kind === 'start');
    assert.equal(start.length, 1);
    takeOver(air, [sta]);
    air.runFor(1000);
    assert.equal(air.core.station(sta)?.vlanId, 30);
    assert.equal(air.accounting.filter((a) => a.effect.kind === 'start').length, 1, 'no second Start');
    air.leave(sta);
    air.runFor(1000);
    const stops = air.accounting.filter((a) => a.effect.kind === 'stop');
    assert.equal(stops.length, 1);
    assert.equal(stops[0].effect.acctSessionId, start[0].effect.acctSessionId);
    assert.ok(stops[0].effect.sessionTimeS >= 0);
  });

  void it('no snapshot for a station not yet authorized, nor (busy) for one in a PTK rekey; relinquishBss forgets a BSS without a word', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const a = mac(0x5a, 1);
    const b = mac(0x5a, 2);
    const st = air.addStation({ mac: a }, BSSID);
    air.addStation({ mac: b }, BSSID);
    air.associate(a);
    air.run();
    air.intercept = (f) => (f.dir === 'down' && f.info.kind === 'msg3/4' ? 'drop' : 'deliver');
    air.associate(b);
    air.runFor(20);
    assert.equal(air.core.exportStation(b), undefined, 'b is in its first handshake: nothing to share yet');
    const ptk = st.supplicant.ptk!;
    air.sendUp(a, keyRequest({ kck: ptk.kck, descriptorVersion: 2, replayCounter: 1n, pairwise: true }));
    air.runFor(20);
    assert.equal(air.core.exportStation(a), 'busy', 'a is in a PTK rekey');
    assert.equal(air.core.exportStation(mac(0x5a, 9)), undefined);
    const before = air.timeline.length;
    air.operator('relinquish', (core, now) => core.relinquishBss(BSSID, now));
    const sent = air.timeline.slice(before).filter((e) => e.kind === 'effect' && e.effect.type !== 'report');
    assert.deepEqual(sent, []);
    assert.equal(air.core.station(a), undefined);
    assert.equal(air.accounting.filter((x) => x.effect.kind === 'stop').length, 0, 'no Accounting-Stop from an instance that lost the BSS');
    assert.deepEqual(air.reports('station-left'), []);
  });

  void it('held: timers wait (a rekey that comes due does not run) while events still do; released, what came due runs', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID, groupRekeyMs: 10_000 });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.runFor(100);
    air.operator('hold', (core, now) => core.holdBss(BSSID, true, now));
    air.runFor(20_000);
    assert.equal(air.core.groupKeyId(BSSID), 1, 'the rekey due at 10 s waited');
    air.operator('release', (core, now) => core.holdBss(BSSID, false, now));
    air.runFor(1000);
    assert.equal(air.core.groupKeyId(BSSID), 2, 'it ran on release');
    assert.deepEqual(air.station(sta).disconnects, []);
  });
  void it('a rekey that came due while the agent was away survives a hold and its release in between: it runs on attach', () => {
    const air = new Air();
    const cfg = air.addBss({ bssid: BSSID, groupRekeyMs: 10_000 });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.runFor(100);
    air.operator('detach', (core, now) => core.detachBss(BSSID, now, 60_000));
    air.runFor(15_000); // the rekey came due while detached
    air.operator('hold', (core, now) => core.holdBss(BSSID, true, now));
    air.operator('release, still detached', (core, now) => core.holdBss(BSSID, false, now));
    air.runFor(1000);
    assert.equal(air.core.groupKeyId(BSSID), 1, 'nothing runs while the agent is away');
    air.operator('attach', (core, now) => {
      const r = core.attachBss(cfg, now);
      assert.ok(r.ok);
      return r.effects;
    });
    air.runFor(1000);
    assert.equal(air.core.groupKeyId(BSSID), 2, 'the deferred rekey ran on attach');
    assert.deepEqual(air.station(sta).disconnects, []);
  });

  void it('a grace period that ends while the BSS is held does not drop its stations until Redis answers; on release it ends', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 1);
    air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run();
    air.operator('detach', (core, now) => core.detachBss(BSSID, now, 5000));
    air.operator('hold', (core, now) => core.holdBss(BSSID, true, now));
    air.runFor(10_000);
    assert.equal(air.core.station(sta)?.phase, 'authorized', 'held: no expiry, no Accounting-Stop');
    assert.equal(air.reports('agent-expired').length, 0);
    air.operator('release', (core, now) => core.holdBss(BSSID, false, now));
    air.runFor(10);
    assert.equal(air.reports('agent-expired').length, 1, 'released: the grace period that ended meanwhile ends now');
    assert.equal(air.core.station(sta), undefined);
  });
  void it('taken over without usable group keys: a new GTK, and a rekey at once gives it to every station adopted (no disconnect)', () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const stas = [1, 2].map((n) => mac(0x5a, n));
    for (const sta of stas) air.addStation({ mac: sta }, BSSID);
    for (const sta of stas) air.associate(sta);
    air.run();
    const next = new AuthenticatorCore({ random: seededRandom('no group keys') });
    air.takeOver(next, (from, to, now) => {
      const snaps = stas.map((sta) => from.exportStation(sta)).filter((x) => x !== undefined && x !== 'busy');
      const r = to.adoptBss(air.bssConfig(BSSID), undefined, snaps, false, now);
      assert.ok(r.ok && r.adopted.length === 2);
      from.relinquishBss(BSSID, now);
      return [...r.effects, ...to.reconcile(BSSID, entries(air, stas), now)];
    });
    air.run();
    const radio = air.radioBss(BSSID);
    const tx = radio.txKeyId;
    assert.ok(tx !== undefined);
    for (const sta of stas) {
      const g = air.station(sta).supplicant.gtk;
      assert.ok(g !== undefined && g.keyId === tx && radio.gtk.get(tx)?.equals(g.gtk), `${macKey(sta)} holds the transmit GTK of the new instance`);
      assert.deepEqual(air.station(sta).disconnects, []);
    }
  });
});
