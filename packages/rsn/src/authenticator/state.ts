/**
 * Per-station and per-BSS state of the authenticator. Field names follow the state
 * machine variables of IEEE 802.11-2020 §12.7.10 (and hostapd's wpa_auth_i.h).
 */
import type { PtkKeys } from '../crypto/index.js';
import type { ReplayWindow } from './replay-window.js';
import type { TimerTarget } from './deadline-queue.js';
import type { BssConfig, HandshakeResult, MicDiagnosis, StationPhase } from './types.js';

/** Per-station 4-way handshake states (§12.7.10.2, WPA_PTK in hostapd). */
export type PtkState =
  | 'INITIALIZE'
  | 'DISCONNECT'
  | 'DISCONNECTED'
  | 'AUTHENTICATION'
  | 'AUTHENTICATION2'
  | 'INITPMK'
  | 'INITPSK'
  | 'PTKSTART'
  | 'PTKCALCNEGOTIATING'
  | 'PTKCALCNEGOTIATING2'
  | 'PTKINITNEGOTIATING'
  | 'PTKINITDONE';

/** Per-station group key handshake states (§12.7.10.3, WPA_PTK_GROUP). */
export type GroupKeyState = 'IDLE' | 'REKEYNEGOTIATING' | 'REKEYESTABLISHED' | 'KEYERROR';

/** Authenticator PAE states (IEEE 802.1X-2004 §8.2.4, RESTART from -2010). */
export type PaeState = 'INITIALIZE' | 'DISCONNECTED' | 'RESTART' | 'CONNECTING' | 'AUTHENTICATING' | 'AUTHENTICATED' | 'ABORTING' | 'HELD';

/** Backend Authentication states (IEEE 802.1X-2004 §8.2.9). */
export type BackendState = 'INITIALIZE' | 'IDLE' | 'REQUEST' | 'RESPONSE' | 'IGNORE' | 'TIMEOUT' | 'FAIL' | 'SUCCESS';

/** Per-BSS GTK states (§12.7.10.4, WPA_GROUP). */
export type GtkState = 'GTK_INIT' | 'SETKEYS' | 'SETKEYSDONE';

/** One handshake as remembered for `explain` (no key material, fingerprints only). */
export interface HandshakeRecord {
  bssid: string;
  akm: number;
  startedAt: number;
  endedAt?: number;
  result?: HandshakeResult;
  detail?: string;
  msg1Sent: number;
  msg3Sent: number;
  micFailures: number;
  anonceFp: string;
  pmkFp?: string;
  diagnosis?: MicDiagnosis;
  joinMs?: number;
  /** 802.1X AKMs: the authentication that gave this handshake its PMK (EAP, or the PMKSA cache). */
  auth?: AuthRecord;
}

/** Rounds of an EAP conversation kept per authentication (later ones are only counted). */
export const MAX_AUTH_ROUNDS = 16;

/** One Access-Request answered by a RADIUS server. */
export interface AuthRound {
  server: string;
  /** From the first transmission of the request to its answer (the RADIUS client measures it). */
  rttMs: number;
}

/**
 * One IEEE 802.1X authentication of a station, as `explain` shows it: who (identity), how
 * (EAP method), with whom (RADIUS server, the round trip of each round) and what it granted
 * (VLAN, Session-Timeout). A station rejoining with a cached PMKSA gets a record without
 * rounds. No key material.
 */
export interface AuthRecord {
  /** The EAP-Response/Identity ('' until the station sent one; from the PMKSA when cached). */
  identity: string;
  /** User-Name of the Access-Accept, when the server set one. */
  userName?: string;
  /** The EAP method the station answered with (its Response Type past Identity and Nak); 0 while unknown. */
  method: number;
  /** The answered rounds, the first MAX_AUTH_ROUNDS of them. */
  rounds: AuthRound[];
  /** Every answered round (also the ones not kept). */
  roundsTotal: number;
  result?: 'accept' | 'reject' | 'timeout';
  /** The PMK came from the PMKSA cache: no EAP this time. */
  pmksaCached: boolean;
  vlanId: number;
  sessionTimeoutS: number;
}

/** The received EAPOL-Key frame being processed by the machines. */
export interface ReceivedKey {
  /** Frame from the 802.1X header, cut to its declared length, MIC zeroed. */
  zeroed: Buffer;
  mic: Buffer;
  keyInfo: number;
  replayCounter: bigint;
  nonce: Buffer;
  keyData: Buffer;
}

/** Per-BSS state: the GTK machine and the stations on it. */
export interface BssState extends TimerTarget {
  kind: 'bss';
  cfg: BssConfig;
  key: string;
  /** The BSSID as text, made once (handshake records name it). */
  bssidText: string;
  /**
   * Association RSNEs seen on this BSS, shared by the stations that sent the same octets
   * (nearly all do): one Buffer each instead of one per station. Never mutated.
   */
  assocRsnes: Map<string, Buffer>;
  groupCipher: number;
  pairwiseCiphers: number[];
  akms: number[];
  /** False for a wired port that announced no RSNE: IEEE 802.1X only, no 4-way handshake, no GTK. */
  keyManagement: boolean;
  gtkState: GtkState;
  /** Key ids: GN is the current (newest) GTK, GM the other one. */
  GN: 1 | 2;
  GM: 1 | 2;
  gtk: [Buffer | undefined, Buffer | undefined, Buffer | undefined];
  /** Key id currently used to transmit group-addressed frames. */
  txKeyId: 1 | 2;
  GTKReKey: boolean;
  GKeyDoneStations: number;
  stations: Set<StationState>;
  /** Of them, not yet authorized (phase associated or authenticating). */
  pending: number;
  /** The serving agent is gone (reconnect grace): timers and GTK rekeys wait for it. */
  detached: boolean;
  /** A timer of this BSS came due while detached; it fires on attach. */
  deferred: boolean;
}

/** Per-station state: the PTK and group key machines of one association. */
export interface StationState extends TimerTarget {
  kind: 'sta';
  sta: Buffer;
  key: string;
  bss: BssState;
  assocRsne: Buffer;
  akm: number;
  pairwiseCipher: number;
  descriptorVersion: 2 | 3;
  associatedAt: number;
  phase: StationPhase | undefined;
  /** A timer came due while its BSS was detached; it fires on attach. */
  deferred: boolean;
  /** Holds one of the maxHandshakesInFlight slots / waits in the admission queue. */
  admitted: boolean;
  waitingAdmission: boolean;
  /** EAPOL token bucket (CoreOptions.eapolRate): tokens left, and when they were counted. */
  eapolTokens: number;
  eapolTokensAt: number;

  // WPA_PTK machine (§12.7.10.2)
  ptkState: PtkState;
  Init: boolean;
  AuthenticationRequest: boolean;
  ReAuthenticationRequest: boolean;
  DeauthenticationRequest: boolean;
  Disconnect: boolean;
  disconnectReason: number;
  EAPOLKeyReceived: boolean;
  EAPOLKeyPairwise: boolean;
  EAPOLKeyRequest: boolean;
  MICVerified: boolean;
  TimeoutEvt: boolean;
  TimeoutCtr: number;
  PTKRequest: boolean;
  ANonce: Buffer;
  previousANonces: Buffer[];
  SNonce: Buffer | undefined;
  PMK: Buffer | undefined;
  pmkCandidates: Buffer[];
  PTK: PtkKeys | undefined;
  PTK_valid: boolean;
  replay: ReplayWindow;
  received: ReceivedKey | undefined;
  /** TX status of the first transmission is pending (shortens the first timeout). */
  firstTxRef: number | undefined;
  /** When the last EAPOL-Key frame of the 4-way handshake was sent (admission round trip). */
  keySentAt: number;
  /** Replay counter of the last accepted EAPOL-Key request from the station. */
  lastRequestCounter: bigint;

  // WPA_PTK_GROUP machine (§12.7.10.3)
  groupState: GroupKeyState;
  GUpdateStationKeys: boolean;
  GTimeoutCtr: number;
  /** Key id of the GTK this station has (from msg 3/4 or the last group handshake). */
  gtkKeyId: number;

  // Port control after PTKINITDONE
  installRef: number | undefined;
  portRef: number | undefined;
  portAuthorized: boolean;

  handshake: HandshakeRecord | undefined;

  // Timers as data: the station's heap deadline is the earliest of these.
  /** EAPOL-Key retransmission (PTK and group key machines). */
  keyTimeoutAt: number;
  /** EAP retransmission, failure-disconnect delay. */
  paeTimeoutAt: number;
  /** Session-Timeout: reauthenticate or disconnect. */
  sessionEndAt: number;

  // IEEE 802.1X (§8.2.2 variables), for 802.1X AKMs
  paeState: PaeState;
  backendState: BackendState;
  portEnabled: boolean;
  eapolStart: boolean;
  eapolLogoff: boolean;
  reAuthenticate: boolean;
  eapRestart: boolean;
  reAuthCount: number;
  /** An EAP-Response from the station waits in eapResp. */
  eapolEap: boolean;
  eapResp: Buffer | undefined;
  /** An EAP-Request (ours or the server's) waits in eapReqFrame. */
  eapReq: boolean;
  eapReqFrame: Buffer | undefined;
  lastEapReq: Buffer | undefined;
  /** EAP-Success/Failure from the server, sent as is. */
  eapFinal: Buffer | undefined;
  eapSuccess: boolean;
  eapFail: boolean;
  eapTimeout: boolean;
  authSuccess: boolean;
  authFail: boolean;
  authTimeout: boolean;
  aWhileExpired: boolean;
  /** EAP succeeded and the PMK is available (hostapd's keyRun / keyAvailable). */
  keyRun: boolean;
  reqCount: number;
  eapIdCounter: number;
  identity: string | undefined;
  radiusState: Buffer | undefined;
  radiusRef: number | undefined;
  /** The disconnect after EAP-Failure is pending (at paeTimeoutAt). */
  failurePending: boolean;

  // Authorization from RADIUS (or the PMKSA) and accounting
  sessionTimeoutS: number;
  terminationAction: number;
  vlanId: number;
  classes: Buffer[];
  acctSessionId: string;
  acctMultiSessionId: string;
  acctStartedAt: number | undefined;
  /** PMKID of the PMKSA this handshake uses (802.1X AKMs: sent in msg 1/4). */
  pmkid: Buffer | undefined;
  /** Acct-Terminate-Cause for the accounting stop when the core disconnects the station. */
  terminateCause: number;
  /** The current (or last) 802.1X authentication; handshake records refer to it. */
  auth: AuthRecord | undefined;
}
