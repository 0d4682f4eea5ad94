/**
 * The AgentLink vocabulary (DESIGN.md "Wire protocol"), defined once: what an edge agent
 * reports of its radio, what the authenticator commands it to do, and how an agent
 * announces itself (its BSSes and its station table). The agent's drivers give and take
 * these shapes, the authenticator core's events and effects are built from them, and
 * @airlock/proto maps them to and from the protobuf messages of proto/airlock/v1/
 * agent_link.proto (its link codec); nothing else translates.
 *
 * MAC addresses are 6 octets; EAPOL frames start at the 802.1X header and are byte-exact.
 * These are shapes, not checks: whoever takes one from the outside (the authenticator from
 * an agent, an agent from the authenticator) validates it.
 */

// ---- what an agent reports (AgentMessage) ------------------------------------------

/** A (Re)Association Request was accepted by the radio (StationAssociated). */
export interface AssociatedEvent {
  type: 'associated';
  bssid: Buffer;
  sta: Buffer;
  /** The RSN element of the (Re)Association Request, from the element ID on; empty on a wired port. */
  rsne: Buffer;
  reassociation: boolean;
  /** For a reassociation: the BSSID the station came from, when it named one. */
  previousBssid?: Buffer;
  /** WPA3: the RSN Extension element of the (Re)Association Request, from the element ID on, when it had one. */
  rsnxe?: Buffer;
}

/** The station left, or was removed locally (StationDisassociated). */
export interface DisassociatedEvent {
  type: 'disassociated';
  bssid: Buffer;
  sta: Buffer;
  /** IEEE 802.11 reason code. */
  reason: number;
  /** Deauthentication (true) or Disassociation (false). */
  deauth: boolean;
  /** The AP generated it (e.g. inactivity), not the station. */
  locallyGenerated: boolean;
}

/** An EAPOL frame from a station (EapolReceived). */
export interface EapolEvent {
  type: 'eapol';
  bssid: Buffer;
  sta: Buffer;
  /** From the 802.1X header on, byte-exact as received. */
  frame: Buffer;
}

/**
 * WPA3: an Authentication frame of an algorithm the authenticator runs, SAE (algorithm 3)
 * commit (transaction 1) or confirm (transaction 2), relayed as received
 * (AuthenticationReceived). The agent answers Open System itself.
 */
export interface AuthenticationEvent {
  type: 'authentication';
  bssid: Buffer;
  sta: Buffer;
  /** Authentication Algorithm Number (3 = SAE). */
  algorithm: number;
  /** Authentication Transaction Sequence Number. */
  transaction: number;
  /** Status Code (SAE commit: 0 hunting-and-pecking, 126 hash-to-element). */
  status: number;
  /** The frame body after the Status Code field, byte-exact. */
  body: Buffer;
}

/**
 * The transmit packet number of a group key the agent installed (GroupKeySequence): key ids
 * 1-2 GTK, 4-5 IGTK, 6-7 BIGTK; 48 bits. Reported every group-key interval of the session.
 */
export interface GroupKeySequenceEvent {
  type: 'group-key-sequence';
  bssid: Buffer;
  keyId: number;
  txPn: bigint;
}

/** Periodic traffic counters of a station, for accounting (StationCounters). */
export interface CountersEvent {
  type: 'counters';
  bssid: Buffer;
  sta: Buffer;
  rxBytes: bigint;
  txBytes: bigint;
  rxPackets: bigint;
  txPackets: bigint;
}

/** What the radio saw, in the order it saw it. */
export type LinkEvent = AssociatedEvent | DisassociatedEvent | EapolEvent | CountersEvent | AuthenticationEvent | GroupKeySequenceEvent;

// ---- what the authenticator commands (ControllerMessage) -----------------------------

/** Send this EAPOL frame to the station (TransmitEapol). */
export interface TransmitEapolCommand {
  type: 'transmit-eapol';
  bssid: Buffer;
  sta: Buffer;
  /** From the 802.1X header on. */
  frame: Buffer;
  /** Protect with the installed PTK (PTK and GTK rekeys); otherwise send in the clear. */
  protected: boolean;
}

/** Install the station's temporal key (InstallPairwiseKey); its outcome is answered. */
export interface InstallPairwiseKeyCommand {
  type: 'install-pairwise-key';
  bssid: Buffer;
  sta: Buffer;
  /** Cipher suite selector, OUI and type (00-0F-AC:4, CCMP-128, is 0x000fac04). */
  cipher: number;
  keyId: number;
  /** The TK. */
  key: Buffer;
}

/**
 * Install a group key for the BSS (InstallGroupKey); its outcome is answered. Key IDs 1 and
 * 2 are GTKs; with PMF, 4 and 5 are IGTKs and 6 and 7 BIGTKs (cipher BIP-CMAC-128).
 */
export interface InstallGroupKeyCommand {
  type: 'install-group-key';
  bssid: Buffer;
  /** Cipher suite selector, OUI and type (00-0F-AC:4, CCMP-128, is 0x000fac04). */
  cipher: number;
  /** 1 or 2 (GTK), 4 or 5 (IGTK), 6 or 7 (BIGTK). */
  keyId: number;
  /** The key. */
  key: Buffer;
  /** Make it the default key of its kind (transmit key for group-addressed frames). */
  setTx: boolean;
}

/** Delete the station's temporal key (RemovePairwiseKey). */
export interface RemovePairwiseKeyCommand {
  type: 'remove-pairwise-key';
  bssid: Buffer;
  sta: Buffer;
}

/** Open or close the station's controlled port (SetPortAuthorized); its outcome is answered. */
export interface SetPortCommand {
  type: 'set-port';
  bssid: Buffer;
  sta: Buffer;
  authorized: boolean;
  /** 0 = no VLAN assignment. */
  vlanId: number;
  /** 0 = none. */
  sessionTimeoutS: number;
}

/** WPA3: send this Authentication frame to the station (TransmitAuthentication). */
export interface TransmitAuthenticationCommand {
  type: 'transmit-authentication';
  bssid: Buffer;
  sta: Buffer;
  algorithm: number;
  transaction: number;
  status: number;
  /** The frame body after the Status Code field. */
  body: Buffer;
}

/** Deauthenticate or disassociate the station (Disconnect). With PMF the agent sends it protected. */
export interface DisconnectCommand {
  type: 'disconnect';
  bssid: Buffer;
  sta: Buffer;
  /** IEEE 802.11 reason code. */
  reason: number;
  deauth: boolean;
}

/** What the authenticator tells an agent to do, applied in order. */
export type LinkCommand =
  | TransmitEapolCommand
  | InstallPairwiseKeyCommand
  | InstallGroupKeyCommand
  | RemovePairwiseKeyCommand
  | SetPortCommand
  | DisconnectCommand
  | TransmitAuthenticationCommand;

// ---- how an agent announces itself (Hello) -------------------------------------------

/** A BSS (or wired 802.1X port) an agent serves (BssInfo). */
export interface BssAnnouncement {
  /** The BSSID stations associate to: the Authenticator Address of the 4-way handshake. */
  bssid: Buffer;
  /** SSID octets (0..32). */
  ssid: Buffer;
  /** The RSN element exactly as advertised in Beacons and Probe Responses, from the element ID on. */
  rsne: Buffer;
  /** A wired port: no association frames; the AA is the PAE group address by default. */
  wired: boolean;
  /** MAC of the radio or interface serving it (to diagnose an agent whose BSS table is wrong). */
  interfaceMac?: Buffer;
  /** WPA3: the RSN Extension element as advertised, from the element ID on, when it has one. */
  rsnxe?: Buffer;
  /** WPA3: the agent protects Beacons when it is given a BIGTK (its driver can). */
  beaconProtection?: boolean;
}

/** A station in an agent's table, with what the agent has installed for it (StationEntry). */
export interface StationEntry {
  bssid: Buffer;
  sta: Buffer;
  /** The RSNE of its (Re)Association Request. */
  rsne: Buffer;
  portAuthorized: boolean;
  pairwiseKeyInstalled: boolean;
  vlanId: number;
  /** WPA3: the RSNXE of its (Re)Association Request, when it had one. */
  rsnxe?: Buffer;
}

/** The first message of a stream (Hello): who the agent is, what it serves, whom it has. */
export interface AgentHello {
  /** Stable identity of the agent (with mTLS, it must match the certificate). */
  agentId: string;
  softwareVersion: string;
  bsses: BssAnnouncement[];
  /** Stations associated now (used to reconcile after a reconnect). */
  stations: StationEntry[];
  /** The agent answers a transmit that asks for it with TX status. */
  reportsTxStatus: boolean;
}
