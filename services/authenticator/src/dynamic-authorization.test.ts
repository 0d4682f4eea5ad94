// What a Disconnect- or CoA-Request does to the sessions (runJob), and how an instance
// reaches the one holding the session (DasPeerLink) over an in-memory channel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCause } from '@airlock/radius';
import { macKey, type SessionView } from '@airlock/rsn';
import { matchSessions, runJob, type DasJob, type DasTarget } from './dynamic-authorization.js';
import { DasPeerLink, type PeerChannel } from './store/das-peers.js';

const mac = (n: number): Buffer => Buffer.from([0x02, 0, 0, 0, 0, n]);
const BSSID = Buffer.from([0x02, 0xb0, 0, 0, 0, 1]);

function session(n: number, o: Partial<SessionView> = {}): SessionView {
  return { sta: mac(n), bssid: BSSID, ssid: Buffer.from('corp'), identity: `user${n}`, userName: undefined, acctSessionId: `S${n}`, acctMultiSessionId: `M${n}`, akm: 0x000fac01, authorized: true, ieee8021x: true, ...o };
}

/** A table of sessions that records what was done to them. */
function table(list: SessionView[], pmksas = new Set<string>()): DasTarget & { done: string[]; vlans: Map<string, number> } {
  const done: string[] = [];
  const vlans = new Map<string, number>();
  return {
    done,
    vlans,
    sessions: (sta) => (sta === undefined ? list : list.filter((s) => s.sta.equals(sta))),
    vlanOf: (sta) => vlans.get(macKey(sta)) ?? 0,
    disconnect: (sta, reason) => (done.push(`disconnect ${macKey(sta)} ${reason}`), true),
    setSessionTimeout: (sta, s) => (done.push(`timeout ${macKey(sta)} ${s}`), true),
    reauthenticate: (sta) => (done.push(`reauth ${macKey(sta)}`), true),
    forgetCredentials: (sta) => {
      done.push(`forget ${macKey(sta)}`);
      return pmksas.delete(macKey(sta)) ? 1 : 0;
    },
  };
}

const job = (j: Partial<DasJob>): DasJob => ({ kind: 'disconnect', match: {}, by: 'pf', ...j });

void describe('Dynamic Authorization on the sessions here', () => {
  void it('every identification attribute given must match', () => {
    const t = table([session(1), session(2, { userName: 'bob@corp' })]);
    assert.equal(matchSessions(t, { userName: 'user1' }).length, 1);
    assert.equal(matchSessions(t, { userName: 'bob@corp' }).length, 1, 'the Accept\'s User-Name names it too');
    assert.equal(matchSessions(t, { userName: 'user1', acctSessionId: 'S2' }).length, 0);
    assert.equal(matchSessions(t, { station: macKey(mac(2)), acctMultiSessionId: 'M2', bssid: macKey(BSSID), ssid: Buffer.from('corp').toString('hex') }).length, 1);
    assert.equal(matchSessions(t, { station: macKey(mac(2)), ssid: Buffer.from('other').toString('hex') }).length, 0);
  });

  void it('Disconnect: reason 2, credentials forgotten first; several sessions: 508; none: not found; a BSS alone names no session', () => {
    const t = table([session(1), session(2, { identity: 'user1' })]);
    assert.deepEqual(runJob(t, job({ match: { station: macKey(mac(1)) } })), { ack: true });
    assert.deepEqual(t.done, ['forget 020000000001', 'disconnect 020000000001 2']);
    assert.deepEqual(runJob(t, job({ match: { userName: 'user1' } })), { ack: false, errorCause: ErrorCause.MultipleSessionSelectionUnsupported });
    assert.deepEqual(runJob(t, job({ match: { station: macKey(mac(9)), userName: 'x' } })), { found: 0 });
    assert.deepEqual(runJob(t, job({ match: { bssid: macKey(BSSID) } })), { found: 0 });
  });

  void it('Disconnect of a station that left but has a PMKSA: the PMKSA goes, ACK (hostapd)', () => {
    const t = table([], new Set([macKey(mac(5))]));
    assert.deepEqual(runJob(t, job({ match: { station: macKey(mac(5)) } })), { ack: true });
    assert.deepEqual(runJob(t, job({ match: { station: macKey(mac(5)) } })), { found: 0 }, 'nothing left the second time');
  });

  void it('CoA: all or nothing; a reauthentication needs 802.1X; a new VLAN is a new association', () => {
    const t = table([session(1), session(2, { ieee8021x: false })]);
    assert.deepEqual(runJob(t, job({ kind: 'coa', match: { station: macKey(mac(2)) }, sessionTimeout: 60, reauthenticate: true })), { ack: false, errorCause: ErrorCause.UnsupportedService });
    assert.deepEqual(t.done, [], 'nothing applied when one change cannot be');
    assert.deepEqual(runJob(t, job({ kind: 'coa', match: { station: macKey(mac(1)) }, sessionTimeout: 60, reauthenticate: true })), { ack: true });
    assert.deepEqual(t.done, ['timeout 020000000001 60', 'reauth 020000000001']);
    t.done.length = 0;
    t.vlans.set(macKey(mac(1)), 10);
    assert.deepEqual(runJob(t, job({ kind: 'coa', match: { station: macKey(mac(1)) }, vlan: 10, sessionTimeout: 5 })), { ack: true });
    assert.deepEqual(t.done, ['timeout 020000000001 5'], 'the VLAN it has already: no new association');
    t.done.length = 0;
    assert.deepEqual(runJob(t, job({ kind: 'coa', match: { station: macKey(mac(1)) }, vlan: 20 })), { ack: true });
    assert.deepEqual(t.done, ['forget 020000000001', 'disconnect 020000000001 2']);
  });
});

/** Instances on one in-memory channel (the shared store's events channel). */
function channels(n: number): PeerChannel[] {
  const handlers: Map<string, (from: string, p: Buffer) => void>[] = [];
  const out: PeerChannel[] = [];
  for (let i = 0; i < n; i++) {
    const h = new Map<string, (from: string, p: Buffer) => void>();
    handlers.push(h);
    const instance = `i${i}`;
    out.push({
      instance,
      onPeerMessage: (type, f) => h.set(type, f),
      sendPeerMessage: (type, payload) => {
        for (let j = 0; j < n; j++) if (j !== i) setImmediate(() => handlers[j].get(type)?.(instance, payload));
        return true;
      },
    });
  }
  return out;
}

void describe('Dynamic Authorization across instances (DasPeerLink)', () => {
  void it('reaches the one instance holding the session; none: not found; sessions on two instances: 508', async () => {
    const [a, b, c] = channels(3);
    const tb = table([session(1)]);
    const tc = table([session(2, { identity: 'user1' })]);
    const link = new DasPeerLink(a, { count: () => 0, run: () => ({ found: 0 }) });
    new DasPeerLink(b, { count: (m) => matchSessions(tb, m).length, run: (j) => runJob(tb, j) });
    new DasPeerLink(c, { count: (m) => matchSessions(tc, m).length, run: (j) => runJob(tc, j) });
    assert.deepEqual(await link.run(job({ match: { station: macKey(mac(1)) } })), { ack: true });
    assert.deepEqual(tb.done, ['forget 020000000001', 'disconnect 020000000001 2']);
    assert.deepEqual(tc.done, []);
    assert.deepEqual(await link.run(job({ match: { station: macKey(mac(7)) } })), { found: 0 });
    assert.deepEqual(await link.run(job({ match: { userName: 'user1' } })), { ack: false, errorCause: ErrorCause.MultipleSessionSelectionUnsupported });
    assert.deepEqual(tb.done.length + tc.done.length, 2, 'an ambiguous request did nothing anywhere');
  });

  void it('ignores what it cannot parse', async () => {
    const [a, b] = channels(2);
    new DasPeerLink(b, { count: () => 1, run: () => ({ ack: true }) });
    for (const t of ['Q', 'R', 'X', 'Y']) a.sendPeerMessage(t, Buffer.from('not json'));
    const link = new DasPeerLink(a, { count: () => 0, run: () => ({ found: 0 }) });
    assert.deepEqual(await link.run(job({ match: { station: macKey(mac(1)) } })), { ack: true });
  });
});
