/**
 * 4-way handshake scenarios, IEEE 802.11-2020 §12.7.6, on virtual time: the core against
 * real supplicants through the scripted air (harness.ts). DESIGN.md invariants 1, 2, 6, 8, 9.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { AKM, KdeType, decodeKeyData, findKde } from '@airlock/rsn';
import { Air, keyFrameInfo, mac } from './harness.js';

const BSSID = mac(0xb0, 1);

const akms = [
  { name: 'PSK (AKM 2)', akm: AKM.PSK, label: 'psk', descriptorVersion: 2 },
  { name: 'PSK-SHA256 (AKM 6)', akm: AKM.PSK_SHA256, label: 'psk-sha256', descriptorVersion: 3 },
] as const;

void describe('4-way handshake', () => {
  for (const c of akms) {
    void it(`station joins with ${c.name}: TK installed after msg 4/4, port opened after the install is confirmed`, async () => {
      const air = new Air({ commandDelayMs: 3 });
      air.addBss({ bssid: BSSID, akms: [c.akm] });
      const sta = mac(0x5a, 1);
      const st = air.addStation({ mac: sta }, BSSID);
      air.associate(sta);
      air.run();

      // Exactly msg 1/4 and msg 3/4 go out, with the AKM's key descriptor version.
      const tx = air.transmissions(sta);
      assert.deepEqual(tx.map((x) => x.info.kind), ['msg1/4', 'msg3/4']);
      for (const x of tx) assert.equal((x.info.key?.keyInfo ?? 0) & 0x7, c.descriptorVersion);
      // Invariant 6: msg 3/4 leaves unprotected, before the PTK is installed.
      const msg3 = tx[1];
      assert.equal(msg3.effect.protected, false, 'msg 3/4 must leave unprotected');

      // The supplicant accepted msg 3/4 and installed its PTK.
      assert.equal(st.supplicant.state, 'established');
      const staPtk = st.supplicant.ptk;
      assert.ok(staPtk !== undefined);

      // The TK the core installs is the supplicant's TK (invariant 1: same AA, nonces, PMK).
      const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
      assert.equal(installs.length, 1);
      const install = installs[0];
      assert.ok(install.effect.key.equals(staPtk.tk), 'installed TK equals the supplicant TK');
      assert.equal(install.effect.bssid.toString('hex'), BSSID.toString('hex'));
      assert.ok(msg3.i < install.i, 'msg 3/4 leaves before the install');

      // The install is emitted by the handling of msg 4/4, and by nothing earlier.
      const cause = air.causeOf(install.i);
      assert.equal(cause.kind, 'event');
      assert.ok(cause.kind === 'event' && cause.event.type === 'eapol');
      assert.equal(keyFrameInfo(cause.event.frame).kind, 'msg4/4');
      assert.equal(keyFrameInfo(cause.event.frame).replayCounter, msg3.info.replayCounter);

      // The port opens only once the agent confirms the install.
      const ports = air.effects('set-port', (e) => e.sta.equals(sta));
      assert.equal(ports.length, 1);
      assert.equal(ports[0].effect.authorized, true);
      const portCause = air.causeOf(ports[0].i);
      assert.ok(portCause.kind === 'event' && portCause.event.type === 'command-result' && portCause.event.ref === install.effect.ref,
        'set-port is the answer to the install command-result');
      assert.equal(ports[0].t, install.t + 3, 'set-port waits for the command-result (3 ms)');

      // Joined, counted, and the radio holds what the station holds.
      const joined = air.reports('joined');
      assert.equal(joined.length, 1);
      assert.equal(joined[0].akm, c.akm);
      assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
      assert.equal(await air.metric(`airlock_join_duration_seconds_count{akm="${c.label}"}`), 1);
      assert.equal(await air.metric('airlock_stations{state="authorized"}'), 1);
      assert.equal(await air.metric('airlock_stations{state="authenticating"}'), 0);
      const radio = air.radio(sta);
      assert.ok(radio !== undefined);
      assert.ok(radio.tk?.equals(staPtk.tk), 'the radio holds the station TK');
      assert.equal(radio.portAuthorized, true);
      const gtk = st.supplicant.gtk;
      assert.ok(gtk !== undefined);
      assert.equal(air.radioBss(BSSID).txKeyId, gtk.keyId);
      assert.ok(air.radioBss(BSSID).gtk.get(gtk.keyId)?.equals(gtk.gtk), 'GTK from msg 3/4 is the BSS transmit GTK');
      assert.equal(air.core.nextDeadline(), undefined, 'nothing left pending');
      assert.deepEqual(air.violations, []);
    });

    void it(`msg 1/4 carries no PMKID KDE for ${c.name}`, () => {
      const air = new Air();
      air.addBss({ bssid: BSSID, akms: [c.akm] });
      const sta = mac(0x5a, 2);
      const st = air.addStation({ mac: sta }, BSSID);
      air.associate(sta);
      air.run();
      const msg1 = air.transmissions(sta, 'msg1/4');
      assert.equal(msg1.length, 1);
      const key = msg1[0].info.key;
      assert.ok(key !== undefined);
      const kd = decodeKeyData(key.keyData);
      assert.ok(kd.ok, 'msg 1/4 key data decodes');
      assert.equal(findKde(kd.value, KdeType.PMKID), undefined, 'no PMKID KDE in msg 1/4 for PSK');
      assert.equal(key.keyData.length, 0, 'msg 1/4 for PSK carries no key data at all');
      assert.equal(st.supplicant.pmkidSeen, undefined);
      assert.equal(air.reports('joined').length, 1);
    });
  }

  void it('station leaves and rejoins: a fresh ANonce, replay counters restart safely, it joins twice', async () => {
    const air = new Air();
    air.addBss({ bssid: BSSID });
    const sta = mac(0x5a, 3);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run();
    const firstTk = Buffer.from(st.supplicant.ptk?.tk ?? Buffer.alloc(0));
    const firstTx = air.transmissions(sta);
    assert.equal(air.reports('joined').length, 1);

    air.leave(sta);
    air.run();
    assert.equal(air.core.station(sta), undefined, 'the core forgot the station');
    assert.equal(await air.metric('airlock_stations{state="authorized"}'), 0);
    air.associate(sta);
    air.run();

    const all = air.transmissions(sta);
    const secondTx = all.slice(firstTx.length);
    assert.deepEqual(secondTx.map((x) => x.info.kind), ['msg1/4', 'msg3/4']);
    // Invariant 2: a fresh ANonce for the new handshake.
    assert.ok(!secondTx[0].info.nonce.equals(firstTx[0].info.nonce), 'second handshake has a fresh ANonce');
    // Replay counters: increasing within each association, and the station (reset by its new
    // association) accepted the new ones: it answered msg 1/4 and msg 3/4.
    for (const tx of [firstTx, secondTx]) assert.ok(tx[1].info.replayCounter > tx[0].info.replayCounter);
    const lastFirst = firstTx[firstTx.length - 1].info.replayCounter;
    assert.ok(secondTx[0].info.replayCounter > lastFirst || secondTx[0].info.replayCounter === 1n,
      `second association starts at 1 or keeps increasing (got ${secondTx[0].info.replayCounter} after ${lastFirst})`);
    assert.equal(st.supplicant.state, 'established');

    const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
    assert.equal(installs.length, 2);
    assert.ok(installs[1].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)));
    assert.ok(!installs[1].effect.key.equals(firstTk), 'a new TK');
    assert.equal(air.reports('joined').length, 2);
    assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 2);
    assert.equal(await air.metric('airlock_handshakes_total{result="aborted"}'), 0, 'leaving after the join ends no handshake');
    assert.equal(await air.metric('airlock_stations{state="authorized"}'), 1);
    assert.equal(air.core.history(sta).length, 2);
    assert.deepEqual(air.violations, []);
  });

  void it('station roams to another BSS: a fresh handshake there (AA = the new BSSID), and the BSS it left closes the port and removes the key', async () => {
    const air = new Air();
    const bss2 = mac(0xb0, 2);
    air.addBss({ bssid: BSSID });
    air.addBss({ bssid: bss2 });
    const sta = mac(0x5a, 4);
    const st = air.addStation({ mac: sta }, BSSID);
    air.associate(sta);
    air.run();
    assert.equal(air.radio(sta, BSSID)?.portAuthorized, true);
    const firstMsg1 = air.transmissions(sta, 'msg1/4')[0];

    air.associate(sta, { bssid: bss2, reassociation: true });
    air.run();
    const onNew = air.transmissions(sta).filter((x) => x.effect.bssid.equals(bss2));
    assert.deepEqual(onNew.map((x) => x.info.kind), ['msg1/4', 'msg3/4']);
    assert.ok(!onNew[0].info.nonce.equals(firstMsg1.info.nonce));
    const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
    assert.equal(installs.length, 2);
    assert.ok(installs[1].effect.bssid.equals(bss2));
    assert.ok(installs[1].effect.key.equals(st.supplicant.ptk?.tk ?? Buffer.alloc(0)), 'the TK of the new BSS equals the station TK (AA = new BSSID)');
    const left = air.radio(sta, BSSID);
    assert.ok(left === undefined || (!left.portAuthorized && left.tk === undefined), 'the BSS the station left keeps no open port and no key');
    assert.equal(air.radio(sta, bss2)?.portAuthorized, true);
    assert.equal(air.reports('joined').length, 2);
    assert.equal(await air.metric('airlock_stations{state="authorized"}'), 1);
    assert.equal(air.effects('disconnect').length, 0);
    assert.deepEqual(air.violations, []);
  });

  void it('PSK computed once per (SSID, passphrase): 30 stations on 2 BSSes, PBKDF2 runs once', () => {
    const air = new Air();
    const bss2 = mac(0xb0, 2);
    const pbkdf2 = countPbkdf2();
    try {
      air.addBss({ bssid: BSSID });
      assert.equal(pbkdf2.calls, 1, 'addBss derives the PSK once (cache warm-up)');
      air.addBss({ bssid: bss2 });
      assert.equal(pbkdf2.calls, 1, 'a second BSS of the same network reuses it');
      // The harness derives the stations' own PMK: not the core's work, not counted.
      pbkdf2.pause();
      const stations = Array.from({ length: 30 }, (_, i) => air.addStation({ mac: mac(0x5b, i) }, i % 2 === 0 ? BSSID : bss2).mac);
      pbkdf2.resume();
      for (const [i, sta] of stations.entries()) air.associate(sta, { bssid: i % 2 === 0 ? BSSID : bss2 });
      air.run();
      assert.equal(air.reports('joined').length, 30);
      assert.equal(pbkdf2.calls, 1, `PBKDF2 ran ${pbkdf2.calls} times for 2 BSSes and 30 handshakes`);
    } finally {
      pbkdf2.restore();
    }
    assert.deepEqual(air.violations, []);
  });
});

/**
 * Counts PBKDF2 runs in this process without reaching into the core: node:crypto's
 * pbkdf2Sync is wrapped and the ESM bindings of builtins re-synced (node:module
 * syncBuiltinESMExports), so `import { pbkdf2Sync } from 'node:crypto'` in the core sees it.
 */
function countPbkdf2(): { readonly calls: number; pause(): void; resume(): void; restore(): void } {
  const require = createRequire(import.meta.url);
  const nodeCrypto = require('node:crypto') as typeof import('node:crypto');
  const original = nodeCrypto.pbkdf2Sync;
  let calls = 0;
  let counting = true;
  nodeCrypto.pbkdf2Sync = (...args: Parameters<typeof original>): ReturnType<typeof original> => {
    if (counting) calls++;
    return original(...args);
  };
  syncBuiltinESMExports();
  return {
    get calls() {
      return calls;
    },
    pause: () => {
      counting = false;
    },
    resume: () => {
      counting = true;
    },
    restore: () => {
      nodeCrypto.pbkdf2Sync = original;
      syncBuiltinESMExports();
    },
  };
}
