/**
 * Inputs and outputs of the authenticator core (sans-I/O): events in, effects out, plus
 * the next deadline. Names follow IEEE 802.11-2020 §12.7 and hostapd's wpa_auth.c.
 */
import type {
  AssociatedEvent,
  AuthenticationEvent,
  BssAnnouncement,
  DisassociatedEvent,
  DisconnectCommand,
  EapolEvent,
  GroupKeySequenceEvent,
  InstallGroupKeyCommand,
  InstallPairwiseKeyCommand,
  RemovePairwiseKeyCommand,
  SetPortCommand,
  StationEntry,
  TransmitAuthenticationCommand,
  TransmitEapolCommand,
} from '@airlock/link';
import type { AuthRecord, HandshakeRecord } from './records.js';
import type { SaeOutcome, SaePolicy } from './sae-responder.js';

/** Key-exchange timing (dot11RSNAConfig* and hostapd's EAPOL-Key timeouts), in ms. */
export interface CoreTiming {
  /** dot11RSNAConfigPairwiseUpdateCount: transmissions of msg 1/4 and of msg 3/4. */
  pairwiseUpdateCount: number;
  /** dot11RSNAConfigGroupUpdateCount: transmissions of group msg 1/2. */
  groupUpdateCount: number;
  /** First EAPOL-Key timeout when the agent reports TX status (counted from the TX status). */
  firstTimeoutMs: number;
  /** First EAPOL-Key timeout when the agent does not report TX status. */
  firstTimeoutNoTxStatusMs: number;
  /** Later EAPOL-Key timeouts. */
  subsequentTimeoutMs: number;
  /** First group msg 1/2 timeout. */
  groupTimeoutMs: number;
  /** EAP-Request retransmission timeout towards the station (IEEE 802.1X / RFC 4137 RetransWhile). */
  eapRetransmitMs: number;
  /** EAP-Request transmissions before the authentication is abandoned. */
  eapMaxTransmissions: number;
  /** 802.1X quietPeriod after a failed authentication. */
  quietPeriodMs: number;
  /** Delay between EAP-Failure and the disconnect (so the station receives the Failure). */
  failureDisconnectMs: number;
  /** PMKSA lifetime (dot11RSNAConfigPMKLifetime). */
  pmksaLifetimeMs: number;
}

/** hostapd's defaults: 4 tries, 100 ms / 1000 ms, 500 ms for the group key. */
export const DEFAULT_TIMING: CoreTiming = {
  pairwiseUpdateCount: 4,
  groupUpdateCount: 4,
  firstTimeoutMs: 100,
  firstTimeoutNoTxStatusMs: 1000,
  subsequentTimeoutMs: 1000,
  groupTimeoutMs: 500,
  eapRetransmitMs: 3000,
  eapMaxTransmissions: 4,
  quietPeriodMs: 60000,
  failureDisconnectMs: 100,
  pmksaLifetimeMs: 43200000,
};

/** Security policy of a network (an SSID), shared by every BSS that serves it. */
export interface NetworkPolicy {
  /** SSID octets. */
  ssid: Buffer;
  /** Allowed AKM selectors (AKM.PSK, ...). */
  akms: number[];
  /** Shared passphrases (or 64-hex PSKs), tried in order. */
  passphrases: string[];
  /** Per-station passphrases, keyed by macKey(sta); tried before the shared ones. */
  stationPassphrases: Map<string, string[]>;
  /** GTK rekey interval in ms; 0 = never. */
  groupRekeyMs: number;
  /** Rekey the GTK when an authorized station leaves. */
  rekeyGtkOnLeave: boolean;
  /** WPA3-Personal (AKM 8): how SAE runs on the network's BSSes; absent, SAE is refused. */
  sae?: SaePolicy;
  /**
   * Where a PSK station's PSK comes from: 'config' (passphrases, station passphrases) or
   * 'radius' (hostapd's wpa_psk_radius=2, Cisco's iPSK): at association a MAC-authentication
   * Access-Request, whose Accept's Tunnel-Password is the station's passphrase; no answer or a
   * Reject refuses it. Default 'config'.
   */
  pskSource?: 'config' | 'radius';
}

/** A BSS (or wired port) as announced by an agent (@airlock/link) and accepted by policy. */
export interface BssConfig extends Pick<BssAnnouncement, 'bssid' | 'rsne' | 'wired' | 'interfaceMac' | 'rsnxe' | 'beaconProtection'> {
  /** The agent serving it. */
  agentId: string;
  /** The agent reports TX status for TransmitEapol. */
  reportsTxStatus: boolean;
  /** The network this BSS serves. */
  network: NetworkPolicy;
}

/** One station of an agent's Hello (its table after a reconnect), as one BSS's reconcile takes it. */
export type StationEntryView = Pick<StationEntry, 'sta' | 'rsne' | 'portAuthorized' | 'pairwiseKeyInstalled' | 'rsnxe'>;

/**
 * Events fed to the core, in the order the agent saw them: the agent's station events
 * (@airlock/link; its counters go to accounting, not here), the outcomes of commands that
 * carried a `ref`, and RADIUS answers.
 */
export type CoreEvent =
  | AssociatedEvent
  | DisassociatedEvent
  | EapolEvent
  | AuthenticationEvent
  | GroupKeySequenceEvent
  | { type: 'tx-status'; ref: number; acked: boolean }
  | { type: 'command-result'; ref: number; ok: boolean; error?: string }
  | ({ type: 'radius-response'; ref: number } & RadiusOutcome);

/** What the RADIUS server answered (decoded and verified by the glue). */
export interface RadiusOutcome {
  outcome: 'challenge' | 'accept' | 'reject' | 'timeout';
  /** The EAP-Message attributes joined. */
  eap?: Buffer;
  /** State, echoed in the next Access-Request. */
  state?: Buffer;
  /**
   * MSK = MS-MPPE-Recv-Key || MS-MPPE-Send-Key (RFC 2548, decrypted with that request's
   * authenticator). The core copies the PMK out of it; the caller still owns (and wipes) it.
   */
  msk?: Buffer;
  sessionTimeoutS?: number;
  /** Termination-Action (RFC 2865 §5.29): 1 = RADIUS-Request (reauthenticate at Session-Timeout). */
  terminationAction?: number;
  /** VLAN from Tunnel-Private-Group-ID (RFC 3580 §3.31). */
  vlanId?: number;
  /** Class attributes, echoed in accounting. */
  classes?: Buffer[];
  /** User-Name of the Access-Accept, when the server sets one. */
  userName?: string;
  /** The RADIUS server that answered, and the round trip (explain: RTT per round); absent on a timeout. */
  server?: string;
  rttMs?: number;
  /**
   * A PSK lookup's Accept (psk-request): the station's PSK (32 octets, from the
   * Tunnel-Password; PBKDF2 done by the glue). The core copies it; the caller wipes it. An
   * Accept without one is a refusal (`detail` says why).
   */
  psk?: Buffer;
  /** Why an answer is not what it seems (an Accept without a usable Tunnel-Password). */
  detail?: string;
}

/** RFC 2866 Acct-Terminate-Cause values used by the core. */
export const AcctTerminateCause = { UserRequest: 1, LostCarrier: 2, LostService: 3, SessionTimeout: 5, AdminReset: 6, NasError: 9, NasRequest: 10, Reauthentication: 12 } as const;

/** Outcome of one 4-way handshake (airlock_handshakes_total{result}). */
export type HandshakeResult = 'success' | 'mic_failure' | 'timeout' | 'rejected' | 'aborted';

/** Coarse station phase (airlock_stations{state}). */
export type StationPhase = 'associated' | 'authenticating' | 'authorized';

/**
 * A command for the agent serving the BSS (@airlock/link), with the core's reference when
 * it must hear the outcome: TX status of a transmit (when the agent reports it), the result
 * of a key install or a port change.
 */
export type AgentCommandEffect =
  | (TransmitEapolCommand & { ref?: number })
  | (InstallPairwiseKeyCommand & { ref: number })
  | (InstallGroupKeyCommand & { ref: number })
  | RemovePairwiseKeyCommand
  | (SetPortCommand & { ref?: number })
  | DisconnectCommand
  | TransmitAuthenticationCommand;

/**
 * Effects: what the glue must do, in order. The key buffers of the install commands (`key`:
 * the TK, the GTK) are copies the glue owns: it wipes them once the command has been handed on.
 */
export type Effect =
  | AgentCommandEffect
  | {
      type: 'radius-request';
      ref: number;
      bssid: Buffer;
      sta: Buffer;
      agentId: string;
      ssid: Buffer;
      identity: string;
      /** The station's EAP-Response, to go in EAP-Message attributes. */
      eap: Buffer;
      /** State from the last Access-Challenge. */
      state: Buffer | undefined;
      akm: number;
      pairwiseCipher: number;
      groupCipher: number;
      acctSessionId: string;
    }
  | {
      /**
       * A PSK network with pskSource 'radius': the station's PSK from a MAC-authentication
       * Access-Request; the answer comes back as a radius-response with this ref.
       */
      type: 'psk-request';
      ref: number;
      bssid: Buffer;
      sta: Buffer;
      agentId: string;
      ssid: Buffer;
      akm: number;
      pairwiseCipher: number;
      groupCipher: number;
      acctSessionId: string;
    }
  | {
      type: 'accounting';
      kind: 'start' | 'interim' | 'stop';
      bssid: Buffer;
      sta: Buffer;
      agentId: string;
      ssid: Buffer;
      identity: string;
      classes: Buffer[];
      acctSessionId: string;
      acctMultiSessionId: string;
      akm: number;
      pairwiseCipher: number;
      groupCipher: number;
      /** Seconds since the session started (interim, stop). */
      sessionTimeS: number;
      terminateCause: number;
      /** Acct-Authentic (RFC 2866 §5.6): RADIUS (IEEE 802.1X, a PSK from RADIUS) or Local (a PSK or SAE password of the configuration). */
      authentic: 'radius' | 'local';
    }
  | { type: 'report'; report: Report };

/** Observations for metrics and logs; they change nothing. */
export type Report =
  | { kind: 'handshake'; bssid: Buffer; sta: Buffer; result: HandshakeResult; akm: number; detail: string }
  | { kind: 'joined'; bssid: Buffer; sta: Buffer; akm: number; joinMs: number; agentId: string; vlanId: number; auth: Readonly<AuthRecord> | undefined }
  | { kind: 'frame-dropped'; bssid: Buffer; sta: Buffer; reason: string; detail: string }
  | { kind: 'station-phase'; bssid: Buffer; sta: Buffer; from: StationPhase | undefined; to: StationPhase | undefined }
  | { kind: 'mic-failure-diagnosis'; bssid: Buffer; sta: Buffer; diagnosis: MicDiagnosis }
  | { kind: 'group-rekey'; bssid: Buffer; keyId: number; phase: 'started' | 'completed'; stations: number }
  | { kind: 'command-failed'; bssid: Buffer; sta: Buffer | undefined; command: string; error: string }
  | { kind: 'duplicate-association'; bssid: Buffer; sta: Buffer }
  | { kind: 'eap'; bssid: Buffer; sta: Buffer; result: 'accept' | 'reject' | 'timeout'; detail: string; agentId: string; auth: Readonly<AuthRecord> | undefined }
  /** An SAE exchange ended (or was refused); a wrong password shows here, at the Confirm. */
  | { kind: 'sae'; bssid: Buffer; sta: Buffer; result: SaeOutcome; detail: string }
  /**
   * A station's association ended (it left, was disconnected, roamed away, or its BSS went).
   * `reason` is the IEEE 802.11 reason code (0 when no frame carried one: the BSS or agent
   * went, a roam); `initiator` who ended it; `detail` in words, with a failed handshake's cause.
   */
  | { kind: 'station-left'; bssid: Buffer; sta: Buffer; agentId: string; akm: number; reason: number; initiator: 'station' | 'agent' | 'authenticator'; detail: string; wasAuthorized: boolean; handshake: Readonly<HandshakeRecord> | undefined }
  | { kind: 'pmksa'; bssid: Buffer; sta: Buffer; event: 'cached' | 'used' | 'expired' }
  /** The agent did not return within its reconnect grace period: its BSSes (and their stations) are gone. */
  | { kind: 'agent-expired'; agentId: string; bssids: Buffer[] };

/** Named causes of an invalid msg 2/4 MIC. */
export type MicFailureCause =
  | 'psk-mismatch'
  | 'pmk-mismatch'
  | 'aa-mismatch'
  | 'stale-anonce'
  | 'ssid-mismatch'
  | 'other-station-psk'
  | 'unknown';

/** What the MIC-failure diagnosis found, in words, with no key material. */
export interface MicDiagnosis {
  cause: MicFailureCause;
  /** One sentence an operator can act on. */
  text: string;
  /** The AA the station used, when it differs from the BSSID. */
  aaUsed?: string;
  /** The BSSID the agent announced. */
  aaAnnounced: string;
  /** Fingerprints (first 8 hex digits of SHA-256), never the values. */
  anonceFp: string;
  snonceFp: string;
}

/** A state transition of one of the machines (debug logging). */
export interface Transition {
  machine: 'PTK' | 'PTK_GROUP' | 'GROUP' | 'AUTH_PAE' | 'BACKEND';
  bssid: Buffer;
  sta?: Buffer;
  from: string;
  to: string;
}
