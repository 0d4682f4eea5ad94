/**
 * Per-BSS GTK state machine, IEEE 802.11-2020 §12.7.10.4 (Figure 12-45; WPA_GROUP in
 * hostapd). Deviation from hostapd, by design: a new GTK is installed at the agent as a
 * receive-only key first, delivered to every authorized station with the group key
 * handshake, and only then made the transmit key — no station misses group traffic.
 */
import { wipe } from '../crypto/index.js';
import { CIPHER } from '../suites.js';
import { report, type Environment } from './environment.js';
import type { Association, BssState, GtkState } from './records.js';

/** GTK length for the group cipher (CCMP-128/GCMP-128: 16, the 256-bit ciphers: 32). */
export function gtkLength(groupCipher: number): number {
  return groupCipher === 0x000fac09 || groupCipher === 0x000fac0a ? 32 : 16;
}

/** Runs one transition of the GTK machine; `stepStation` advances a station's machines. */
export function stepGtk(ctx: Environment, bss: BssState, stepStation: (st: Association) => void): boolean {
  const s = bss.gtkState;
  switch (s) {
    case 'GTK_INIT':
      return enter(ctx, bss, 'SETKEYSDONE', stepStation);
    case 'SETKEYS':
      if (bss.GKeyDoneStations <= 0) return enter(ctx, bss, 'SETKEYSDONE', stepStation);
      return false;
    case 'SETKEYSDONE':
      if (bss.GTKReKey) return enter(ctx, bss, 'SETKEYS', stepStation);
      return false;
    default: {
      const never: never = s;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
}

/** Length of an IGTK or BIGTK for BIP-CMAC-128, the group management cipher PMF uses here. */
const BIP_KEY_LENGTH = 16;

/** GTK_INIT entry: the first GTK of the BSS (with PMF its IGTK, and its BIGTK), installed as the transmit keys. */
export function initGtk(ctx: Environment, bss: BssState): void {
  bss.GN = 1;
  bss.GM = 2;
  bss.gtk[1] = ctx.random(gtkLength(bss.groupCipher));
  if (bss.pmf > 0) bss.igtk[1] = ctx.random(BIP_KEY_LENGTH);
  if (bss.beaconProtection) bss.bigtk[1] = ctx.random(BIP_KEY_LENGTH);
  bss.gtkState = 'GTK_INIT';
}

/**
 * Installs a group key at the agent. A `fresh` key (just made) starts its transmit packet
 * number at 0, and the agent's reports for its key id are not taken until the install is
 * confirmed (one in flight may still be the old key's).
 */
function installGroupKey(ctx: Environment, bss: BssState, cipher: number, keyId: number, key: Buffer, setTx: boolean, fresh: boolean): void {
  const ref = ctx.nextRef(bss);
  if (fresh) {
    bss.txPn[keyId] = 0n;
    bss.txPnRef[keyId] = ref;
  }
  ctx.emit({ type: 'install-group-key', bssid: bss.cfg.bssid, cipher, keyId, key: Buffer.from(key), setTx, ref });
}

/** Installs generation `id`'s GTK and management keys as the transmit keys (a new GTK_INIT generation, a rekey's end, a takeover). */
export function installTransmitKeys(ctx: Environment, bss: BssState, id: 1 | 2, fresh: boolean): void {
  installGroupKey(ctx, bss, bss.groupCipher, id, bss.gtk[id]!, true, fresh);
  installManagementKeys(ctx, bss, id, true, fresh);
}

/** Installs generation `id`'s management keys (IGTK key id id + 3, BIGTK id + 5) at the agent. */
function installManagementKeys(ctx: Environment, bss: BssState, id: 1 | 2, setTx: boolean, fresh: boolean): void {
  const igtk = bss.igtk[id];
  if (igtk !== undefined) installGroupKey(ctx, bss, CIPHER.BIP_CMAC_128, id + 3, igtk, setTx, fresh);
  const bigtk = bss.bigtk[id];
  if (bigtk !== undefined) installGroupKey(ctx, bss, CIPHER.BIP_CMAC_128, id + 5, bigtk, setTx, fresh);
}

function enter(ctx: Environment, bss: BssState, to: GtkState, stepStation: (st: Association) => void): boolean {
  ctx.trace({ machine: 'GROUP', bssid: bss.cfg.bssid, from: bss.gtkState, to });
  const from = bss.gtkState;
  bss.gtkState = to;
  switch (to) {
    case 'GTK_INIT':
      break;
    case 'SETKEYS': {
      bss.GTKReKey = false;
      const gm = bss.GN;
      bss.GN = bss.GM;
      bss.GM = gm;
      // The GTK this key id held is two generations old: the BSS transmits with GM's, and
      // msg 3/4 and group msg 1/2 carry GM's or the new one. It goes, overwritten.
      wipe(bss.gtk[bss.GN]);
      bss.gtk[bss.GN] = ctx.random(gtkLength(bss.groupCipher));
      installGroupKey(ctx, bss, bss.groupCipher, bss.GN, bss.gtk[bss.GN]!, false, true);
      // PMF: the IGTK (and BIGTK) change with the GTK, as hostapd rekeys them together.
      if (bss.pmf > 0) {
        wipe(bss.igtk[bss.GN]);
        bss.igtk[bss.GN] = ctx.random(BIP_KEY_LENGTH);
      }
      if (bss.beaconProtection) {
        wipe(bss.bigtk[bss.GN]);
        bss.bigtk[bss.GN] = ctx.random(BIP_KEY_LENGTH);
      }
      installManagementKeys(ctx, bss, bss.GN, false, true);
      let n = 0;
      for (const st of bss.stations) {
        if (st.ptkState === 'PTKINITDONE' && st.PTK_valid) {
          if (!st.GUpdateStationKeys) n++;
          st.GUpdateStationKeys = true;
        }
      }
      bss.GKeyDoneStations += n;
      report(ctx, { kind: 'group-rekey', bssid: bss.cfg.bssid, keyId: bss.GN, phase: 'started', stations: n });
      for (const st of [...bss.stations]) if (st.GUpdateStationKeys) stepStation(st);
      break;
    }
    case 'SETKEYSDONE':
      bss.GKeyDoneStations = 0;
      bss.txKeyId = bss.GN;
      // From GTK_INIT the keys are new; after SETKEYS they were installed there already.
      installTransmitKeys(ctx, bss, bss.GN, from === 'GTK_INIT');
      if (from === 'SETKEYS') report(ctx, { kind: 'group-rekey', bssid: bss.cfg.bssid, keyId: bss.GN, phase: 'completed', stations: 0 });
      ctx.setRekeyTimer(bss, bss.cfg.network.groupRekeyMs > 0 ? ctx.now + bss.cfg.network.groupRekeyMs : Infinity);
      break;
    default: {
      const never: never = to;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
  return true;
}
