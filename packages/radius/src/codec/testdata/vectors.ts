/**
 * Published RADIUS packets for the codec tests, one field per line, with their sources:
 *
 *  - RFC 2865 §7.1 "User Telnet to Specified Host": Access-Request (User-Password
 *    "arctangent" hidden with secret "xyzzy5461") and its Access-Accept. Transcribed from
 *    the RFC example bytes as quoted, identically, by three independent RADIUS test suites
 *    (a Rust, a C# and a Java implementation found with the code search).
 *  - Wireshark SampleCaptures radius_localhost.pcapng (EAP-MD5 and PAP against FreeRADIUS
 *    on localhost), as transcribed in FreeRADIUS src/tests/unit/protocols/radius/
 *    packet_wireshark01.txt (packets 1, 2, 7, 8, 9, 10 there). The capture's description
 *    does not state the shared secret; it is FreeRADIUS's default "testing123", and every
 *    Request Authenticator, Response Authenticator and Message-Authenticator in these
 *    packets verifies with it (User-Password of packets 7 and 9 reveals "testing").
 *  - OpenBSD regress/lib/libradius/test25.c: an MS-MPPE key attribute value with its
 *    Request Authenticator and secret "hogehogefugafuga".
 */

/** Shared secret of the RFC 2865 §7 examples. */
export const RFC2865_SECRET = 'xyzzy5461';

/** RFC 2865 §7.1: the Access-Request, NAS 192.168.1.16 port 3, user "nemo". */
export const RFC2865_7_1_REQUEST = [
  '01', // Code: Access-Request
  '00', // Identifier 0
  '0038', // Length 56
  '0f403f9473978057bd83d5cb98f4227a', // Request Authenticator
  '01 06 6e656d6f', // User-Name "nemo"
  '02 12 0dbe708d93d413ce3196e43f782a0aee', // User-Password, hidden "arctangent"
  '04 06 c0a80110', // NAS-IP-Address 192.168.1.16
  '05 06 00000003', // NAS-Port 3
];

/** RFC 2865 §7.1: the User-Password as hidden in the Access-Request. */
export const RFC2865_7_1_HIDDEN_PASSWORD = '0dbe708d93d413ce3196e43f782a0aee';

/** RFC 2865 §7.1: the Access-Accept (Login, Telnet to 192.168.1.3). */
export const RFC2865_7_1_ACCEPT = [
  '02', // Code: Access-Accept
  '00', // Identifier 0
  '0026', // Length 38
  '86fe220e7624ba2a1005f6bf9b55e0b2', // Response Authenticator
  '06 06 00000001', // Service-Type Login
  '0f 06 00000000', // Login-Service Telnet
  '0e 06 c0a80103', // Login-IP-Host 192.168.1.3
];

/** Shared secret of the radius_localhost.pcapng capture (see the file header). */
export const WIRESHARK_SECRET = 'testing123';

/** radius_localhost.pcapng #1: Access-Request carrying EAP-Response/Identity "steve". */
export const WIRESHARK_EAP_IDENTITY_REQUEST = [
  '01', // Code: Access-Request
  '67', // Identifier 103
  '0057', // Length 87
  '40b664dbf5d681b2adbd1769515118c8', // Request Authenticator
  '01 07 7374657665', // User-Name "steve"
  '02 12 dbc6c4b758be14f005b3877c9e2fb601', // User-Password (hidden)
  '04 06 c0a8001c', // NAS-IP-Address 192.168.0.28
  '05 06 0000007b', // NAS-Port 123
  '50 12 5f0f8647e8c89bd881364268fcd04532', // Message-Authenticator
  '4f 0c 0266000a017374657665', // EAP-Message: Response id 102, Identity "steve"
];

/** radius_localhost.pcapng #2: the Access-Challenge answering #1 (EAP-MD5 challenge). */
export const WIRESHARK_EAP_MD5_CHALLENGE = [
  '0b', // Code: Access-Challenge
  '67', // Identifier 103
  '0083', // Length 131
  '83ece707a2f31bb65badfb22a64023d9', // Response Authenticator
  '06 06 00000002', // Service-Type Framed
  '07 06 00000001', // Framed-Protocol PPP
  '08 06 ac100321', // Framed-IP-Address 172.16.3.33
  '09 06 ffffff00', // Framed-IP-Netmask 255.255.255.0
  '0a 06 00000003', // Framed-Routing
  '0b 09 7374642e707070', // Filter-Id "std.ppp"
  '0c 06 000005dc', // Framed-MTU 1500
  '0d 06 00000001', // Framed-Compression
  '4f 18 016700160410ff0bf1d6e401a9cbe5b46eb943e5549a', // EAP-Message: Request id 103, MD5-Challenge
  '50 12 6e794a020c45c66f4247ba8c5ff04ed1', // Message-Authenticator (not first: pre-BlastRADIUS server)
  '18 12 736f868573088277414ae3f31eac34e9', // State
];

/** radius_localhost.pcapng #7: Access-Request carrying the EAP-MD5 response. */
export const WIRESHARK_EAP_MD5_RESPONSE = [
  '01', // Code: Access-Request
  '72', // Identifier 114
  '0075', // Length 117
  '8ab086d60ae57ca04652a68710e630de', // Request Authenticator
  '01 07 7374657665', // User-Name "steve"
  '02 12 c0238daf7ea499d48be32512a0ae5bc7', // User-Password, hidden "testing"
  '04 06 c0a8001c', // NAS-IP-Address 192.168.0.28
  '05 06 0000007b', // NAS-Port 123
  '50 12 c50b17d546cdf7c0a0bfffbdd35a7280', // Message-Authenticator
  '18 12 dbe0f49fdb91f0d023718fe66f2de007', // State
  '4f 18 02710016041036d93b94f142714e95061613640ed36d', // EAP-Message: Response id 113, MD5-Challenge
];

/** radius_localhost.pcapng #8: the Access-Accept answering #7 (EAP-Success). */
export const WIRESHARK_EAP_SUCCESS_ACCEPT = [
  '02', // Code: Access-Accept
  '72', // Identifier 114
  '0066', // Length 102
  'e6c459f60763148765355164ac599414', // Response Authenticator
  '06 06 00000002', // Service-Type Framed
  '07 06 00000001', // Framed-Protocol PPP
  '08 06 ac100321', // Framed-IP-Address 172.16.3.33
  '09 06 ffffff00', // Framed-IP-Netmask 255.255.255.0
  '0a 06 00000003', // Framed-Routing
  '0b 09 7374642e707070', // Filter-Id "std.ppp"
  '0c 06 000005dc', // Framed-MTU 1500
  '0d 06 00000001', // Framed-Compression
  '4f 06 03710004', // EAP-Message: Success id 113
  '50 12 69ff0aab721668cd28256de57573b9bd', // Message-Authenticator
  '01 07 7374657665', // User-Name "steve"
];

/** radius_localhost.pcapng #9: a PAP Access-Request with a Message-Authenticator. */
export const WIRESHARK_PAP_REQUEST = [
  '01', // Code: Access-Request
  '61', // Identifier 97
  '004b', // Length 75
  '27896aa2d9719bb136ca6d51d925ea83', // Request Authenticator
  '01 07 7374657665', // User-Name "steve"
  '02 12 e47fedf8e66d2b6211407090b929f003', // User-Password, hidden "testing"
  '04 06 c0a8001c', // NAS-IP-Address 192.168.0.28
  '05 06 0000007b', // NAS-Port 123
  '50 12 5e3adc9efc352420e8ca852cdfd202dd', // Message-Authenticator
];

/** radius_localhost.pcapng #10: the Access-Accept answering #9, without Message-Authenticator. */
export const WIRESHARK_PAP_ACCEPT = [
  '02', // Code: Access-Accept
  '61', // Identifier 97
  '0047', // Length 71
  '8f2f54cfbb2b5e386e6d252cabd46891', // Response Authenticator
  '06 06 00000002', // Service-Type Framed
  '07 06 00000001', // Framed-Protocol PPP
  '08 06 ac100321', // Framed-IP-Address 172.16.3.33
  '09 06 ffffff00', // Framed-IP-Netmask 255.255.255.0
  '0a 06 00000003', // Framed-Routing
  '0b 09 7374642e707070', // Filter-Id "std.ppp"
  '0c 06 000005dc', // Framed-MTU 1500
  '0d 06 00000001', // Framed-Compression
];

/** OpenBSD regress/lib/libradius/test25.c: MS-MPPE key encryption (RFC 2548 §2.4.2). */
export const OPENBSD_MPPE = {
  secret: 'hogehogefugafuga',
  requestAuthenticator: '678ae6ed696e1bd10ae2fea105d46a56',
  /** Salt, then the encrypted Key-Length || Key || padding. */
  value: [
    '8036', // Salt
    'f4abbe2117fb3e4a7874dce91c5b0449', // encrypted block 1
    '8ec7720f168688562dbc88e21cab6271', // encrypted block 2
  ],
  key: 'fc6ea418373d8e90c136fae3735e37d1',
};
