/**
 * The numbers of the nl80211 generic netlink family (Linux include/uapi/linux/nl80211.h)
 * and of the generic netlink controller (genetlink.h) that the nl80211 driver uses. Only
 * what the agent sends or reads is listed.
 */

/** Generic netlink controller (family id 16). */
export const GENL_CTRL = {
  ID: 16,
  CMD_GETFAMILY: 3,
  ATTR_FAMILY_ID: 1,
  ATTR_FAMILY_NAME: 2,
  ATTR_MCAST_GROUPS: 7,
  ATTR_MCAST_GRP_NAME: 1,
  ATTR_MCAST_GRP_ID: 2,
} as const;

/** nl80211 commands. */
export const CMD = {
  GET_WIPHY: 1,
  GET_INTERFACE: 5,
  SET_INTERFACE: 6,
  NEW_INTERFACE: 7,
  DEL_INTERFACE: 8,
  /** Reads a key's sequence counter (a group key's transmit packet number). */
  GET_KEY: 9,
  SET_KEY: 10,
  NEW_KEY: 11,
  DEL_KEY: 12,
  START_AP: 15,
  STOP_AP: 16,
  GET_STATION: 17,
  SET_STATION: 18,
  NEW_STATION: 19,
  DEL_STATION: 20,
  SET_BSS: 25,
  REGISTER_FRAME: 58,
  FRAME: 59,
  FRAME_TX_STATUS: 60,
  NOTIFY_CQM: 64,
  /** mac80211 dropped an unprotected Deauthentication / Disassociation from an MFP station (a notification). */
  UNPROT_DEAUTHENTICATE: 70,
  UNPROT_DISASSOCIATE: 71,
  UNEXPECTED_FRAME: 83,
  PROBE_CLIENT: 84,
  CONTROL_PORT_FRAME: 129,
  CONTROL_PORT_FRAME_TX_STATUS: 139,
} as const;

/** nl80211 attributes. */
export const ATTR = {
  WIPHY: 1,
  IFINDEX: 3,
  IFNAME: 4,
  IFTYPE: 5,
  MAC: 6,
  BEACON_INTERVAL: 12,
  DTIM_PERIOD: 13,
  BEACON_HEAD: 14,
  BEACON_TAIL: 15,
  STA_AID: 16,
  STA_LISTEN_INTERVAL: 18,
  STA_SUPPORTED_RATES: 19,
  STA_VLAN: 20,
  STA_INFO: 21,
  WIPHY_BANDS: 22,
  BSS_SHORT_PREAMBLE: 29,
  BSS_SHORT_SLOT_TIME: 30,
  WIPHY_FREQ: 38,
  IE: 42,
  FRAME: 51,
  SSID: 52,
  AUTH_TYPE: 53,
  REASON_CODE: 54,
  STA_FLAGS2: 67,
  CONTROL_PORT: 68,
  PRIVACY: 70,
  CIPHER_SUITES_PAIRWISE: 73,
  CIPHER_SUITE_GROUP: 74,
  WPA_VERSIONS: 75,
  AKM_SUITES: 76,
  KEY: 80,
  /** Top-level key index and sequence (GET_KEY's request and reply). */
  KEY_IDX: 8,
  KEY_SEQ: 10,
  COOKIE: 88,
  FRAME_MATCH: 91,
  ACK: 92,
  CQM: 94,
  FRAME_TYPE: 101,
  CONTROL_PORT_ETHERTYPE: 102,
  CONTROL_PORT_NO_ENCRYPT: 103,
  OFFCHANNEL_TX_OK: 108,
  HIDDEN_SSID: 126,
  IE_PROBE_RESP: 127,
  IE_ASSOC_RESP: 128,
  DONT_WAIT_FOR_ACK: 142,
  FEATURE_FLAGS: 143,
  CHANNEL_WIDTH: 159,
  STA_CAPABILITY: 171,
  SOCKET_OWNER: 204,
  EXT_FEATURES: 217,
  SPLIT_WIPHY_DUMP: 174,
  CONTROL_PORT_OVER_NL80211: 264,
  SAE_PWE: 298,
} as const;

/** Attributes nested in ATTR.KEY. */
export const KEY_ATTR = {
  DATA: 1,
  IDX: 2,
  CIPHER: 3,
  SEQ: 4,
  DEFAULT: 5,
  DEFAULT_MGMT: 6,
  TYPE: 7,
  DEFAULT_TYPES: 8,
  MODE: 9,
  /** The key (6 or 7) protects Beacons (NL80211_KEY_DEFAULT_BEACON). */
  DEFAULT_BEACON: 10,
} as const;

/** Attributes nested in KEY_ATTR.DEFAULT_TYPES. */
export const KEY_DEFAULT_TYPE = { UNICAST: 1, MULTICAST: 2 } as const;

/** KEY_ATTR.TYPE values. */
export const KEYTYPE = { GROUP: 0, PAIRWISE: 1 } as const;

/** Station flags (bit numbers in the STA_FLAGS2 mask and set words). */
export const STA_FLAG = { AUTHORIZED: 1, SHORT_PREAMBLE: 2, WME: 3, MFP: 4, AUTHENTICATED: 5, TDLS_PEER: 6, ASSOCIATED: 7 } as const;

/** Attributes nested in ATTR.STA_INFO. */
export const STA_INFO = {
  INACTIVE_TIME: 1,
  RX_BYTES: 2,
  TX_BYTES: 3,
  RX_PACKETS: 9,
  TX_PACKETS: 10,
  CONNECTED_TIME: 16,
  RX_BYTES64: 23,
  TX_BYTES64: 24,
} as const;

/** Attributes nested in ATTR.CQM. */
export const CQM_ATTR = { PKT_LOSS_EVENT: 4, BEACON_LOSS_EVENT: 8 } as const;

/** Interface types. */
export const IFTYPE = { STATION: 2, AP: 3, AP_VLAN: 4 } as const;

/** ATTR.CHANNEL_WIDTH values. */
export const CHAN_WIDTH = { W20_NOHT: 0, W20: 1 } as const;

/** ATTR.WPA_VERSIONS bits. */
export const WPA_VERSION = { WPA: 1, WPA2: 2, WPA3: 4 } as const;

/** ATTR.AUTH_TYPE values. */
export const AUTHTYPE = { OPEN_SYSTEM: 0 } as const;

/** ATTR.SAE_PWE values (hostapd's sae_pwe 0, 1, 2 map to 1, 2, 3). */
export const SAE_PWE = { HUNT_AND_PECK: 1, HASH_TO_ELEMENT: 2, BOTH: 3 } as const;

/** Bits of ATTR.FEATURE_FLAGS. */
export const FEATURE = { FULL_AP_CLIENT_STATE: 1 << 15 } as const;

/** Bit numbers of ATTR.EXT_FEATURES (an octet array, bit n of octet n/8). */
export const EXT_FEATURE = { CONTROL_PORT_OVER_NL80211: 26, BEACON_PROTECTION: 41, CONTROL_PORT_OVER_NL80211_TX_STATUS: 48 } as const;

/** Attributes nested in a band of ATTR.WIPHY_BANDS, and in its frequencies and rates. */
export const BAND_ATTR = { FREQS: 1, RATES: 2 } as const;
export const FREQUENCY_ATTR = { FREQ: 1, DISABLED: 2, NO_IR: 3 } as const;
export const BITRATE_ATTR = { RATE: 1 } as const;

/** The EtherType of EAPOL (IEEE 802.1X-2004 §7.5). */
export const ETHERTYPE_EAPOL = 0x888e;
