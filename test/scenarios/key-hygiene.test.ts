/**
 * Key hygiene (DESIGN.md "Security", secrets in memory; issue 13 item 8), on virtual time:
 * every PMK, PTK (KCK, KEK, TK) and GTK the core drops is overwritten. The buffers live
 * inside the core and never leave it (the install effects carry copies), so these tests keep
 * references to them through a narrow white-box view of the core and check they read zeros
 * once the core let go of them, and that what is still in use is left alone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, computePmkid, type AuthenticatorCore } from '@airlock/rsn';
import { Air, mac, scriptedRadius } from './harness.js';
import { keyRequest } from './frames.js';

const BSSID = mac(0xb0, 1);

/** The key-holding parts of the core's private state that these tests look at. */
interface KeyView {
  stations: Map<string, { sta: Buffer; PMK: Buffer | undefined; hs: { pmkCandidates: Buffer[] } | undefined; PTK: { kck: Buffer; kek: Buffer; tk: Buffer } | undefined }>;
  bsses: Map<string, { cfg: { bssid: Buffer }; gtk: (Buffer | undefined)[] }>;
  pmksa: { entries: Map<string, { sta: Buffer; pmk: Buffer }> };
}

function view(core: AuthenticatorCore): KeyView {
  return core as unknown as KeyView;
}

function stationKeys(air: Air, sta: Buffer): { ptk: Buffer[]; pmk: Buffer[] } {
  const st = [...view(air.core).stations.values()].find((s) => s.sta.equals(sta));
  assert.ok(st !== undefined && st.PTK !== undefined && st.PMK !== undefined, 'the station holds a PTK and a PMK');
  return { ptk: [st.PTK.kck, st.PTK.kek, st.PTK.tk], pmk: [st.PMK, ...(st.hs?.pmkCandidates ?? [])] };
}

function gtkOf(air: Air, bssid: Buffer, keyId: number): Buffer {
  const bss = [...view(air.core).bsses.values()].find((b) => b.cfg.bssid.equals(bssid));
  const g = bss?.gtk[keyId];
  assert.ok(g !== undefined, `the BSS holds GTK ${keyId}`);
  return g;
}

function pmksaPmk(air: Air, sta: Buffer): Buffer {
  const e = [...view(air.core).pmksa.entries.values()].find((x) => x.sta.equals(sta));
  assert.ok(e !== undefined, 'the station has a PMKSA');
  return e.pmk;
}

const zero = (b: Buffer): boolean => b.length > 0 && b.every((x) => x === 0);
const live = (b: Buffer): boolean => b.some((x) => x !== 0);

function pskJoined(sta: Buffer): Air {
  const air = new Air();
  air.addBss({ bssid: BSSID });
  air.addStation({ mac: sta }, BSSID);
  air.associate(sta);
  air.run();
  assert.equal(air.reports('joined').length, 1);
  return air;
}

void describe('key hygiene', () => {
  void it('the install effect carries a copy of the TK: the core wiping its PTK leaves the glue its key, and the glue wiping its copy leaves the core its PTK', () => {
    const sta = mac(0x5a, 1);
    const air = pskJoined(sta);
    const [install] = air.effects('install-pairwise-key');
    const { ptk } = stationKeys(air, sta);
    assert.ok(install.effect.key.equals(ptk[2]));
    install.effect.key.fill(0); // what the service glue does once the command is written
    assert.ok(live(ptk[2]), 'the core still holds its TK');
  });

  void it('PTK rekey: the old PTK (KCK, KEK, TK) reads zeros, the new one is in use', () => {
    const sta = mac(0x5a, 2);
    const air = pskJoined(sta);
    const old = stationKeys(air, sta);
    const supplicantPtk = air.station(sta).supplicant.ptk!;
    air.sendUp(sta, keyRequest({ kck: supplicantPtk.kck, descriptorVersion: 2, replayCounter: 1n, pairwise: true }));
    air.run();
    assert.equal(air.effects('install-pairwise-key').length, 2, 'the rekey installed a new TK');
    for (const b of old.ptk) assert.ok(zero(b), 'old PTK wiped');
    const now = stationKeys(air, sta);
    for (const b of [...now.ptk, ...now.pmk]) assert.ok(live(b), 'new PTK and the PMK in use');
    assert.equal(air.radio(sta)?.portAuthorized, true);
  });

  void it('station leaves: its PTK and PSK copies read zeros', () => {
    const sta = mac(0x5a, 3);
    const air = pskJoined(sta);
    const k = stationKeys(air, sta);
    air.leave(sta);
    air.run();
    for (const b of [...k.ptk, ...k.pmk]) assert.ok(zero(b), 'wiped on disconnect');
  });

  void it('GTK rekey: the current and the previous GTK stay, the one two generations old reads zeros', () => {
    const sta = mac(0x5a, 4);
    const air = pskJoined(sta);
    const gtk1 = gtkOf(air, BSSID, 1);
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();
    const gtk2 = gtkOf(air, BSSID, 2);
    assert.ok(live(gtk1) && live(gtk2), 'after one rekey both GTKs are still needed');
    const [first] = air.effects('install-group-key');
    first.effect.key.fill(0); // the glue's copy
    assert.ok(live(gtk1), 'the install effect carried a copy');
    air.operator('rekeyGroup', (core, now) => core.rekeyGroup(BSSID, now));
    air.run();
    assert.ok(zero(gtk1), 'GTK of key id 1, replaced by the second rekey, wiped');
    assert.ok(live(gtk2) && live(gtkOf(air, BSSID, 1)));
    assert.ok(air.station(sta).supplicant.gtk?.gtk.equals(gtkOf(air, BSSID, 1)), 'the station holds the new GTK');
    air.operator('removeBss', (core, now) => core.removeBss(BSSID, now));
    assert.ok(zero(gtk2), 'BSS removed: its GTKs wiped');
  });

  void it('802.1X: the PMK held by the station is wiped when it leaves, the PMKSA copy stays until the entry expires, then reads zeros', () => {
    const air = new Air({ timing: { pmksaLifetimeMs: 20_000 } });
    air.addBss({ bssid: BSSID, akms: [AKM.IEEE8021X] });
    air.radius = scriptedRadius({});
    const sta = mac(0x5a, 5);
    air.addStation({ mac: sta, eap: { identity: 'alice@example.org' } }, BSSID);
    air.associate(sta);
    air.run();
    assert.equal(air.reports('joined').length, 1);
    const k = stationKeys(air, sta);
    const cached = pmksaPmk(air, sta);
    const pmk = Buffer.from(cached);
    air.leave(sta);
    air.run();
    for (const b of [...k.ptk, ...k.pmk]) assert.ok(zero(b), 'the station copies wiped');
    assert.ok(live(cached), 'the PMKSA keeps its PMK');
    air.run({ until: air.now + 20_001 });
    air.associate(sta, { pmkids: [computePmkid(pmk, BSSID, sta, AKM.IEEE8021X)] });
    air.runFor(1000);
    assert.ok(zero(cached), 'expired PMKSA: its PMK wiped');
    assert.equal(air.reports('joined').length, 2, 'full EAP, joined again');
  });
});
