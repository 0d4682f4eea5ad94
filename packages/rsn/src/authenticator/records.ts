/**
 * The records of the authenticator core, sized by how long they live (as hostapd splits
 * wpa_state_machine from eapol_state_machine): a BSS; a small Association kept while a
 * station is associated, idle or not; and two transient records made when needed and
 * dropped (their keys wiped) when done: the Handshake of one 4-way handshake, and the
 * EapConversation of one IEEE 802.1X authentication. Field names follow the state machine
 * variables of IEEE 802.11-2020 §12.7.10 and IEEE 802.1X-2004 §8.2.
 */
import type { PtkKeys } from '../crypto/index.js';

/** A station's PTK, over octets of its own (station-keys.ts). */
export type StationPtk = PtkKeys & { readonly octets: Buffer };
import { keyDescriptorVersionFor } from '../crypto/index.js';
import { AKM, isPskAkm } from '../suites.js';
import type { ReplayWindow } from './replay-window.js';
import type { TimerTarget } from './deadline-queue.js';
import { Reason } from './reason-codes.js';
import { AcctTerminateCause, type BssConfig, type HandshakeResult, type MicDiagnosis, type StationPhase } from './types.js';

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
  /**
   * 'sae': not a 4-way handshake but an SAE exchange that failed before any association
   * (a wrong password, an unknown password identifier, a refusal): explain shows it so.
   * 'psk-lookup': a PSK from RADIUS that was refused or not answered, before any handshake.
   */
  stage?: 'sae' | 'psk-lookup';
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
  /**
   * PMF (802.11w) of the BSS from its RSNE: 0 off, 1 capable (MFPC), 2 required (MFPR).
   * With PMF the BSS has an IGTK per GTK generation (key ids 4 and 5, in step with GTKs 1
   * and 2: igtk[GN] has key id GN + 3), and with beacon protection a BIGTK too (key id GN + 5).
   */
  pmf: 0 | 1 | 2;
  igtk: [Buffer | undefined, Buffer | undefined, Buffer | undefined];
  /** Beacon protection (the agent offers it and PMF is on): BIGTKs as IGTKs. */
  beaconProtection: boolean;
  bigtk: [Buffer | undefined, Buffer | undefined, Buffer | undefined];
  /**
   * Transmit packet number of each group key by key id (1-2 GTK, 4-5 IGTK, 6-7 BIGTK) as the
   * agent last reported it (GroupKeySequence); 0 for a key just made. Msg 3/4 gives these
   * to a joining station (GTK RSC, IPN, BIPN).
   */
  txPn: bigint[];
  /** Per key id: the ref of a new key's install not yet confirmed; reports for it wait (they may still be the old key's). */
  txPnRef: (number | undefined)[];
  /** Key id currently used to transmit group-addressed frames. */
  txKeyId: 1 | 2;
  GTKReKey: boolean;
  GKeyDoneStations: number;
  stations: Set<Association>;
  /** Of them, not yet authorized (phase associated or authenticating). */
  pending: number;
  /** The serving agent is gone (reconnect grace): timers and GTK rekeys wait for it. */
  detached: boolean;
  /**
   * Its timers wait (as while detached), its events still run: the authenticator cannot
   * vouch right now that it still serves this BSS (a shared-store lease not yet renewed).
   */
  held: boolean;
  /** Its GTK rekey came due while detached or held; it runs on attach or release (resumeBss). */
  deferred: boolean;
  /** Reconnect grace: when the detached BSS is given up (Infinity while attached). */
  graceEndsAt: number;
  /** When its GTK rekey is due (Infinity: none); its deadline is the earlier of the two. */
  rekeyAt: number;
}

/**
 * One-shot inputs of the machines (IEEE 802.11-2020 §12.7.10 and IEEE 802.1X-2004 §8.2
 * variables that an event sets and a transition consumes), as bits of Association.sig.
 */
export const Sig = {
  // WPA_PTK
  Init: 1 << 0,
  AuthenticationRequest: 1 << 1,
  ReAuthenticationRequest: 1 << 2,
  DeauthenticationRequest: 1 << 3,
  Disconnect: 1 << 4,
  PTKRequest: 1 << 5,
  TimeoutEvt: 1 << 6,
  EAPOLKeyReceived: 1 << 7,
  EAPOLKeyPairwise: 1 << 8,
  MICVerified: 1 << 9,
  // Authenticator PAE
  eapolStart: 1 << 10,
  eapolLogoff: 1 << 11,
  reAuthenticate: 1 << 12,
  eapRestart: 1 << 13,
  /** EAP succeeded (or a PMKSA was found) and the PMK is available: hostapd's keyRun. */
  keyRun: 1 << 14,
  /** The disconnect after EAP-Failure is pending (at paeTimeoutAt). */
  failurePending: 1 << 15,
} as const;

/** What an IEEE 802.1X authentication granted (an Access-Accept, or the PMKSA it left). */
export interface Grant {
  identity: string;
  /** Class attributes, echoed in accounting. */
  classes: Buffer[];
  vlanId: number;
  sessionTimeoutS: number;
  terminationAction: number;
  acctMultiSessionId: string;
}

/**
 * A station's grant, kept with the association for accounting, reauthentication and the
 * PMKSA. PSK stations have none.
 */
export interface Authorization extends Grant {
  /** PMKID of the PMKSA (msg 1/4 carries it). */
  pmkid: Buffer | undefined;
  /** The authentication, as `explain` shows it. */
  record: AuthRecord;
}

/** Bits of Association.flags (booleans of an association, one number for all). */
const F = {
  deferred: 1 << 0,
  admitted: 1 << 1,
  waitingAdmission: 1 << 2,
  PTK_valid: 1 << 3,
  GUpdateStationKeys: 1 << 4,
  portAuthorized: 1 << 5,
  mfp: 1 << 6,
} as const;

/** A station's pending deadlines; made while one is set, dropped when none is. */
export interface StationTimers extends TimerTarget {
  kind: 'sta';
  st: Association;
  /** EAPOL-Key retransmission (PTK and group key machines). */
  keyTimeoutAt: number;
  /** EAP retransmission, failure-disconnect delay, quietWhile. */
  paeTimeoutAt: number;
  /** Session-Timeout: reauthenticate or disconnect. */
  sessionEndAt: number;
  /** Next accounting Interim-Update. */
  interimAt: number;
}

/**
 * A station's association: what stays while it is associated, idle for hours or in the
 * middle of a handshake. Transient state lives in `hs` and `eap`, present only while a
 * 4-way handshake or an EAP conversation runs, and the timers in `timers` while one is set.
 * An idle station is this object, its MAC, PMK and PTK (station-keys.ts), its last handshake
 * record and a few strings: the booleans share one number (`flags`, read through accessors).
 */
export class Association {
  /** Bits of Sig. */
  sig = 0;
  /** Bits of F. */
  private flags = 0;
  phase: StationPhase | undefined = undefined;
  /** EAPOL token bucket (CoreOptions.eapolRate): thousandths of a token left, and when (integer ms) they were counted. */
  eapolCredit: number;
  eapolCreditAt: number;

  // WPA_PTK machine (§12.7.10.2): the part that outlives a handshake
  ptkState: PtkState = 'INITIALIZE';
  disconnectReason: number = Reason.UNSPECIFIED;
  PMK: Buffer | undefined = undefined;
  PTK: StationPtk | undefined = undefined;
  replay: ReplayWindow;
  /** Replay counter of the last accepted EAPOL-Key request from the station (-1: none). */
  lastRequestCounter = -1;
  /** The running 4-way handshake. */
  hs: Handshake | undefined = undefined;
  /**
   * The ANonce of the last finished handshake, as a latin1 string (half the memory of a
   * Buffer): a late answer to it during a PTK rekey is diagnosed as a stale ANonce.
   */
  lastANonce: string | undefined = undefined;

  // WPA_PTK_GROUP machine (§12.7.10.3)
  groupState: GroupKeyState = 'IDLE';
  GTimeoutCtr = 0;
  /** Key id of the GTK this station has (from msg 3/4 or the last group handshake). */
  gtkKeyId = 0;

  // Port control after PTKINITDONE
  installRef: number | undefined = undefined;
  /** The PSK lookup (PSK from RADIUS) waiting for its answer. */
  pskRef: number | undefined = undefined;
  portRef: number | undefined = undefined;

  /** The current or last handshake, as `explain` shows it. */
  record: HandshakeRecord | undefined = undefined;
  /** The station's deadlines, while one is set. */
  timers: StationTimers | undefined = undefined;

  // IEEE 802.1X (802.1X AKMs and ports without key management)
  paeState: PaeState = 'INITIALIZE';
  /** The running EAP conversation. */
  eap: EapConversation | undefined = undefined;
  authz: Authorization | undefined = undefined;

  /** The RSNXE of the (Re)Association Request (WPA3), which msg 2/4 must repeat. */
  assocRsnxe: Buffer | undefined = undefined;

  // Accounting
  acctStartedAt: number | undefined = undefined;
  /** Acct-Terminate-Cause for the accounting stop when the core disconnects the station. */
  terminateCause: number = AcctTerminateCause.NasRequest;

  constructor(
    readonly sta: Buffer,
    readonly key: string,
    readonly bss: BssState,
    readonly assocRsne: Buffer,
    readonly akm: number,
    readonly pairwiseCipher: number,
    readonly associatedAt: number,
    /** Identifier of the last EAP-Request sent (RFC 3748 §4.1: the next one differs). */
    public lastEapId: number,
    readonly acctSessionId: string,
    eapolBurst: number,
    replay: ReplayWindow,
  ) {
    this.eapolCredit = eapolBurst * 1000;
    this.eapolCreditAt = Math.floor(associatedAt);
    this.replay = replay;
  }

  get kind(): 'sta' {
    return 'sta';
  }

  /** EAPOL-Key Key Descriptor Version: 0 for SAE (AKM-defined: AES-128-CMAC), 2 or 3 by AKM. */
  get descriptorVersion(): 0 | 2 | 3 {
    // Associations exist only for supported AKMs (association admission checked it).
    return keyDescriptorVersionFor(this.akm) ?? 2;
  }

  /** A timer came due while its BSS was detached; it fires on attach. */
  get deferred(): boolean {
    return (this.flags & F.deferred) !== 0;
  }
  set deferred(v: boolean) {
    this.flags = v ? this.flags | F.deferred : this.flags & ~F.deferred;
  }
  /** Holds one of the handshake slots (handshake-admission.ts). */
  get admitted(): boolean {
    return (this.flags & F.admitted) !== 0;
  }
  set admitted(v: boolean) {
    this.flags = v ? this.flags | F.admitted : this.flags & ~F.admitted;
  }
  /** Waits in the admission queue. */
  get waitingAdmission(): boolean {
    return (this.flags & F.waitingAdmission) !== 0;
  }
  set waitingAdmission(v: boolean) {
    this.flags = v ? this.flags | F.waitingAdmission : this.flags & ~F.waitingAdmission;
  }
  get PTK_valid(): boolean {
    return (this.flags & F.PTK_valid) !== 0;
  }
  set PTK_valid(v: boolean) {
    this.flags = v ? this.flags | F.PTK_valid : this.flags & ~F.PTK_valid;
  }
  get GUpdateStationKeys(): boolean {
    return (this.flags & F.GUpdateStationKeys) !== 0;
  }
  set GUpdateStationKeys(v: boolean) {
    this.flags = v ? this.flags | F.GUpdateStationKeys : this.flags & ~F.GUpdateStationKeys;
  }
  get portAuthorized(): boolean {
    return (this.flags & F.portAuthorized) !== 0;
  }
  set portAuthorized(v: boolean) {
    this.flags = v ? this.flags | F.portAuthorized : this.flags & ~F.portAuthorized;
  }

  /** PMF negotiated: the station and the BSS both set MFPC (msg 3/4 and group msg 1/2 carry the IGTK). */
  get mfp(): boolean {
    return (this.flags & F.mfp) !== 0;
  }
  set mfp(v: boolean) {
    this.flags = v ? this.flags | F.mfp : this.flags & ~F.mfp;
  }

  /** A timer's deadline (Infinity: not set). */
  timer(which: 'keyTimeoutAt' | 'paeTimeoutAt' | 'sessionEndAt' | 'interimAt'): number {
    return this.timers?.[which] ?? Infinity;
  }
}

/** One 4-way handshake: made at AUTHENTICATION2, dropped (keys wiped) when it ends. */
export interface Handshake {
  ANonce: Buffer;
  /** ANonces of earlier handshakes of this association (MIC-failure diagnosis: stale ANonce). */
  previousANonces: Buffer[];
  SNonce: Buffer | undefined;
  /** The PMKs to try against msg 2/4 (PSKs, or the 802.1X PMK): the station's own copies. */
  pmkCandidates: Buffer[];
  TimeoutCtr: number;
  /** TX status of the first transmission is pending (shortens the first timeout). */
  firstTxRef: number | undefined;
  /** When the last EAPOL-Key frame was sent (admission round trip). */
  keySentAt: number;
}

/** One IEEE 802.1X authentication in progress (Backend Authentication state machine). */
export interface EapConversation {
  backendState: BackendState;
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
  reqCount: number;
  identity: string | undefined;
  radiusState: Buffer | undefined;
  radiusRef: number | undefined;
  /** The PMK of an Access-Accept (the first 32 octets of the MSK), until AUTHENTICATED. */
  pmk: Buffer | undefined;
  /** What the Access-Accept granted, until AUTHENTICATED makes it the association's. */
  granted: Grant | undefined;
  /** The authentication, as `explain` shows it. */
  record: AuthRecord;
}

/** The AKM authenticates through IEEE 802.1X (EAP): every AKM but PSK and SAE (a wired port without key management too). */
export function usesIeee8021x(akm: number): boolean {
  return akm !== AKM.SAE && !isPskAkm(akm);
}
