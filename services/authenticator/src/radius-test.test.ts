import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attr, RadiusCode, taggedAttribute, taggedIntegerAttribute } from '@airlock/radius';
import { checkRadiusTestInput, radiusTestAnswer, radiusTestAttributes, RadiusTestGate, RadiusTestRefused } from './radius-test.js';

void test('input: user 1..253 octets, password 1..128 octets (UTF-8), else refused as invalid', () => {
  const cases: { desc: string; user: string; password: string; error?: RegExp }[] = [
    { desc: 'ordinary', user: 'alice', password: 'secret' },
    { desc: 'longest', user: 'u'.repeat(253), password: 'p'.repeat(128) },
    { desc: 'empty user', user: '', password: 'x', error: /^the user name is empty$/ },
    { desc: 'user too long', user: 'u'.repeat(254), password: 'x', error: /254 octets; User-Name holds at most 253/ },
    { desc: 'user too long in UTF-8 octets', user: 'é'.repeat(127), password: 'x', error: /254 octets/ },
    { desc: 'empty password', user: 'a', password: '', error: /^the password is empty$/ },
    { desc: 'password too long', user: 'a', password: 'p'.repeat(129), error: /129 octets; User-Password holds at most 128/ },
  ];
  for (const c of cases) {
    if (c.error === undefined) assert.doesNotThrow(() => checkRadiusTestInput(c.user, c.password), c.desc);
    else assert.throws(() => checkRadiusTestInput(c.user, c.password), (e: unknown) => e instanceof RadiusTestRefused && e.reason === 'invalid' && c.error!.test(e.message), c.desc);
  }
});

void test('request attributes: User-Name, the NAS identity, Service-Type Framed, NAS-Port-Type 802.11; never a password', () => {
  const attrs = radiusTestAttributes('alice', { identifier: 'nas-1', ipAddress: '192.0.2.7' });
  assert.deepEqual(attrs.map((a) => a.type), [Attr.UserName, Attr.NasIdentifier, Attr.NasIpAddress, Attr.ServiceType, Attr.NasPortType]);
  assert.deepEqual(attrs[2].value, Buffer.from([192, 0, 2, 7]));
  assert.deepEqual(attrs[3].value, Buffer.from([0, 0, 0, 2]));
  assert.deepEqual(attrs[4].value, Buffer.from([0, 0, 0, 19]));
  assert.deepEqual(radiusTestAttributes('bob', { identifier: 'nas-1', ipAddress: '' }).map((a) => a.type), [Attr.UserName, Attr.NasIdentifier, Attr.ServiceType, Attr.NasPortType]);
});

void test('answer: Reply-Message (all of them), Session-Timeout, the VLAN as applied or why not, Class count', () => {
  const vlan = [taggedIntegerAttribute(Attr.TunnelType, 1, 13), taggedIntegerAttribute(Attr.TunnelMediumType, 1, 6), taggedAttribute(Attr.TunnelPrivateGroupId, 1, Buffer.from('42'))];
  const accept = radiusTestAnswer(RadiusCode.AccessAccept, 'primary', 1.234, [
    { type: Attr.ReplyMessage, value: Buffer.from('Hello, ') },
    { type: Attr.ReplyMessage, value: Buffer.from('alice') },
    { type: Attr.SessionTimeout, value: Buffer.from([0, 0, 0x0e, 0x10]) },
    { type: Attr.Class, value: Buffer.from('c1') },
    ...vlan,
  ]);
  assert.deepEqual(accept, { result: 'accept', server: 'primary', rttMs: 1.23, replyMessage: 'Hello, \nalice', sessionTimeoutS: 3600, vlan: '42', classes: 1 });
  const named = radiusTestAnswer(RadiusCode.AccessAccept, 'primary', 1, [taggedAttribute(Attr.TunnelPrivateGroupId, 1, Buffer.from('staff'))]);
  assert.equal(named.result === 'accept' && named.vlan, 'staff (not applied: needs a VLAN ID 1..4094 with Tunnel-Type VLAN and Tunnel-Medium-Type 802)');
  assert.deepEqual(radiusTestAnswer(RadiusCode.AccessReject, 'secondary', 2, []), { result: 'reject', server: 'secondary', rttMs: 2, replyMessage: '', sessionTimeoutS: 0, vlan: '', classes: 0 });
  assert.equal(radiusTestAnswer(RadiusCode.AccessChallenge, 's', 2, []).result, 'challenge');
});

void test('gate: one test at a time; a burst of 5, then one per 10 s', () => {
  const g = new RadiusTestGate(0);
  const first = g.enter(0);
  assert.throws(() => g.enter(1), (e: unknown) => e instanceof RadiusTestRefused && e.reason === 'busy');
  first.done();
  first.done(); // idempotent
  for (let i = 0; i < 4; i++) g.enter(10 + i).done();
  assert.throws(() => g.enter(20), (e: unknown) => e instanceof RadiusTestRefused && e.reason === 'rate' && /try again in 10 s$/.test(e.message));
  assert.throws(() => g.enter(9_000), (e: unknown) => e instanceof RadiusTestRefused && e.reason === 'rate' && /try again in 1 s$/.test(e.message), 'refused calls do not reset the clock');
  g.enter(10_020).done();
  assert.throws(() => g.enter(10_030), (e: unknown) => e instanceof RadiusTestRefused && e.reason === 'rate');
  g.enter(100_000).done();
});
