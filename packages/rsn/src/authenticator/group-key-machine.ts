/**
 * Per-station group key handshake state machine, IEEE 802.11-2020 §12.7.10.3
 * (Figure 12-44; WPA_PTK_GROUP in hostapd). It delivers a new GTK to one authorized
 * station with group msg 1/2, protected by the station's PTK.
 */
import { buildGroupMsg1 } from './frames.js';
import { Reason } from './reason-codes.js';
import type { MachineContext } from './context.js';
import type { GroupKeyState, StationState } from './state.js';

/** Runs one transition of the group key machine; returns false when none applies. */
export function stepGroupKey(ctx: MachineContext, st: StationState): boolean {
  // Global: the group handshake runs only on a station whose PTK is in place.
  if (st.ptkState !== 'PTKINITDONE' && st.groupState !== 'IDLE') return enter(ctx, st, 'IDLE');
  const s = st.groupState;
  switch (s) {
    case 'IDLE':
      if (st.GUpdateStationKeys && st.ptkState === 'PTKINITDONE') return enter(ctx, st, 'REKEYNEGOTIATING');
      return false;
    case 'REKEYNEGOTIATING':
      if (st.EAPOLKeyReceived && !st.EAPOLKeyPairwise && st.MICVerified) return enter(ctx, st, 'REKEYESTABLISHED');
      if (st.GTimeoutCtr > ctx.timing.groupUpdateCount) return enter(ctx, st, 'KEYERROR');
      if (st.TimeoutEvt) return enter(ctx, st, 'REKEYNEGOTIATING');
      return false;
    case 'REKEYESTABLISHED':
      return enter(ctx, st, 'IDLE');
    case 'KEYERROR':
      return false; // Disconnect is set: the PTK machine takes the station down
    default: {
      const never: never = s;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
}

function enter(ctx: MachineContext, st: StationState, to: GroupKeyState): boolean {
  ctx.trace({ machine: 'PTK_GROUP', bssid: st.bss.cfg.bssid, sta: st.sta, from: st.groupState, to });
  const from = st.groupState;
  st.groupState = to;
  switch (to) {
    case 'IDLE':
      st.GTimeoutCtr = 0;
      if (from === 'REKEYNEGOTIATING' && st.GUpdateStationKeys) {
        // Left mid-update (PTK machine restarted): the GTK machine stops waiting for it.
        st.GUpdateStationKeys = false;
        ctx.groupKeyDone(st.bss);
      }
      break;
    case 'REKEYNEGOTIATING': {
      st.TimeoutEvt = false;
      st.GTimeoutCtr++;
      if (st.GTimeoutCtr > ctx.timing.groupUpdateCount) break;
      const bss = st.bss;
      const keyId = bss.GN;
      const frame = buildGroupMsg1({
        version: st.descriptorVersion,
        replayCounter: st.replay.next(),
        gtk: bss.gtk[keyId]!,
        gtkKeyId: keyId,
        kck: st.PTK!.kck,
        kek: st.PTK!.kek,
      });
      // A rekey message leaves protected with the installed PTK.
      ctx.emit({ type: 'transmit-eapol', bssid: bss.cfg.bssid, sta: st.sta, frame, protected: true });
      const t = ctx.timing;
      ctx.schedule(st, ctx.now + (st.GTimeoutCtr === 1 ? t.groupTimeoutMs : t.subsequentTimeoutMs));
      break;
    }
    case 'REKEYESTABLISHED':
      st.EAPOLKeyReceived = false;
      st.MICVerified = false;
      ctx.cancel(st);
      st.gtkKeyId = st.bss.GN;
      st.replay.invalidateAll();
      if (st.GUpdateStationKeys) {
        st.GUpdateStationKeys = false;
        ctx.groupKeyDone(st.bss);
      }
      break;
    case 'KEYERROR':
      ctx.cancel(st);
      if (st.GUpdateStationKeys) {
        st.GUpdateStationKeys = false;
        ctx.groupKeyDone(st.bss);
      }
      st.disconnectReason = Reason.GROUP_KEY_UPDATE_TIMEOUT;
      st.Disconnect = true;
      break;
    default: {
      const never: never = to;
      throw new Error(`unreachable state ${String(never)}`);
    }
  }
  return true;
}
