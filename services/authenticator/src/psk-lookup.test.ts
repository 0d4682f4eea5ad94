// The glue's half of a PSK from RADIUS (psk-lookup.ts): what goes to RADIUS, what comes
// back to the core, and the answers kept for their Session-Timeout (capped, wiped).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { Attr, attrInt, RadiusCode, type AccessOutcome, type RadiusAttribute } from '@airlock/radius';
import type { RadiusOutcome } from '@airlock/rsn';
import type { PskRequestEffect } from './effect-router.js';
import { PskLookup, type PskLookupResult } from './psk-lookup.js';
import { pskLookupAttributes } from './radius-attributes.js';

const SSID = Buffer.from('mpsk');
const BSSID = Buffer.from('02d000000001', 'hex');
const mac = (n: number): Buffer => Buffer.from([0x02, 0x6a, 0, 0, 0, n]);
const request = (n: number, ref = n): PskRequestEffect => ({ type: 'psk-request', ref, bssid: BSSID, sta: mac(n), agentId: 'ap-1', ssid: SSID, akm: 0x000fac02, pairwiseCipher: 0x000fac04, groupCipher: 0x000fac04, acctSessionId: `S${n}` });
const accept = (tunnelPassword: string | undefined, attributes: RadiusAttribute[] = []): AccessOutcome => ({ ok: true, value: { code: RadiusCode.AccessAccept, attributes, server: 'fr', rttMs: 3, tunnelPassword: tunnelPassword === undefined ? undefined : Buffer.from(tunnelPassword) } });
const sessionTimeout = (s: number): RadiusAttribute => ({ type: Attr.SessionTimeout, value: attrInt(s) });

/** A lookup whose RADIUS answers with `answer(n)` (undefined: never), on a clock the test moves. */
function rig(answer: (sta: Buffer) => AccessOutcome | undefined, maxEntries?: number) {
  const sent: { userName: string; password: string; conversation: string }[] = [];
  const delivered: { ref: number; outcome: RadiusOutcome; psk: string | undefined }[] = [];
  const counts: PskLookupResult[] = [];
  const clock = { t: 0 };
  const lookup = new PskLookup(
    {
      requestAccess: (attrs, password, _owner, conversation, done) => {
        const userName = attrs.find((a) => a.type === Attr.UserName)?.value.toString() ?? '';
        sent.push({ userName, password: password.toString(), conversation });
        const a = answer(Buffer.from(userName, 'hex'));
        if (a !== undefined) setImmediate(() => done(a));
      },
      // The PSK is copied as delivered: the caller wipes it right after, as the service does.
      deliver: (ref, outcome) => {
        delivered.push({ ref, outcome, psk: outcome.psk?.toString('hex') });
        outcome.psk?.fill(0);
      },
      count: (r) => counts.push(r),
      now: () => clock.t,
    },
    maxEntries,
  );
  /** The core's request for station `n`, with the attributes the service builds for it. */
  const ask = (n: number, ref = n): void => lookup.lookup(request(n, ref), pskLookupAttributes(request(n, ref), { identifier: 'airlock', ipAddress: '' }));
  return { lookup, ask, sent, delivered, counts, clock };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
/** Until `n` answers reached the core (PBKDF2 runs in libuv's pool). */
async function delivered(r: { delivered: unknown[] }, n: number): Promise<void> {
  for (let i = 0; i < 500 && r.delivered.length < n; i++) await new Promise((done) => setTimeout(done, 10));
  assert.equal(r.delivered.length, n);
}
const pskOf = (passphrase: string): string => pbkdf2Sync(passphrase, SSID, 4096, 32, 'sha1').toString('hex');

void describe('PSKs from RADIUS: the lookup', () => {
  void it('asks with the MAC as User-Name and password; the Tunnel-Password becomes the PSK (PBKDF2), 64 hex digits the PSK itself', async () => {
    const raw = 'ab'.repeat(32);
    const r = rig((sta) => accept(sta.equals(mac(1)) ? 'station one passphrase' : raw));
    r.ask(1);
    r.ask(2);
    await delivered(r, 2);
    assert.deepEqual(r.sent.map((s) => [s.userName, s.password, s.conversation]), [['026a00000001', '026a00000001', 'psk/026a00000001'], ['026a00000002', '026a00000002', 'psk/026a00000002']]);
    // In the order they are ready (the raw PSK needs no PBKDF2): compared by ref.
    assert.deepEqual(r.delivered.map((d) => [d.ref, d.outcome.outcome, d.psk]).sort((a, b) => Number(a[0]) - Number(b[0])), [[1, 'accept', pskOf('station one passphrase')], [2, 'accept', raw]]);
    assert.deepEqual(r.counts, ['accept', 'accept']);
  });

  void it('keeps an Accept for its Session-Timeout: a rejoin within it asks nothing, with the time left as its Session-Timeout; after it, or without one, it asks again', async () => {
    const r = rig((sta) => accept('kept passphrase', sta.equals(mac(1)) ? [sessionTimeout(60)] : []));
    r.ask(1, 1);
    r.ask(2, 2);
    await delivered(r, 2);
    r.clock.t = 20_000;
    r.ask(1, 3);
    r.ask(2, 4);
    await delivered(r, 4);
    assert.equal(r.sent.length, 3, 'only the station without a Session-Timeout asked again');
    const cached = r.delivered.find((d) => d.ref === 3)!;
    assert.equal(cached.psk, pskOf('kept passphrase'));
    assert.equal(cached.outcome.sessionTimeoutS, 40);
    assert.ok(r.counts.includes('cached'));
    r.clock.t = 60_001;
    r.ask(1, 5);
    await delivered(r, 5);
    assert.equal(r.sent.length, 4, 'an expired answer is asked again');
    // A policy server's Disconnect forgets it at once.
    r.lookup.forget(mac(1));
    r.ask(1, 6);
    await delivered(r, 6);
    assert.equal(r.sent.length, 5);
  });

  void it('a Reject, no answer, and an Accept without a usable Tunnel-Password are refusals, the last with why', async () => {
    const r = rig((sta) => {
      switch (sta[5]) {
        case 1: return { ok: true, value: { code: RadiusCode.AccessReject, attributes: [], server: 'fr', rttMs: 1 } };
        case 2: return { ok: false, error: { reason: 'timeout', servers: ['fr'], detail: 'no answer' } };
        case 3: return accept(undefined);
        case 4: return accept('short');
        default: return accept('a newline\n is not printable');
      }
    });
    for (const n of [1, 2, 3, 4, 5]) r.ask(n);
    await delivered(r, 5);
    const by = new Map(r.delivered.map((d) => [d.ref, d.outcome]));
    assert.equal(by.get(1)?.outcome, 'reject');
    assert.equal(by.get(2)?.outcome, 'timeout');
    for (const n of [3, 4, 5]) {
      assert.equal(by.get(n)?.outcome, 'accept');
      assert.equal(by.get(n)?.psk, undefined, `${n}: no PSK`);
    }
    assert.match(by.get(3)?.detail ?? '', /no Tunnel-Password/);
    assert.match(by.get(4)?.detail ?? '', /not a passphrase of 8\.\.63 printable characters/);
    assert.deepEqual(r.counts.sort(), ['no_psk', 'no_psk', 'no_psk', 'reject', 'timeout']);
  });

  void it('a request a newer one replaced gets no answer (the core waits for the newer one)', async () => {
    const r = rig(() => ({ ok: false, error: { reason: 'superseded', servers: [], detail: 'replaced' } }));
    r.ask(1);
    await settle();
    assert.deepEqual(r.delivered, []);
  });

  void it('keeps at most its cap, the least recently used first out, and wipes what it drops', async () => {
    const r = rig(() => accept('cd'.repeat(32), [sessionTimeout(600)]), 2);
    for (const n of [1, 2, 3]) r.ask(n);
    await delivered(r, 3);
    assert.equal(r.lookup.size, 2);
    for (const n of [2, 3, 1]) r.ask(n, 10 + n);
    await delivered(r, 6);
    assert.equal(r.sent.length, 4, 'stations 2 and 3 were kept, 1 was evicted');
    r.lookup.clear();
    assert.equal(r.lookup.size, 0);
  });
});
