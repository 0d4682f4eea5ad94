import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LinkCommand } from '@airlock/link';
import type { Effect } from '@airlock/rsn';
import { EffectRouter, type CommandSink } from './effect-router.js';

const BSS_A = Buffer.from('02a100000001', 'hex');
const BSS_B = Buffer.from('02a100000002', 'hex');
const STA = Buffer.from('02b200000001', 'hex');
const frame = Buffer.from('0203005f', 'hex');

/** Records everything routed, in one sequence, as `route:what`. */
function rig(agents: Map<string, string>) {
  const seen: string[] = [];
  const sent: { agent: string; c: LinkCommand; ref: number | undefined; droppable: boolean }[] = [];
  const sink = (agent: string): CommandSink => ({
    command: (c, ref, droppable) => {
      sent.push({ agent, c, ref, droppable });
      seen.push(`${agent}:${c.type}`);
    },
  });
  const router = new EffectRouter({
    agentFor: (bssid) => {
      const agent = agents.get(bssid.toString('hex'));
      return agent === undefined ? undefined : sink(agent);
    },
    accessRequest: (e) => seen.push(`radius:${e.ref}`),
    pskRequest: (e) => seen.push(`psk:${e.ref}`),
    accounting: (e) => seen.push(`accounting:${e.kind}`),
    report: (r) => seen.push(`report:${r.kind}`),
  });
  return { router, seen, sent };
}

const radiusRequest: Effect = { type: 'radius-request', ref: 9, bssid: BSS_A, sta: STA, agentId: 'ap-1', ssid: Buffer.from('s'), identity: 'u', eap: Buffer.alloc(5), state: undefined, akm: 0x000fac01, pairwiseCipher: 0x000fac04, groupCipher: 0x000fac04, acctSessionId: 'x' };
const accountingStop: Effect = { type: 'accounting', kind: 'stop', bssid: BSS_A, sta: STA, agentId: 'ap-1', ssid: Buffer.from('s'), identity: 'u', classes: [], acctSessionId: 'x', acctMultiSessionId: 'y', akm: 0x000fac01, pairwiseCipher: 0x000fac04, groupCipher: 0x000fac04, sessionTimeS: 10, terminateCause: 1, authentic: 'radius' };

void describe('EffectRouter', () => {
  void it('routes every effect where it goes, in the order the core emitted them', () => {
    const { router, seen } = rig(new Map([[BSS_A.toString('hex'), 'ap-1'], [BSS_B.toString('hex'), 'ap-2']]));
    router.route([
      { type: 'transmit-eapol', bssid: BSS_A, sta: STA, frame, protected: false, ref: 1 },
      { type: 'report', report: { kind: 'duplicate-association', bssid: BSS_A, sta: STA } },
      radiusRequest,
      { type: 'install-group-key', bssid: BSS_B, cipher: 0x000fac04, keyId: 1, key: Buffer.alloc(16, 1), setTx: true, ref: 2 },
      accountingStop,
      { type: 'psk-request', ref: 11, bssid: BSS_A, sta: STA, agentId: 'ap-1', ssid: Buffer.from('s'), akm: 0x000fac02, pairwiseCipher: 0x000fac04, groupCipher: 0x000fac04, acctSessionId: 'z' },
      { type: 'disconnect', bssid: BSS_A, sta: STA, reason: 15, deauth: true },
    ]);
    assert.deepEqual(seen, ['ap-1:transmit-eapol', 'report:duplicate-association', 'radius:9', 'ap-2:install-group-key', 'accounting:stop', 'psk:11', 'ap-1:disconnect']);
  });

  void it("hands each command to the agent with the core's ref; only a transmit may be dropped under backpressure", () => {
    const { router, sent } = rig(new Map([[BSS_A.toString('hex'), 'ap-1']]));
    const tk = Buffer.alloc(16, 0xa5);
    router.route([
      { type: 'transmit-eapol', bssid: BSS_A, sta: STA, frame, protected: false },
      { type: 'transmit-eapol', bssid: BSS_A, sta: STA, frame, protected: true, ref: 3 },
      { type: 'install-pairwise-key', bssid: BSS_A, sta: STA, cipher: 0x000fac04, keyId: 0, key: tk, ref: 4 },
      { type: 'set-port', bssid: BSS_A, sta: STA, authorized: true, vlanId: 0, sessionTimeoutS: 0, ref: 5 },
      { type: 'remove-pairwise-key', bssid: BSS_A, sta: STA },
    ]);
    assert.deepEqual(
      sent.map((s) => [s.c.type, s.ref, s.droppable]),
      [
        ['transmit-eapol', undefined, true],
        ['transmit-eapol', 3, true],
        ['install-pairwise-key', 4, false],
        ['set-port', 5, false],
        ['remove-pairwise-key', undefined, false],
      ],
    );
    const install = sent[2].c;
    assert.ok(install.type === 'install-pairwise-key' && install.key === tk, 'the key goes on as is (the session wipes it once written)');
    assert.ok(tk.every((b) => b === 0xa5));
  });

  void it('a command whose agent is away is not sent, and the key copy of an install is wiped', () => {
    const { router, sent, seen } = rig(new Map());
    const tk = Buffer.alloc(16, 0x11);
    const gtk = Buffer.alloc(16, 0x22);
    router.route([
      { type: 'install-pairwise-key', bssid: BSS_A, sta: STA, cipher: 0x000fac04, keyId: 0, key: tk, ref: 1 },
      { type: 'install-group-key', bssid: BSS_A, cipher: 0x000fac04, keyId: 2, key: gtk, setTx: false, ref: 2 },
      { type: 'transmit-eapol', bssid: BSS_A, sta: STA, frame, protected: false },
      accountingStop,
    ]);
    assert.deepEqual(sent, []);
    assert.ok(tk.every((b) => b === 0) && gtk.every((b) => b === 0), 'both keys read zeros');
    assert.deepEqual(seen, ['accounting:stop'], 'accounting still goes out (a Stop when the agent is gone)');
  });
});
