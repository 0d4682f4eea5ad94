/**
 * Dynamic Authorization requests as FreeRADIUS 3.2.1's radclient (Debian freeradius-utils
 * 3.2.1+dfsg-4+deb12u1) sends them, captured on a UDP socket on 127.0.0.1 with the shared
 * secret "testing123" (`radclient -x 127.0.0.1:PORT disconnect|coa testing123`, attributes
 * as listed, `Message-Authenticator = 0x00` asking radclient to compute it). radclient puts
 * the Message-Authenticator where it is listed (last here), and computes it with the
 * Authenticator field zeroed (RFC 5176 §3.4) before the Request Authenticator.
 */

/** The shared secret of the captures. */
export const RADCLIENT_SECRET = 'testing123';

/** Disconnect-Request Id 228: User-Name, Calling-Station-Id, NAS-Identifier, Event-Timestamp, Message-Authenticator. */
export const RADCLIENT_DISCONNECT = [
  '28', // Code: Disconnect-Request (40)
  'e4', // Identifier 228
  '004f', // Length 79
  '9d83d29cb90947b618e0bf1f697f1b0d', // Request Authenticator
  '01 07 616c696365', // User-Name "alice"
  '1f 13 30322d30302d30302d30302d30312d3030', // Calling-Station-Id "02-00-00-00-01-00"
  '20 09 6169726c6f636b', // NAS-Identifier "airlock"
  '37 06 6553f100', // Event-Timestamp 1700000000
  '50 12 4595f58597677ca543752653de9db650', // Message-Authenticator
];

/** CoA-Request Id 89: Calling-Station-Id, Session-Timeout 600, VLAN 42 with tag 1, Event-Timestamp, Message-Authenticator. */
export const RADCLIENT_COA = [
  '2b', // Code: CoA-Request (43)
  '59', // Identifier 89
  '0056', // Length 86
  'bd96abbf3d8211af8f67656a2f16acd3', // Request Authenticator
  '1f 13 30323a30303a30303a30303a30313a3030', // Calling-Station-Id "02:00:00:00:01:00"
  '1b 06 00000258', // Session-Timeout 600
  '40 06 0100000d', // Tunnel-Type tag 1, VLAN (13)
  '41 06 01000006', // Tunnel-Medium-Type tag 1, IEEE-802 (6)
  '51 05 013432', // Tunnel-Private-Group-Id tag 1, "42"
  '37 06 6553f100', // Event-Timestamp 1700000000
  '50 12 abc19c68b03260ead7d8bb98c3753217', // Message-Authenticator
];

/** The Event-Timestamp of both captures (2023-11-14 22:13:20 UTC). */
export const RADCLIENT_EVENT_TIMESTAMP = 1700000000;
