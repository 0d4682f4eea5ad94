/**
 * The driver interface of the edge agent: events up from the radio (or wired port),
 * commands down to it, in the AgentLink vocabulary (@airlock/link). A driver has no
 * protocol logic; the agent adds ordering, reconnection and the wire (@airlock/proto's link
 * codec).
 */
import type {
  BssAnnouncement,
  DisconnectCommand,
  InstallGroupKeyCommand,
  InstallPairwiseKeyCommand,
  LinkEvent,
  RemovePairwiseKeyCommand,
  SetPortCommand,
  TransmitAuthenticationCommand,
  StationEntry,
  TransmitEapolCommand,
} from '@airlock/link';

/** A command the driver could not apply (becomes CommandResult{ok:false}). */
export class DriverError extends Error {}

/** A radio or wired port under the agent's control. */
export interface Driver {
  /** Short name for logs ("sim", "wired"). */
  readonly name: string;
  /** The driver reports whether each transmitted EAPOL frame was acknowledged. */
  readonly reportsTxStatus: boolean;
  /** The BSSes served, as Hello announces them (stable for the driver's lifetime). */
  bsses(): BssAnnouncement[];
  /** Stations currently associated, with what is installed for them (Hello's station table). */
  stations(): StationEntry[];
  /** Starts delivering what the radio sees, in the order it sees it. */
  start(onEvent: (e: LinkEvent) => void): Promise<void>;
  /** A new session was welcomed by the authenticator: events now reach it. */
  sessionStarted?(settings: SessionSettings): void;
  /** Stops the radio; no events after it resolves. */
  stop(): Promise<void>;
  /** Sends an EAPOL frame; `onTxStatus` (when given) hears whether the station acknowledged it. */
  transmitEapol(c: TransmitEapolCommand, onTxStatus?: (acked: boolean) => void): void;
  installPairwiseKey(c: InstallPairwiseKeyCommand): void | Promise<void>;
  installGroupKey(c: InstallGroupKeyCommand): void | Promise<void>;
  removePairwiseKey(c: RemovePairwiseKeyCommand): void | Promise<void>;
  setPortAuthorized(c: SetPortCommand): void | Promise<void>;
  disconnect(c: DisconnectCommand): void | Promise<void>;
  /** WPA3: sends an Authentication frame (SAE). Absent on a driver with no 802.11 MLME (wired). */
  transmitAuthentication?(c: TransmitAuthenticationCommand): void | Promise<void>;
}

/** What the authenticator's Welcome asks of the driver. */
export interface SessionSettings {
  /** A 'counters' event per associated station this often (0 = never). */
  countersIntervalS: number;
  /**
   * Stations per BSS associated and not yet port-authorized, at most (0 or absent: no
   * limit): a further association is refused with status 17, where the driver answers
   * associations itself.
   */
  maxPendingStationsPerBss?: number;
  /** A 'group-key-sequence' event per group key the driver transmits with, this often (0 or absent = never). */
  groupKeyIntervalS?: number;
}
