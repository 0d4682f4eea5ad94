/**
 * RADIUS numbers: packet codes (RFC 2865 §4, RFC 2866 §4, RFC 5997, RFC 5176),
 * attribute types (RFC 2865 §5, RFC 2866 §5, RFC 2868 §3, RFC 2869 §5, RFC 3579 §3,
 * RFC 7268 §2), Microsoft vendor attributes (RFC 2548 §2.4) and the few attribute values
 * an 802.1X authenticator sends or reads (RFC 3580 §3).
 */

/** Packet Code values. */
export const RadiusCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;

/** Attribute Type values used by an 802.1X authenticator. */
export const Attr = {
  UserName: 1,
  UserPassword: 2,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedMtu: 12,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  IdleTimeout: 28,
  TerminationAction: 29,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctAuthentic: 45,
  AcctSessionTime: 46,
  AcctInputPackets: 47,
  AcctOutputPackets: 48,
  AcctTerminateCause: 49,
  AcctMultiSessionId: 50,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  EventTimestamp: 55,
  NasPortType: 61,
  TunnelType: 64,
  TunnelMediumType: 65,
  TunnelPassword: 69,
  ConnectInfo: 77,
  EapMessage: 79,
  MessageAuthenticator: 80,
  TunnelPrivateGroupId: 81,
  AcctInterimInterval: 85,
  NasPortId: 87,
  // RFC 7268 §2.5, §2.9, §2.13-§2.18
  MobilityDomainId: 177,
  WlanHessid: 181,
  WlanReasonCode: 185,
  WlanPairwiseCipher: 186,
  WlanGroupCipher: 187,
  WlanAkmSuite: 188,
  WlanGroupMgmtCipher: 189,
  WlanRfBand: 190,
} as const;

/** SMI Network Management Private Enterprise Code of Microsoft (RFC 2548 §2). */
export const VENDOR_MICROSOFT = 311;

/**
 * Microsoft vendor-type values (RFC 2548 §2.4.2, §2.4.3). `MsMppeSendKey`/`MsMppeRecvKey`
 * are aliases of the same numbers, under the dictionary names (MS-MPPE-Send-Key).
 */
export const MsAttr = { MppeSendKey: 16, MppeRecvKey: 17, MsMppeSendKey: 16, MsMppeRecvKey: 17 } as const;

/** Octets of the RADIUS header: Code, Identifier, Length, Authenticator (RFC 2865 §3). */
export const RADIUS_HEADER_LENGTH = 20;

/** Smallest and largest Length of a RADIUS packet (RFC 2865 §3). */
export const RADIUS_MIN_LENGTH = 20;
/** Largest Length of a RADIUS packet (RFC 2865 §3). */
export const RADIUS_MAX_LENGTH = 4096;

/** Octets of the Authenticator field and of a Message-Authenticator value. */
export const AUTHENTICATOR_LENGTH = 16;

/** Longest attribute value: the one-octet attribute Length minus Type and Length (RFC 2865 §5). */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 253;

/** Tunnel-Type values (RFC 2868 §3.1; VLAN from RFC 3580 §3.31). */
export const TunnelType = { Vlan: 13 } as const;

/** Tunnel-Medium-Type values (RFC 2868 §3.2). */
export const TunnelMediumType = { Ipv4: 1, Ipv6: 2, Ieee802: 6 } as const;

/** Service-Type values (RFC 2865 §5.6). */
export const ServiceType = { Login: 1, Framed: 2 } as const;

/** NAS-Port-Type values (RFC 2865 §5.41; Wireless-802.11 and Ethernet from RFC 3580 §3.19). */
export const NasPortType = { Ethernet: 15, Wireless80211: 19 } as const;

/** Termination-Action values (RFC 2865 §5.29). */
export const TerminationAction = { Default: 0, RadiusRequest: 1 } as const;

/** Acct-Status-Type values (RFC 2866 §5.1). */
export const AcctStatusType = { Start: 1, Stop: 2, InterimUpdate: 3, AccountingOn: 7, AccountingOff: 8 } as const;

/** Acct-Authentic values (RFC 2866 §5.6). */
export const AcctAuthentic = { Radius: 1, Local: 2, Remote: 3 } as const;
