/**
 * The driver interface of the edge agent: events up from the radio (or wired port),
 * commands down to it. A driver has no protocol logic; the agent adds ordering,
 * reconnection and translation.
 */

/** A BSS (or wired port) the driver serves, as announced in Hello. */
export interface DriverBss {
  /** The BSSID the agent announces (and stations must use as AA). */
  bssid: Buffer;
  ssid: Buffer;
  /** RSN element as advertised in Beacons, from the element ID on. */
  rsne: Buffer;
  wired: boolean;
  /** MAC of the serving radio or interface. */
  interfaceMac?: Buffer;
}

/** A station the driver currently has (Hello's station table). */
export interface DriverStation {
  bssid: Buffer;
  sta: Buffer;
  rsne: Buffer;
  portAuthorized: boolean;
  pairwiseKeyInstalled: boolean;
  vlanId: number;
}

/** What the radio saw, in the order it saw it. */
export type DriverEvent =
  | { type: 'associated'; bssid: Buffer; sta: Buffer; rsne: Buffer; reassociation: boolean; previousBssid?: Buffer }
  | { type: 'disassociated'; bssid: Buffer; sta: Buffer; reason: number; deauth: boolean; locallyGenerated: boolean }
  | { type: 'eapol'; bssid: Buffer; sta: Buffer; frame: Buffer }
  | { type: 'counters'; bssid: Buffer; sta: Buffer; rxBytes: bigint; txBytes: bigint; rxPackets: bigint; txPackets: bigint };

/** A command the driver could not apply (becomes CommandResult{ok:false}). */
export class DriverError extends Error {}

/** A radio or wired port under the agent's control. */
export interface Driver {
  /** Short name for logs ("sim", "wired"). */
  readonly name: string;
  /** The driver reports whether each transmitted EAPOL frame was acknowledged. */
  readonly reportsTxStatus: boolean;
  /** The BSSes served (stable for the driver's lifetime). */
  bsses(): DriverBss[];
  /** Stations currently associated, with what is installed for them. */
  stations(): DriverStation[];
  /** Starts delivering events. */
  start(onEvent: (e: DriverEvent) => void): Promise<void>;
  /** A new session was welcomed by the authenticator: events now reach it. */
  sessionStarted?(settings: SessionSettings): void;
  /** Stops the radio; no events after it resolves. */
  stop(): Promise<void>;
  /** Sends an EAPOL frame; `onTxStatus` (when given) hears whether the station acknowledged it. */
  transmitEapol(c: { bssid: Buffer; sta: Buffer; frame: Buffer; protected: boolean }, onTxStatus?: (acked: boolean) => void): void;
  installPairwiseKey(c: { bssid: Buffer; sta: Buffer; cipher: number; keyId: number; key: Buffer }): void | Promise<void>;
  installGroupKey(c: { bssid: Buffer; cipher: number; keyId: number; key: Buffer; setTx: boolean }): void | Promise<void>;
  removePairwiseKey(c: { bssid: Buffer; sta: Buffer }): void | Promise<void>;
  setPortAuthorized(c: { bssid: Buffer; sta: Buffer; authorized: boolean; vlanId: number; sessionTimeoutS: number }): void | Promise<void>;
  disconnect(c: { bssid: Buffer; sta: Buffer; reason: number; deauth: boolean }): void | Promise<void>;
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
}
