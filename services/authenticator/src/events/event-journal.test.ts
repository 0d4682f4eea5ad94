import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventJournal, passes, TimeOrder, type EventItem } from './event-journal.js';

function event(sta: string, bssid = '02:a1:00:01:00:01', agentId = 'ap-1', kind = 'connected'): EventItem {
  return { $case: 'event', value: { seq: 0n, atUnixMs: 0n, kind, agentId, bssid, sta, akm: 'psk', identity: '', eapMethod: '', reason: 0, reasonText: '', initiator: '', detail: '', vlanId: 0, joinMs: 0, pmksaCached: false } };
}

function stas(items: (EventItem | undefined)[]): string[] {
  return items.map((i) => (i === undefined ? 'none' : i.$case === 'event' ? i.value.sta : `dropped ${i.value.count} (${i.value.reason})`));
}

function drain(take: () => EventItem | undefined): EventItem[] {
  const out: EventItem[] = [];
  for (let i = take(); i !== undefined; i = take()) out.push(i);
  return out;
}

void describe('EventJournal', () => {
  void it('keeps the last `capacity` items in order and numbers the events from 1', () => {
    const j = new EventJournal({ capacity: 3 });
    for (const s of ['a', 'b', 'c', 'd', 'e']) j.append(event(s));
    assert.deepEqual(stas(j.recent()), ['c', 'd', 'e']);
    assert.deepEqual(j.recent().map((i) => (i.$case === 'event' ? i.value.seq : 0n)), [3n, 4n, 5n]);
    assert.equal(j.length, 3);
  });

  void it('filters by station, agent and BSS; a notice of held-back events passes a station filter', () => {
    const j = new EventJournal();
    j.append(event('s1', 'b1', 'ap-1'));
    j.append(event('s2', 'b2', 'ap-2'));
    j.append({ $case: 'dropped', value: { count: 4n, reason: 'rate limit', bssid: 'b2', agentId: 'ap-2' } });
    assert.deepEqual(stas(j.recent({ sta: 's1' })), ['s1', 'dropped 4 (rate limit)']);
    assert.deepEqual(stas(j.recent({ agentId: 'ap-1' })), ['s1']);
    assert.deepEqual(stas(j.recent({ bssid: 'b2' })), ['s2', 'dropped 4 (rate limit)']);
    assert.equal(passes({ $case: 'dropped', value: { count: 1n, reason: 'rate limit', bssid: '', agentId: '' } }, { bssid: 'b9' }), true);
  });

  void it('without follow: the recent items, then closed', () => {
    const j = new EventJournal();
    j.append(event('a'));
    const sub = j.subscribe({}, false)!;
    assert.equal(sub.closed, true);
    j.append(event('b'));
    assert.deepEqual(stas(drain(() => sub.take())), ['a']);
    assert.equal(j.following, 0);
  });

  void it('a slow follower: its queue is bounded, what did not fit is one counted notice, then it goes on', () => {
    const j = new EventJournal({ capacity: 10, queue: 4 });
    j.append(event('old'));
    const sub = j.subscribe({}, true)!;
    let woken = 0;
    sub.onReadable = () => woken++;
    assert.deepEqual(stas([sub.take()]), ['old']);
    for (let i = 0; i < 1000; i++) j.append(event(`live${i}`));
    assert.equal(sub.waiting, 4, 'never more than the queue waits');
    assert.equal(woken, 1, 'woken once, when its queue was empty');
    assert.deepEqual(stas(drain(() => sub.take())), ['live0', 'live1', 'live2', 'live3', 'dropped 996 (slow reader)']);
    j.append(event('after'));
    assert.deepEqual(stas([sub.take(), sub.take()]), ['after', 'none']);
  });

  void it('at most maxFollowers follow; close() ends them and a closed one frees its place', () => {
    const j = new EventJournal({ maxFollowers: 2 });
    const a = j.subscribe({}, true)!;
    const b = j.subscribe({}, true)!;
    assert.equal(j.subscribe({}, true), undefined);
    assert.ok(j.subscribe({}, false) !== undefined, 'the recent events need no place');
    a.close();
    assert.ok(j.subscribe({}, true) !== undefined);
    let ended = false;
    b.onReadable = () => (ended = b.closed);
    j.close();
    assert.equal(ended, true);
    assert.equal(j.following, 0);
  });
});

void describe('TimeOrder', () => {
  void it('puts items from several sources back in time order after the hold, and flush() sends what waits', async () => {
    const out: string[] = [];
    let now = 1000;
    const order = new TimeOrder((i) => out.push(stas([i])[0]), 20, 100, () => now);
    order.push(event('w1-late'), 1005);
    order.push(event('w2-early'), 1001);
    assert.deepEqual(out, []);
    now = 1030;
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(out, ['w2-early', 'w1-late']);
    order.push(event('x'), 1031);
    order.flush();
    assert.deepEqual(out, ['w2-early', 'w1-late', 'x']);
  });

  void it('is bounded: beyond `max` waiting, the oldest goes at once', () => {
    const out: string[] = [];
    const order = new TimeOrder((i) => out.push(stas([i])[0]), 1000, 2, () => 0);
    order.push(event('a'), 1);
    order.push(event('b'), 2);
    order.push(event('c'), 3);
    assert.deepEqual(out, ['a']);
    order.flush();
  });
});
