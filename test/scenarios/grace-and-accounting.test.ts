/**
 * Protocol time that used to live in the glue, now on the core's one clock (issue 15 step
 * 2), tested on virtual time: the reconnect grace period of an agent that went away, and
 * accounting Interim-Updates (RFC 2869 Acct-Interim-Interval), each session on its own
 * schedule from its start.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AcctTerminateCause, macKey } from '@airlock/rsn';
import { Air, mac } from './harness.js';

const BSSID = mac(0xb0, 1);
const OTHER = mac(0xb0, 2);
const GRACE_MS = 30_000;
const INTERIM_MS = 60_000;

/** An Air with two BSSes of two agents and one authorized station on each. */
function twoAgents(o: { interimMs?: number } = {}): { air: Air; a: Buffer; b: Buffer } {
  const air = new Air({ core: { accountingInterimMs: o.interimMs } });
  air.addBss({ bssid: BSSID, agentId: 'ap-1' });
  air.addBss({ bssid: OTHER, agentId: 'ap-2' });
  const a = mac(0x5a, 1);
  const b = mac(0x5a, 2);
  air.addStation({ mac: a }, BSSID);
  air.addStation({ mac: b }, OTHER);
  air.associate(a);
  air.associate(b);
  // runFor, not run: with Interim-Updates there is always a next deadline.
  air.runFor(2_000);
  assert.equal(air.core.station(a)?.phase, 'authorized');
  assert.equal(air.core.station(b)?.phase, 'authorized');
  return { air, a, b };
}

void describe('reconnect grace on the core clock', () => {
  void it('an agent that does not return within the grace period: at its end (not before) its BSS and stations go, with Accounting-Stop Lost-Service, and one agent-expired report', () => {
    const { air, a, b } = twoAgents();
    const detachedAt = air.now;
    air.operator('agent ap-1 gone', (core, now) => core.detachBss([BSSID], now, GRACE_MS));
    assert.equal(air.core.nextDeadline(), detachedAt + GRACE_MS, 'the grace period is the core deadline');

    air.run({ until: detachedAt + GRACE_MS - 1 });
    assert.equal(air.reports('agent-expired').length, 0, 'not before the grace period ends');
    assert.equal(air.core.station(a)?.phase, 'authorized', 'the station is held, keys and all');
    assert.equal(air.core.isDetached(BSSID), true);

    air.run({ until: detachedAt + GRACE_MS });
    const expired = air.reports('agent-expired');
    assert.equal(expired.length, 1);
    assert.equal(expired[0].agentId, 'ap-1');
    assert.deepEqual(expired[0].bssids.map((x) => macKey(x)), [macKey(BSSID)]);
    assert.equal(air.core.station(a), undefined, 'its station is gone');
    assert.equal(air.core.isDetached(BSSID), false);
    assert.deepEqual(air.core.bssViews().map((v) => v.agentId), ['ap-2'], 'only the other agent\'s BSS is left');
    const stops = air.accounting.filter((x) => x.effect.kind === 'stop');
    assert.equal(stops.length, 1);
    assert.ok(stops[0].effect.sta.equals(a));
    assert.equal(stops[0].effect.terminateCause, AcctTerminateCause.LostService);
    assert.equal(stops[0].t, detachedAt + GRACE_MS);
    const left = air.reports('station-left').filter((r) => r.sta.equals(a));
    assert.equal(left.length, 1);
    assert.match(left[0].detail, /did not return within the reconnect grace period/);
    assert.equal(air.core.station(b)?.phase, 'authorized', 'the other agent\'s station is untouched');
    assert.deepEqual(air.violations, []);
  });

  void it('an agent that returns within the grace period: the expiry is off, its stations stay, and no agent-expired report ever comes', () => {
    const { air, a } = twoAgents();
    const cfg = air.bsses.get(macKey(BSSID))!;
    air.operator('agent ap-1 gone', (core, now) => core.detachBss([BSSID], now, GRACE_MS));
    air.runFor(GRACE_MS / 2);
    air.operator('agent ap-1 back', (core, now) => {
      const r = core.attachBss(cfg, now);
      assert.ok(r.ok);
      return r.effects;
    });
    air.runFor(10 * GRACE_MS);
    assert.equal(air.reports('agent-expired').length, 0);
    assert.equal(air.core.station(a)?.phase, 'authorized');
    assert.deepEqual(air.station(a).disconnects, []);
    assert.equal(air.accounting.filter((x) => x.effect.kind === 'stop').length, 0);
    assert.equal(air.core.nextDeadline(), undefined, 'no deadline is left behind');
  });

  void it('a detached BSS without a grace period (Infinity) is held until attached or removed', () => {
    const { air, a } = twoAgents();
    air.operator('agent ap-1 gone', (core, now) => core.detachBss([BSSID], now));
    air.runFor(100 * GRACE_MS);
    assert.equal(air.reports('agent-expired').length, 0);
    assert.equal(air.core.station(a)?.phase, 'authorized');
  });
});

void describe('accounting Interim-Updates on the core clock', () => {
  void it('each session sends one every interval from its own start, with its session time; none after its Stop', () => {
    const { air, a, b } = twoAgents({ interimMs: INTERIM_MS });
    const startOf = (sta: Buffer): number => air.accounting.find((x) => x.effect.kind === 'start' && x.effect.sta.equals(sta))!.t;
    // b starts later than a: their updates do not leave together.
    air.runFor(7_000);
    const c = mac(0x5a, 3);
    air.addStation({ mac: c }, OTHER);
    air.associate(c);
    air.runFor(2 * INTERIM_MS + 100);
    const interims = (sta: Buffer) => air.accounting.filter((x) => x.effect.kind === 'interim' && x.effect.sta.equals(sta));
    for (const sta of [a, b, c]) {
      const list = interims(sta);
      assert.equal(list.length, 2, 'two intervals passed for each');
      list.forEach((x, i) => {
        assert.equal(x.t - startOf(sta), (i + 1) * INTERIM_MS, 'every interval from the session start');
        assert.equal(x.effect.sessionTimeS, ((i + 1) * INTERIM_MS) / 1000);
        assert.equal(x.effect.acctSessionId, air.accounting.find((s) => s.effect.kind === 'start' && s.effect.sta.equals(sta))!.effect.acctSessionId);
      });
    }
    assert.notEqual(interims(c)[0].t, interims(a)[0].t, 'a later session has a later schedule');

    air.leave(a);
    air.runFor(10);
    const stop = air.accounting.filter((x) => x.effect.kind === 'stop' && x.effect.sta.equals(a));
    assert.equal(stop.length, 1);
    air.runFor(3 * INTERIM_MS);
    assert.equal(interims(a).length, 2, 'no Interim-Update after the Stop');
    assert.equal(interims(b).length, 5);
  });

  void it('a reload to another interval moves every running session to it; 0 stops them', () => {
    const { air, a } = twoAgents({ interimMs: INTERIM_MS });
    air.runFor(INTERIM_MS / 2);
    const at = air.now;
    air.operator('reload: 10 s', (core, now) => core.updateAccounting(10_000, now));
    air.runFor(25_000);
    const list = air.accounting.filter((x) => x.effect.kind === 'interim' && x.effect.sta.equals(a));
    assert.deepEqual(list.map((x) => x.t - at), [10_000, 20_000]);
    air.operator('reload: none', (core, now) => core.updateAccounting(0, now));
    air.runFor(10 * INTERIM_MS);
    assert.equal(air.accounting.filter((x) => x.effect.kind === 'interim' && x.effect.sta.equals(a)).length, 2);
    assert.equal(air.core.nextDeadline(), undefined);
  });

  void it('without an interval (the default) there are none', () => {
    const { air } = twoAgents();
    air.runFor(100 * INTERIM_MS);
    assert.equal(air.accounting.filter((x) => x.effect.kind === 'interim').length, 0);
    assert.equal(air.core.nextDeadline(), undefined);
  });
});
