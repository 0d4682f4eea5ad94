/**
 * WPA3-Personal scenarios (IEEE 802.11-2020 §12.4, §12.6.3, §12.7.6): the core's SAE
 * responder against real station-side SAE and real supplicants through the scripted air
 * (harness.ts), then the 4-way handshake with AKM 8 and PMF (IGTK, BIGTK), on virtual time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER, KdeType, decodeKeyData, encodeRsne, encodeRsnxe, findKde, RsnCapability, sae, type SaePolicy } from '@airlock/rsn';
import { Air, mac } from './harness.js';

const BSSID = mac(0xc0, 1);
const BSSID2 = mac(0xc0, 2);
const PASSWORD = 'wpa3 scenario password';
const H2E = encodeRsnxe({ h2e: true });
const PMF_CAPS = RsnCapability.MFPC | RsnCapability.MFPR;

/** An RSNE with AKMs, PMF bits and (optionally) PMKIDs, BIP-CMAC-128 as group management cipher. */
function wpa3Rsne(akms: number[], capabilities: number, pmkids?: Buffer[]): Buffer {
  return encodeRsne({ version: 1, groupCipher: CIPHER.CCMP_128, pairwiseCiphers: [CIPHER.CCMP_128], akms, capabilities, pmkids: pmkids ?? [], groupMgmtCipher: CIPHER.BIP_CMAC_128 });
}

function policy(o: Partial<SaePolicy> = {}): SaePolicy {
  return { pwe: 2, passwords: [{ password: PASSWORD }], antiCloggingThreshold: 5, ...o };
}

/** A WPA3-only BSS (SAE, PMF required, H2E advertised). */
function wpa3Air(o: { sae?: Partial<SaePolicy>; beaconProtection?: boolean } = {}): Air {
  const air = new Air({ commandDelayMs: 2 });
  air.addBss({ bssid: BSSID, akms: [AKM.SAE], rsne: wpa3Rsne([AKM.SAE], PMF_CAPS), rsnxe: H2E, sae: policy(o.sae), beaconProtection: o.beaconProtection });
  return air;
}

function saeStation(air: Air, n: number, o: { password?: string; pwe?: 'h2e' | 'hunting-and-pecking'; identifier?: string; pmkids?: Buffer[]; beaconProtection?: boolean } = {}) {
  const sta = mac(0x5e, n);
  const st = air.addStation(
    {
      mac: sta,
      akm: AKM.SAE,
      rsne: wpa3Rsne([AKM.SAE], PMF_CAPS, o.pmkids),
      rsnxe: (o.pwe ?? 'h2e') === 'h2e' ? H2E : undefined,
      beaconProtection: o.beaconProtection,
      sae: { password: o.password ?? PASSWORD, pwe: o.pwe, identifier: o.identifier },
    },
    BSSID,
  );
  return { sta, st };
}

void describe('WPA3-Personal: SAE at the authenticator', () => {
  for (const pwe of ['h2e', 'hunting-and-pecking'] as const) {
    void it(`SAE (${pwe}) then the 4-way handshake with AKM 8: keys agree, PMF keys delivered`, async () => {
      const air = wpa3Air();
      const { sta, st } = saeStation(air, 1, { pwe });
      air.saeAuthenticate(sta);
      air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
      assert.equal(st.sae.accepted, 1, `SAE accepted (failures: ${st.sae.failures.join(', ')})`);
      // The AP answered Commit then Confirm, each once, with the station's PWE method.
      assert.deepEqual(st.sae.received.map((r) => [r.transaction, r.status]), [[1, pwe === 'h2e' ? 126 : 0], [2, 0]]);
      air.associate(sta);
      air.run();
      assert.equal(st.supplicant.state, 'established');
      const install = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
      assert.equal(install.length, 1);
      assert.ok(install[0].effect.key.equals(st.supplicant.ptk!.tk), 'TK from the SAE PMK agrees');
      // AKM 8: key descriptor version 0 (AES-128-CMAC), msg 1/4 names the SAE PMKID.
      const tx = air.transmissions(sta);
      assert.deepEqual(tx.map((x) => x.info.kind), ['msg1/4', 'msg3/4']);
      for (const x of tx) assert.equal((x.info.key?.keyInfo ?? 0) & 0x7, 0);
      const kd = decodeKeyData(tx[0].info.key!.keyData);
      assert.ok(kd.ok);
      assert.ok(findKde(kd.value, KdeType.PMKID)?.equals(st.sae.pmkid!), 'msg 1/4 carries the SAE PMKID');
      // PMF: the station installed the IGTK the agent was told to install.
      assert.equal(st.supplicant.pmf, true);
      const igtk = st.supplicant.igtk;
      assert.ok(igtk !== undefined);
      assert.ok(air.radioBss(BSSID).gtk.get(igtk.keyId)?.equals(igtk.key), 'IGTK at the radio equals the station IGTK');
      assert.ok(igtk.keyId === 4 || igtk.keyId === 5);
      assert.equal(await air.metric('airlock_sae_authentications_total{result="accepted"}'), 1);
      assert.equal(await air.metric('airlock_handshakes_total{result="success"}'), 1);
      assert.deepEqual(air.violations, []);
    });
  }

  void it('a wrong password fails at the Confirm (status 15, counted), and no 4-way handshake starts', async () => {
    const air = wpa3Air();
    const { sta, st } = saeStation(air, 2, { password: 'not the password' });
    air.saeAuthenticate(sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    assert.equal(st.sae.accepted, 0);
    assert.deepEqual(st.sae.received.map((r) => [r.transaction, r.status]), [[1, 126], [2, 15]]);
    assert.equal(await air.metric('airlock_sae_authentications_total{result="wrong_password"}'), 1);
    const reports = air.reports('sae').filter((r) => r.result === 'wrong-password');
    assert.equal(reports.length, 1);
    assert.match(reports[0].detail, /another password/);
    // explain: the station's history says why it cannot join (it never associated).
    const history = air.core.history(sta);
    assert.equal(history[0]?.stage, 'sae');
    assert.match(history[0].detail ?? '', /SAE failed \(wrong password\)/);
    // It associates anyway: refused (no SAE, no PMKSA), and no msg 1/4 ever leaves.
    air.associate(sta);
    air.run();
    assert.deepEqual(st.disconnects, [49]);
    assert.equal(air.transmissions(sta).length, 0);
    assert.equal(await air.metric('airlock_handshakes_total{result="mic_failure"}'), 0);
  });

  void it('PMKSA caching: a second association names the PMKID and skips SAE; the PMKSA holds at that BSS only', () => {
    const air = wpa3Air();
    air.addBss({ bssid: BSSID2, akms: [AKM.SAE], rsne: wpa3Rsne([AKM.SAE], PMF_CAPS), rsnxe: H2E, sae: policy() });
    const { sta, st } = saeStation(air, 3);
    air.saeAuthenticate(sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    air.associate(sta);
    air.run();
    assert.equal(st.supplicant.state, 'established');
    const pmkid = st.sae.pmkid!;
    const firstPmk = st.sae.pmk!;
    air.leave(sta);
    air.run();
    // Back with the PMKID in the RSNE, no Authentication frame at all.
    const framesBefore = air.events('authentication').length;
    st.spec.rsne = wpa3Rsne([AKM.SAE], PMF_CAPS, [pmkid]);
    air.associate(sta);
    air.run();
    assert.equal(air.events('authentication').length, framesBefore, 'no SAE frames for the cached association');
    assert.equal(st.supplicant.state, 'established');
    assert.equal(air.reports('pmksa').filter((r) => r.event === 'used').length, 1);
    // The same PMKID at another BSS names nothing there: refused with reason 49.
    air.associate(sta, { bssid: BSSID2, reassociation: true });
    air.run();
    assert.deepEqual(st.disconnects, [49]);
    // SAE with the second BSS keeps the first BSS's PMKSA (one per BSS): back at the first, its PMKID still works.
    air.saeAuthenticate(sta, { bssid: BSSID2 });
    air.runFor(100);
    st.spec.rsne = wpa3Rsne([AKM.SAE], PMF_CAPS);
    air.associate(sta, { bssid: BSSID2 });
    air.run();
    assert.equal(st.supplicant.state, 'established', 'joined the second BSS after SAE there');
    assert.equal(air.core.pmksaCount, 2, 'one SAE PMKSA per BSS');
    air.leave(sta);
    air.run();
    st.sae.pmk = firstPmk;
    st.spec.rsne = wpa3Rsne([AKM.SAE], PMF_CAPS, [pmkid]);
    air.associate(sta);
    air.run();
    assert.equal(st.supplicant.state, 'established', 'back at the first BSS with its PMKSA');
  });

  void it('anti-clogging: past the threshold of open exchanges a Commit needs a token, which the station then echoes', async () => {
    const air = wpa3Air({ sae: { antiCloggingThreshold: 2 } });
    // Two stations leave their exchange open (they never send a Confirm): mute after the Commit.
    for (const n of [10, 11]) {
      const { sta, st } = saeStation(air, n);
      air.saeAuthenticate(sta);
      st.saeRun = undefined; // its Commit is on the way; it will not answer the AP's
    }
    air.runFor(5);
    const { sta, st } = saeStation(air, 12);
    air.saeAuthenticate(sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    // First answer: status 76 with a token; the station resent its Commit with it and finished.
    assert.deepEqual(st.sae.received.map((r) => [r.transaction, r.status]), [[1, 76], [1, 126], [2, 0]]);
    assert.equal(st.sae.accepted, 1);
    assert.equal(await air.metric('airlock_sae_authentications_total{result="token_required"}'), 1);
  });

  void it('a password identifier selects its password; an unknown one is refused with status 123', () => {
    const air = wpa3Air({ sae: { passwords: [{ password: 'guest pass', identifier: 'guest', vlanId: 30 }, { password: PASSWORD }] } });
    const guest = saeStation(air, 20, { password: 'guest pass', identifier: 'guest' });
    air.saeAuthenticate(guest.sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    assert.equal(guest.st.sae.accepted, 1);
    air.associate(guest.sta);
    air.run();
    assert.equal(guest.st.supplicant.state, 'established');
    const port = air.effects('set-port', (e) => e.sta.equals(guest.sta) && e.authorized);
    assert.equal(port[0].effect.vlanId, 30, 'the password VLAN');
    const stranger = saeStation(air, 21, { password: 'x', identifier: 'nobody' });
    air.saeAuthenticate(stranger.sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    assert.deepEqual(stranger.st.sae.received.map((r) => [r.transaction, r.status]), [[1, 123]]);
  });

  void it('a password change (updateNetwork, as a reload does) applies at the next exchange', () => {
    const air = wpa3Air();
    const before = saeStation(air, 25);
    air.saeAuthenticate(before.sta);
    air.runFor(100);
    assert.equal(before.st.sae.accepted, 1);
    const network = air.bssConfig(BSSID).network;
    air.operator('new password', (core, now) => core.updateNetwork({ ...network, sae: policy({ passwords: [{ password: 'the new password' }] }) }, now));
    const old = saeStation(air, 26);
    air.saeAuthenticate(old.sta);
    air.runFor(100);
    assert.equal(old.st.sae.accepted, 0, 'the old password no longer works');
    const fresh = saeStation(air, 27, { password: 'the new password' });
    air.saeAuthenticate(fresh.sta);
    air.runFor(100);
    assert.equal(fresh.st.sae.accepted, 1);
  });

  void it('an H2E-only BSS refuses a hunting-and-pecking Commit', () => {
    const air = wpa3Air({ sae: { pwe: 1 } });
    const { sta, st } = saeStation(air, 30, { pwe: 'hunting-and-pecking' });
    air.saeAuthenticate(sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    assert.deepEqual(st.sae.received.map((r) => [r.transaction, r.status]), [[1, 1]]);
  });

  void it('without PMF an SAE association is refused (reason 31); the RSNXE of msg 2/4 must match the association', () => {
    const air = wpa3Air();
    const sta = mac(0x5e, 40);
    const st = air.addStation({ mac: sta, akm: AKM.SAE, rsne: wpa3Rsne([AKM.SAE], 0), rsnxe: H2E, sae: { password: PASSWORD } }, BSSID);
    air.saeAuthenticate(sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    air.associate(sta);
    air.run();
    assert.deepEqual(st.disconnects, [31]);
    // RSNXE downgrade: msg 2/4 without the RSNXE the association had.
    const b = saeStation(air, 41);
    b.st.spec.misbehave = { msg2Rsnxe: Buffer.alloc(0) };
    air.saeAuthenticate(b.sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    air.associate(b.sta);
    air.run();
    assert.equal(b.st.disconnects.length, 1);
    assert.ok(air.reports('handshake').some((r) => r.result === 'rejected' && /RSNXE/.test(r.detail)));
  });

  void it('transition mode: a WPA2-PSK station and an SAE station on one BSS (PMF capable, not required)', () => {
    const air = new Air({ commandDelayMs: 2 });
    air.addBss({ bssid: BSSID, akms: [AKM.PSK, AKM.SAE], passphrases: [PASSWORD], rsne: wpa3Rsne([AKM.PSK, AKM.SAE], RsnCapability.MFPC), rsnxe: H2E, sae: policy() });
    const psk = air.addStation({ mac: mac(0x5e, 50), akm: AKM.PSK, rsne: wpa3Rsne([AKM.PSK], 0), passphrase: PASSWORD }, BSSID);
    air.associate(psk.mac);
    const wpa3 = air.addStation({ mac: mac(0x5e, 51), akm: AKM.SAE, rsne: wpa3Rsne([AKM.SAE], RsnCapability.MFPC), rsnxe: H2E, sae: { password: PASSWORD } }, BSSID);
    air.saeAuthenticate(wpa3.mac);
    air.runFor(100);
    air.associate(wpa3.mac);
    air.run();
    assert.equal(psk.supplicant.state, 'established');
    assert.equal(psk.supplicant.pmf, false, 'the WPA2 station without PMF');
    assert.equal(wpa3.supplicant.state, 'established');
    assert.equal(wpa3.supplicant.pmf, true);
  });

  void it('group rekey with PMF: the new GTK, IGTK and BIGTK reach the station in group msg 1/2', () => {
    const air = wpa3Air({ beaconProtection: true });
    const { sta, st } = saeStation(air, 60, { beaconProtection: true });
    air.saeAuthenticate(sta);
    air.runFor(100); // the exchange; the association follows at once (an Accepted exchange waits 60 s)
    air.associate(sta);
    air.run();
    const first = st.supplicant.igtk!;
    assert.ok(st.supplicant.bigtk !== undefined, 'BIGTK in msg 3/4');
    air.operator('rekey', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();
    const igtk = st.supplicant.igtk!;
    const bigtk = st.supplicant.bigtk;
    assert.notEqual(igtk.keyId, first.keyId, 'the IGTK changed generation');
    const radio = air.radioBss(BSSID);
    assert.ok(radio.gtk.get(igtk.keyId)?.equals(igtk.key));
    assert.ok(radio.gtk.get(bigtk.keyId)?.equals(bigtk.key));
    assert.equal(bigtk.keyId, igtk.keyId + 2);
  });

  void it('msg 3/4 starts a joining station at the packet numbers the agent reported (GTK RSC, IGTK IPN, BIGTK BIPN)', () => {
    const air = wpa3Air({ beaconProtection: true });
    const first = saeStation(air, 90, { beaconProtection: true });
    air.saeAuthenticate(first.sta);
    air.runFor(100);
    air.associate(first.sta);
    air.run();
    const gtkId = first.st.supplicant.gtk!.keyId;
    const igtkId = first.st.supplicant.igtk!.keyId;
    const bigtkId = first.st.supplicant.bigtk!.keyId;
    // The agent reports its transmit counters (GroupKeySequence); a lower one later never lowers them.
    for (const [keyId, txPn] of [[gtkId, 70_000n], [igtkId, 12n], [bigtkId, 9_000n], [gtkId, 5n]] as const) air.inject({ type: 'group-key-sequence', bssid: BSSID, keyId, txPn });
    const second = saeStation(air, 91, { beaconProtection: true });
    air.saeAuthenticate(second.sta);
    air.runFor(100);
    air.associate(second.sta);
    air.run();
    assert.equal(second.st.supplicant.state, 'established');
    const msg3 = air.transmissions(second.sta, 'msg3/4')[0].info.key!;
    assert.equal(msg3.rsc.readUIntLE(0, 6), 70_000, 'GTK RSC');
    assert.equal(second.st.supplicant.igtk!.ipn, 12n);
    assert.equal(second.st.supplicant.bigtk!.ipn, 9_000n);
    // A rekey makes new keys: their counters start at 0, and a report in flight for a new key's
    // id before its install is confirmed (still the old key's count) is not taken.
    air.operator('rekey', (core, now) => core.rekeyGroup(BSSID, now));
    const newIgtk = igtkId === 4 ? 5 : 4;
    air.inject({ type: 'group-key-sequence', bssid: BSSID, keyId: newIgtk, txPn: 777n });
    air.run();
    const third = saeStation(air, 92, { beaconProtection: true });
    air.saeAuthenticate(third.sta);
    air.runFor(100);
    air.associate(third.sta);
    air.run();
    assert.equal(third.st.supplicant.igtk!.keyId, newIgtk);
    assert.equal(third.st.supplicant.igtk!.ipn, 0n, 'the report before the install was confirmed was not taken');
  });

  void it('a Commit flood on one BSS meets its budget there (counted drops); another BSS is untouched', () => {
    const air = new Air({ commandDelayMs: 2, core: { saeLimits: { commitsPerSecond: 50, commitBurst: 10 } } });
    const p = policy({ antiCloggingThreshold: 1000 }); // tokens off: the budget alone
    air.addBss({ bssid: BSSID, akms: [AKM.SAE], rsne: wpa3Rsne([AKM.SAE], PMF_CAPS), rsnxe: H2E, sae: p });
    air.addBss({ bssid: BSSID2, akms: [AKM.SAE], rsne: wpa3Rsne([AKM.SAE], PMF_CAPS), rsnxe: H2E, sae: p });
    // 40 made-up stations send valid Commits to BSSID at once.
    const flooders = Array.from({ length: 40 }, (_v, i) => saeStation(air, 200 + i));
    for (const f of flooders) {
      air.saeAuthenticate(f.sta);
      f.st.saeRun = undefined; // they never answer
    }
    const victim = air.addStation({ mac: mac(0x5e, 99), akm: AKM.SAE, rsne: wpa3Rsne([AKM.SAE], PMF_CAPS), rsnxe: H2E, sae: { password: PASSWORD } }, BSSID2);
    air.saeAuthenticate(victim.mac);
    air.runFor(100);
    air.associate(victim.mac);
    air.runFor(200);
    assert.equal(victim.supplicant.state, 'established', 'the station on the other BSS joined');
    const dropped = air.reports('frame-dropped').filter((r) => r.reason === 'sae_commit_budget');
    assert.equal(dropped.length, 40 - 10, 'beyond the burst, the BSS budget drops the Commits');
    assert.ok(dropped.every((r) => r.bssid.equals(BSSID)));
    assert.equal(air.core.size.stations, 1);
  });

  void it('a forged or malformed Authentication frame is a counted drop, never a crash', async () => {
    const air = wpa3Air();
    const sta = mac(0x5e, 70);
    const bodies = [Buffer.alloc(0), Buffer.from([19]), Buffer.from([19, 0]), Buffer.alloc(98, 0xff), Buffer.alloc(300, 1)];
    for (const body of bodies) {
      for (const [transaction, status] of [[1, 126], [1, 0], [2, 0], [3, 0]]) air.inject({ type: 'authentication', bssid: BSSID, sta, algorithm: 3, transaction, status, body });
    }
    air.run();
    assert.ok((await air.metric('airlock_frames_dropped_total{reason="sae_malformed_commit"}')) > 0);
    assert.ok((await air.metric('airlock_frames_dropped_total{reason="sae_confirm_without_commit"}')) > 0);
    assert.equal(air.core.station(sta), undefined);
    // A Commit carrying a group we do not run is answered with 77 and that group.
    const fx = air.inject({ type: 'authentication', bssid: BSSID, sta, algorithm: 3, transaction: 1, status: 126, body: Buffer.concat([Buffer.from([20, 0]), Buffer.alloc(144, 1)]) });
    const reply = fx.find((e) => e.type === 'transmit-authentication');
    assert.ok(reply !== undefined && reply.type === 'transmit-authentication');
    assert.equal(reply.status, sae.SaeStatus.UNSUPPORTED_FINITE_CYCLIC_GROUP);
    assert.deepEqual([...reply.body], [20, 0]);
  });
});
