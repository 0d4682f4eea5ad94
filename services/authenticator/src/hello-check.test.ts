import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { AgentHello, BssAnnouncement } from '@airlock/link';
import { AKM, encodeRsne, CIPHER, type NetworkPolicy } from '@airlock/rsn';
import { checkHelloAgent, checkHelloBsses, MAX_AGENT_ID, type HelloBssContext } from './hello-check.js';

const RSNE = encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms: [AKM.PSK], capabilities: 0, pmkids: [] });
const SSID = Buffer.from('corp');
const NETWORK = { ssid: SSID } as unknown as NetworkPolicy;
const bss = (n: number, over: Partial<BssAnnouncement> = {}): BssAnnouncement => ({ bssid: Buffer.from([2, 0xa1, 0, 0, 0, n]), ssid: SSID, rsne: RSNE, wired: false, interfaceMac: undefined, ...over });
const hello = (over: Partial<AgentHello> = {}): AgentHello => ({ agentId: 'ap-1', softwareVersion: 'test', bsses: [bss(1)], stations: [], reportsTxStatus: true, ...over });
const ctx = (over: Partial<HelloBssContext> = {}): HelloBssContext => ({
  network: (hex) => (hex === SSID.toString('hex') ? NETWORK : undefined),
  refuses: () => undefined,
  claimsFit: () => ({ ok: true }),
  ...over,
});

void test('checkHelloAgent: the id, the certificate and the number of BSSes, each refusal with its status and words', () => {
  const cases: { name: string; hello: AgentHello; peer?: string; code?: status; message?: RegExp }[] = [
    { name: 'good', hello: hello() },
    { name: 'good, the certificate names the agent', hello: hello(), peer: 'ap-1' },
    { name: 'empty id', hello: hello({ agentId: '' }), code: status.INVALID_ARGUMENT, message: /agent_id must be 1\.\.128 characters/ },
    { name: 'id too long', hello: hello({ agentId: 'a'.repeat(MAX_AGENT_ID + 1) }), code: status.INVALID_ARGUMENT, message: /agent_id must be 1\.\.128/ },
    { name: 'another certificate', hello: hello(), peer: 'ap-2', code: status.PERMISSION_DENIED, message: /agent_id "ap-1" does not match the agent's certificate \(CN "ap-2"\)/ },
    { name: 'no BSS', hello: hello({ bsses: [] }), code: status.INVALID_ARGUMENT, message: /announces no BSS/ },
    { name: 'too many BSSes', hello: hello({ bsses: [bss(1), bss(2), bss(3)] }), code: status.INVALID_ARGUMENT, message: /3 BSSes announced, at most 2 \(agents\.max_bsses_per_hello\)/ },
  ];
  for (const c of cases) {
    const r = checkHelloAgent(c.hello, { peerIdentity: c.peer, maxBssesPerHello: 2 });
    if (c.code === undefined) assert.deepEqual(r, { ok: true }, c.name);
    else {
      assert.ok(!r.ok, c.name);
      assert.equal(r.code, c.code, c.name);
      assert.match(r.message, c.message!, c.name);
    }
  }
});

void test('checkHelloBsses: each BSS as the core takes it, or the first refusal with its status and words', () => {
  const good = checkHelloBsses(hello({ bsses: [bss(1), bss(2, { wired: true, rsne: Buffer.alloc(0), interfaceMac: Buffer.from([2, 0, 0, 0, 0, 9]) })] }), ctx());
  assert.ok(good.ok);
  assert.deepEqual(good.keys, ['02a100000001', '02a100000002']);
  assert.equal(good.bsses[0].network, NETWORK);
  assert.equal(good.bsses[0].agentId, 'ap-1');
  assert.equal(good.bsses[0].reportsTxStatus, true);
  assert.equal(good.bsses[1].wired, true, 'a wired port may announce no RSNE');
  assert.equal(good.bsses[1].interfaceMac?.toString('hex'), '020000000009');

  const cases: { name: string; bsses: BssAnnouncement[]; ctx?: Partial<HelloBssContext>; code: status; message: RegExp }[] = [
    { name: 'bssid of 5 bytes', bsses: [bss(1, { bssid: Buffer.alloc(5) })], code: status.INVALID_ARGUMENT, message: /bsses\[0\]\.bssid must be 6 bytes, got 5/ },
    { name: 'empty SSID', bsses: [bss(1, { ssid: Buffer.alloc(0) })], code: status.INVALID_ARGUMENT, message: /bsses\[0\] \(02:a1:00:00:00:01\): ssid must be 1\.\.32 octets/ },
    { name: 'SSID of 33 octets', bsses: [bss(1, { ssid: Buffer.alloc(33, 0x61) })], code: status.INVALID_ARGUMENT, message: /ssid must be 1\.\.32 octets/ },
    { name: 'interface_mac of 7 bytes', bsses: [bss(1, { interfaceMac: Buffer.alloc(7) })], code: status.INVALID_ARGUMENT, message: /interface_mac must be 6 bytes/ },
    { name: 'RSNE that does not decode', bsses: [bss(1, { rsne: Buffer.from([0x30, 0x40, 1]) })], code: status.INVALID_ARGUMENT, message: /rsne is not a valid RSN element/ },
    { name: 'no RSNE on a wireless BSS', bsses: [bss(1, { rsne: Buffer.alloc(0) })], code: status.INVALID_ARGUMENT, message: /rsne is not a valid RSN element/ },
    { name: 'RSNE too long', bsses: [bss(1, { rsne: Buffer.alloc(258) })], code: status.INVALID_ARGUMENT, message: /rsne is not a valid RSN element/ },
    { name: 'a BSSID twice', bsses: [bss(1), bss(1)], code: status.INVALID_ARGUMENT, message: /bsses\[1\]: BSSID 02:a1:00:00:00:01 announced twice/ },
    { name: 'refused by the BSS policy', bsses: [bss(1)], ctx: { refuses: (id, _k, b) => `${b} belongs to another agent than ${id}` }, code: status.PERMISSION_DENIED, message: /^02:a1:00:00:00:01 belongs to another agent than ap-1$/ },
    { name: 'SSID not served', bsses: [bss(1, { ssid: Buffer.from('guest') })], code: status.INVALID_ARGUMENT, message: /SSID "guest" is not served by this authenticator/ },
    { name: 'claims do not fit', bsses: [bss(1)], ctx: { claimsFit: () => ({ ok: false, reason: 'the claim table is full' }) }, code: status.RESOURCE_EXHAUSTED, message: /^the claim table is full$/ },
  ];
  for (const c of cases) {
    const r = checkHelloBsses(hello({ bsses: c.bsses }), ctx(c.ctx));
    assert.ok(!r.ok, c.name);
    assert.equal(r.code, c.code, c.name);
    assert.match(r.message, c.message, c.name);
  }
});
