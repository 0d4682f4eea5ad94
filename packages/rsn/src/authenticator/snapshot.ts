/**
 * What another authenticator needs to go on serving a BSS and its authorized stations
 * without disconnecting anyone (issue 16, DESIGN.md "Several authenticators"): the BSS's
 * group keys, and each authorized station's security association. Taken from a core
 * (exportBss / exportStation) when they change, and given to another core (adoptBss /
 * adoptStation) that takes the BSS over. Times are on the exporting core's clock; whoever
 * carries a snapshot between processes converts them (the store keeps wall-clock time).
 *
 * Only settled state travels: a station in the middle of a handshake or an EAP conversation
 * has no snapshot (after a takeover, reconcile restarts its handshake, as after a
 * reconnect), and a BSS in the middle of a group rekey is adopted with a rekey due at once.
 */
import type { Authorization } from './records.js';

/**
 * The EAPOL-Key replay counters a snapshot reserves ahead of the last one sent: a core that
 * adopts the station starts above the reservation, and the exporting core reports the station
 * changed again before it uses them up (SaListener.stationChanged), so a counter is never
 * sent twice even when the last snapshot written is older than the last frame.
 */
export const REPLAY_RESERVATION = 64;

export interface BssSnapshot {
  bssid: Buffer;
  /** Key ids: GN the newest GTK, GM the other. */
  GN: 1 | 2;
  GM: 1 | 2;
  /** GTKs by key id (index 1 and 2; missing when never set). */
  gtk1: Buffer | undefined;
  gtk2: Buffer | undefined;
  /** Key id used to transmit group-addressed frames. */
  txKeyId: 1 | 2;
  /** PMF: the IGTKs and BIGTKs of GTK generations 1 and 2 (key ids 4/5 and 6/7), when the BSS has them. */
  igtk1?: Buffer;
  igtk2?: Buffer;
  bigtk1?: Buffer;
  bigtk2?: Buffer;
  /** A group rekey was under way: the adopting core starts another at once. */
  rekeying: boolean;
  /** When the next GTK rekey is due (Infinity: none). */
  rekeyAt: number;
}

export interface StationSnapshot {
  bssid: Buffer;
  /** The RSNXE of its (Re)Association Request (WPA3), when it sent one. */
  assocRsnxe?: Buffer;
  sta: Buffer;
  /** The RSNE of its (Re)Association Request. */
  assocRsne: Buffer;
  akm: number;
  pairwiseCipher: number;
  associatedAt: number;
  /** The PMK (a PSK's or the 802.1X one): the next PTK rekey derives from it. */
  pmk: Buffer | undefined;
  /** KCK || KEK || TK. */
  ptk: Buffer;
  /** The first replay counter the adopting core may use minus one (the reservation included). */
  replayCounter: number;
  /** Key id of the GTK the station holds. */
  gtkKeyId: number;
  lastEapId: number;
  acctSessionId: string;
  /** When its accounting session started (undefined: no accounting Start was sent). */
  acctStartedAt: number | undefined;
  /** When Session-Timeout ends the session or reauthenticates it (Infinity: never). */
  sessionEndAt: number;
  /** What IEEE 802.1X granted (undefined for PSK). */
  authz: AuthorizationSnapshot | undefined;
}

/** What IEEE 802.1X granted the station (its PMKID and the authentication as `explain` shows it included). */
export type AuthorizationSnapshot = Authorization;

/**
 * What a core tells about the state a snapshot holds (CoreOptions.saListener): called
 * inside the core's run, so the listener only notes what changed and takes the snapshots
 * after the run (the state may change again within it).
 */
export interface SaListener {
  /** An authorized station's security association changed (authorized, rekeyed, its GTK, its reserved replay counters used up). */
  stationChanged(bssid: Buffer, sta: Buffer): void;
  /** The station has no security association here any more (it left, was disconnected, or went with its BSS). */
  stationGone(bssid: Buffer, sta: Buffer): void;
  /** The BSS's group keys changed (a rekey started or finished). */
  bssChanged(bssid: Buffer): void;
}
