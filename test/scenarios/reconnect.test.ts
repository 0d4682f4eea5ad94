/**
 * The core's side of an agent reconnect (DESIGN.md "Reconnect", issue 5 item 2), on
 * virtual time: a detached BSS holds its stations with their keys while nothing is sent;
 * on attach, reconciliation with the agent's station table keeps the authorized ones,
 * restarts handshakes that were in flight and disconnects what it cannot vouch for.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { macKey, type StationEntryView } from '@airlock/rsn';
import { Air, mac, type AirFrame } from './harness.js';

const BSSID = mac(0xb0, 1);
const down = (kind: string) => (f: AirFrame) => f.dir === 'down' && f.info.kind === kind;

/** The agent's view of a station as its Hello would carry it. */
function entry(air: Air, sta: Buffer, o: { portAuthorized: boolean; pairwiseKeyInstalled: boolean }): StationEntryView {
  return { sta, rsne: air.station(sta).assocRsne, ...o };
}

void describe('agent reconnect: detach, attach, reconcile', () => {
  void it('while detached nothing is sent and nothing times out; on attach the handshake in flight restarts and the authorized station keeps its key', () => {
    const air = new Air();
    const cfg = air.addBss({ bssid: BSSID });
    const a = mac(0x5a, 1);
    const b = mac(0x5a, 2);
    air.addStation({ mac: a }, BSSID);
    air.addStation({ mac: b }, BSSID);
    air.associate(a);
    air.run();
    assert.equal(air.core.station(a)?.phase, 'authorized');
    // b's msg 1/4 never arrives: its handshake is in flight when the agent goes away.
    air.intercept = (f) => (down('msg1/4')(f) && f.sta.equals(b) ? 'drop' : 'deliver');
    air.associate(b);
    air.runFor(10);
    const installsBefore = air.effects('install-pairwise-key', (e) => e.sta.equals(a)).length;

    air.operator('detach', (core) => (core.detachBss(BSSID), []));
    const quietFrom = air.timeline.length;
    // A GTK rekey asked for while detached waits too.
    air.operator('rekey while detached', (core, now) => core.rekeyGroup(BSSID, now));
    air.runFor(60_000);
    const sent = air.timeline.slice(quietFrom).filter((e) => e.kind === 'effect' && e.effect.type !== 'report');
    assert.deepEqual(sent.map((e) => (e.kind === 'effect' ? e.effect.type : e.kind)), [], 'nothing is sent to a detached BSS');
    assert.equal(air.core.station(b)?.phase, 'authenticating', 'b did not time out while its agent was away');
    assert.equal(air.core.station(a)?.phase, 'authorized');

    air.intercept = undefined;
    const txBefore = air.transmissions(b, 'msg1/4').length;
    air.operator('attach', (core, now) => {
      const r = core.attachBss(cfg, now);
      assert.ok(r.ok);
      return [...r.effects, ...core.reconcile(BSSID, [entry(air, a, { portAuthorized: true, pairwiseKeyInstalled: true }), entry(air, b, { portAuthorized: false, pairwiseKeyInstalled: false })], now)];
    });
    air.run();
    assert.ok(air.transmissions(b, 'msg1/4').length > txBefore, "b's handshake started again");
    assert.equal(air.core.station(b)?.phase, 'authorized', 'b completes after the restart');
    assert.equal(air.core.station(a)?.phase, 'authorized');
    assert.deepEqual(air.station(a).disconnects, [], 'a was never disconnected');
    assert.equal(air.effects('install-pairwise-key', (e) => e.sta.equals(a)).length, installsBefore, "a's TK was not touched");
    // The rekey asked for while detached ran after the attach and reached both.
    const gtkAtRadio = air.radioBss(BSSID);
    for (const s of [a, b]) {
      const g = air.station(s).supplicant.gtk;
      assert.ok(g !== undefined && gtkAtRadio.gtk.get(g.keyId)?.equals(g.gtk), `${macKey(s)} holds the radio's new GTK`);
    }
    assert.equal(air.core.groupKeyId(BSSID), 2, 'the GTK rolled to key id 2');
  });

  void it("reconcile: a station the agent lost leaves quietly; one without its key at the agent, and one unknown, are disconnected with reason 2", () => {
    const air = new Air();
    const cfg = air.addBss({ bssid: BSSID });
    const kept = mac(0x5b, 1);
    const gone = mac(0x5b, 2);
    const noKey = mac(0x5b, 3);
    const stranger = mac(0x5b, 4);
    for (const s of [kept, gone, noKey]) {
      air.addStation({ mac: s }, BSSID);
      air.associate(s);
    }
    air.run();
    air.operator('detach', (core) => (core.detachBss(BSSID), []));
    air.runFor(5000);
    const effects = air.operator('attach', (core, now) => {
      const r = core.attachBss(cfg, now);
      assert.ok(r.ok);
      return [...r.effects, ...core.reconcile(BSSID, [
        entry(air, kept, { portAuthorized: true, pairwiseKeyInstalled: true }),
        entry(air, noKey, { portAuthorized: true, pairwiseKeyInstalled: false }),
        { sta: stranger, rsne: Buffer.alloc(0), portAuthorized: true, pairwiseKeyInstalled: true },
      ], now)];
    });
    air.run();
    const disconnects = effects.filter((e) => e.type === 'disconnect');
    assert.deepEqual(disconnects.map((e) => [macKey(e.sta), e.reason]).sort(), [[macKey(noKey), 2], [macKey(stranger), 2]].sort());
    assert.equal(air.core.station(kept)?.phase, 'authorized');
    assert.equal(air.core.station(gone), undefined, 'the station the agent no longer has is gone');
    assert.equal(air.core.station(noKey), undefined);
    const stop = air.accounting.find((x) => x.effect.kind === 'stop' && x.effect.sta.equals(gone));
    assert.equal(stop?.effect.terminateCause, 2, 'its accounting session ends with Lost-Carrier');
  });

  void it('a BSS that comes back with another RSNE is refused as changed (the glue then replaces it)', () => {
    const air = new Air();
    const cfg = air.addBss({ bssid: BSSID });
    air.operator('detach', (core) => (core.detachBss(BSSID), []));
    const r = air.core.attachBss({ ...cfg, rsne: Buffer.from(cfg.rsne).fill(0x01, 4, 5) }, air.now);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'changed');
    assert.equal(air.core.isDetached(BSSID), true);
  });
});
