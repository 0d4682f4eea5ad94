/**
 * Real EAPOL-Key frames for tests, one field per line (IEEE 802.11-2020 §12.7.2 layout).
 *
 * Source: iwd, unit/test-eapol.c (git.kernel.org/pub/scm/network/wireless/iwd.git; read
 * from the IWDTestBot/iwd mirror): eapol_key_data_3..6 (eapol_4way_test, a handshake
 * between AA 24:a2:e1:ec:17:04 and SPA a0:a8:cd:1c:7e:c9), eapol_key_data_7..12
 * (eapol_wpa2_handshake_test: 4-way and group key handshake between 02:00:00:00:00:00 and
 * 02:00:00:00:01:00) and eapol_key_data_2 (msg 1/4 with a PMKID KDE). Both handshakes use
 * passphrase "EasilyGuessedPassword", SSID "TestWPA"; the PMK is iwd's published
 * expected_psk.
 *
 * KCK and KEK below were derived from that PMK with PRF-384 (§12.7.1.3) and are confirmed
 * by the tests: the MIC of every frame verifies under its KCK, and the plaintext Key Data
 * below wraps (RFC 3394) under its KEK to the Key Data of the captured frame.
 */

/** An EAPOL-Key frame split into its 802.1X header and its body, one field per line. */
export interface CapturedFrame {
  /** What the frame is. */
  desc: string;
  /** 802.1X header: Protocol Version, Packet Type, Packet Body Length. */
  header: readonly string[];
  /** EAPOL-Key body fields, in order: descriptor type, key information, key length, replay counter, key nonce, IV, RSC, reserved, MIC, key data length, then key data if any. */
  body: readonly string[];
}

/** One captured handshake and the keys it was made with. */
export interface CapturedHandshake {
  /** Where the frames come from. */
  source: string;
  /** Authenticator address (the BSSID). */
  aa: string;
  /** Supplicant address. */
  spa: string;
  /** PMK = PSK of the passphrase and SSID. */
  pmk: string;
  /** Key Confirmation Key of the PTK. */
  kck: string;
  /** Key Encryption Key of the PTK. */
  kek: string;
  /** Frames in order of transmission. */
  frames: Readonly<Record<string, CapturedFrame>>;
  /** Key Data of the frames with encrypted Key Data, as plaintext (before AES key wrap, padding included). */
  plaintextKeyData: Readonly<Record<string, readonly string[]>>;
}

/** The whole frame of `f`, one field per line: header then body. */
export function frameLines(f: CapturedFrame): string[] {
  return [...f.header, ...f.body];
}

const ZERO_IV = '00000000000000000000000000000000';
const ZERO_8 = '0000000000000000';
const ZERO_MIC = '00000000000000000000000000000000';
const ZERO_NONCE = '0000000000000000000000000000000000000000000000000000000000000000';

/** iwd unit/test-eapol.c eapol_4way_test: frames eapol_key_data_3..6. */
export const IWD_4WAY: CapturedHandshake = {
  source: 'iwd unit/test-eapol.c, eapol_4way_test (eapol_key_data_3..6)',
  aa: '24a2e1ec1704',
  spa: 'a0a8cd1c7ec9',
  pmk: 'bf9aa3155300125e7a5ebb2a549f8cd4edab8ee12e94bfc24b3357ad049665d9',
  kck: '284db5b1cfbce425f4f50047648387bc',
  kek: '247a9094e543de1b1e3dd4a05cd0e776',
  frames: {
    msg1: {
      desc: 'msg 1/4, EAPOL version 2 (eapol_key_data_3)',
      header: ['02', '03', '005f'],
      body: [
        '02', // descriptor type
        '008a', // key information: ver 2, pairwise, ack
        '0010', // key length
        '0000000000000000', // replay counter
        'c2bb57ab588f92ebbd44e811094f601c087986030c3ac749cc61d63e33832e50', // key nonce (ANonce)
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        ZERO_MIC, // key MIC
        '0000', // key data length
      ],
    },
    msg2: {
      desc: 'msg 2/4, EAPOL version 1, RSNE in key data (eapol_key_data_4)',
      header: ['01', '03', '0075'],
      body: [
        '02', // descriptor type
        '010a', // key information: ver 2, pairwise, mic
        '0000', // key length
        '0000000000000000', // replay counter
        '3289e91565094f329a9cd54a4a090d2cf4344683bf50efee3608b64856800e84', // key nonce (SNonce)
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        '01c31b82ff62a379b08dd1fc82c2f768', // key MIC
        '0016', // key data length
        '30140100000fac040100000fac040100000fac020000', // key data: RSNE
      ],
    },
    msg3: {
      desc: 'msg 3/4, EAPOL version 2, wrapped key data (eapol_key_data_5)',
      header: ['02', '03', '0097'],
      body: [
        '02', // descriptor type
        '13ca', // key information: ver 2, pairwise, install, ack, mic, secure, encrypted key data
        '0010', // key length
        '0000000000000001', // replay counter
        'c2bb57ab588f92ebbd44e811094f601c087986030c3ac749cc61d63e33832e50', // key nonce (ANonce)
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        'f535d91809731a1d290894705e919c8e', // key MIC
        '0038', // key data length
        '1918df1ef0e7696652e257938034e17038b98b4c45a923b7b6fa8c33e37bdcd47feab11c226a2c5e38d5ad799405d610a69551d60be60a5b', // key data (AES key wrap)
      ],
    },
    msg4: {
      desc: 'msg 4/4, EAPOL version 1 (eapol_key_data_6)',
      header: ['01', '03', '005f'],
      body: [
        '02', // descriptor type
        '030a', // key information: ver 2, pairwise, mic, secure
        '0000', // key length
        '0000000000000001', // replay counter
        ZERO_NONCE, // key nonce
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        '9e57a4c09bafb3375e46d386cf872753', // key MIC
        '0000', // key data length
      ],
    },
  },
  plaintextKeyData: {
    msg3: [
      '30140100000fac040100000fac040100000fac020000', // RSNE of the AP
      'dd', '16', '000fac', '01', // GTK KDE: element 221, length 22, OUI 00-0F-AC, type GTK
      '02', '00', // key ID 2, Tx 0; reserved
      '2e156e7c4e3df1370913edbd628e2565', // GTK
      'dd', '00', // padding
    ],
  },
};

/** iwd unit/test-eapol.c eapol_wpa2_handshake_test: frames eapol_key_data_7..12. */
export const IWD_WPA2: CapturedHandshake = {
  source: 'iwd unit/test-eapol.c, eapol_wpa2_handshake_test (eapol_key_data_7..12)',
  aa: '020000000000',
  spa: '020000000100',
  pmk: 'bf9aa3155300125e7a5ebb2a549f8cd4edab8ee12e94bfc24b3357ad049665d9',
  kck: 'aa0b403359d1bb25aeb7f5252a85a465',
  kek: 'a7fc6a005818fcc0ca52271d068bff9c',
  frames: {
    msg1: {
      desc: 'msg 1/4 (eapol_key_data_7)',
      header: ['02', '03', '005f'],
      body: [
        '02', // descriptor type
        '008a', // key information: ver 2, pairwise, ack
        '0010', // key length
        '0000000000000001', // replay counter
        '2b5852b88e4ca34dc599ed202c63957c535e3efa9289873411127cbaf3588425', // key nonce (ANonce)
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        ZERO_MIC, // key MIC
        '0000', // key data length
      ],
    },
    msg2: {
      desc: 'msg 2/4, RSNE without RSN Capabilities (eapol_key_data_8)',
      header: ['02', '03', '0073'],
      body: [
        '02', // descriptor type
        '010a', // key information: ver 2, pairwise, mic
        '0000', // key length
        '0000000000000001', // replay counter
        '727c656c5ed642d7f47f484351d808945118da6a4933ac7e293f2f2ac088348c', // key nonce (SNonce)
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        '7d7c45989f492b4a36583529282d8fed', // key MIC
        '0014', // key data length
        '30120100000fac040100000fac040100000fac02', // key data: RSNE
      ],
    },
    msg3: {
      desc: 'msg 3/4 (eapol_key_data_9)',
      header: ['02', '03', '0097'],
      body: [
        '02', // descriptor type
        '13ca', // key information: ver 2, pairwise, install, ack, mic, secure, encrypted key data
        '0010', // key length
        '0000000000000002', // replay counter
        '2b5852b88e4ca34dc599ed202c63957c535e3efa9289873411127cbaf3588425', // key nonce (ANonce)
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        'f8626a5776c733bfc071de62ebf7a7c5', // key MIC
        '0038', // key data length
        '14dd52803dc83df7ba7eb648296d650e88ccc8dd676204a2c7c1f2650bcaf96b66f5b43d9926adc5ce18c0a99be50e508584b157e37a5e0f', // key data (AES key wrap)
      ],
    },
    msg4: {
      desc: 'msg 4/4 (eapol_key_data_10)',
      header: ['02', '03', '005f'],
      body: [
        '02', // descriptor type
        '030a', // key information: ver 2, pairwise, mic, secure
        '0000', // key length
        '0000000000000002', // replay counter
        ZERO_NONCE, // key nonce
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        '8b0f342349f08503e5fc54b72cb53266', // key MIC
        '0000', // key data length
      ],
    },
    group1: {
      desc: 'group key msg 1/2 (eapol_key_data_11)',
      header: ['02', '03', '007f'],
      body: [
        '02', // descriptor type
        '1382', // key information: ver 2, group, ack, mic, secure, encrypted key data
        '0010', // key length
        '0000000000000003', // replay counter
        'ef6dc20c5727e82507751e67369dc91ef1718eb135b212df9fcb0a65a2d5671d', // key nonce
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        '0f6ab075bc8ed19211cdc3b0e2d67ecf', // key MIC
        '0020', // key data length
        'e9965b4685d58b88bd574857e4f0dfddf72a7aa8eb68a9ef4404a66faa48511b', // key data (AES key wrap)
      ],
    },
    group2: {
      desc: 'group key msg 2/2 (eapol_key_data_12)',
      header: ['02', '03', '005f'],
      body: [
        '02', // descriptor type
        '0302', // key information: ver 2, group, mic, secure
        '0000', // key length
        '0000000000000003', // replay counter
        ZERO_NONCE, // key nonce
        ZERO_IV, // EAPOL-Key IV
        ZERO_8, // key RSC
        ZERO_8, // reserved
        'c9bd17f154b732cfbc01db0c37e6339f', // key MIC
        '0000', // key data length
      ],
    },
  },
  plaintextKeyData: {
    msg3: [
      '30140100000fac040100000fac040100000fac020000', // RSNE of the AP
      'dd', '16', '000fac', '01', // GTK KDE: element 221, length 22, OUI 00-0F-AC, type GTK
      '01', '00', // key ID 1, Tx 0; reserved
      '9adad240faa56f322f1553804b451936', // GTK
      'dd', '00', // padding
    ],
    group1: [
      'dd', '16', '000fac', '01', // GTK KDE: element 221, length 22, OUI 00-0F-AC, type GTK
      '02', '00', // key ID 2, Tx 0; reserved
      '1470b33c6cdb8ab7d4585da882ea582f', // GTK (24 octets of key data: no padding)
    ],
  },
};

/** iwd unit/test-eapol.c eapol_key_data_2: a msg 1/4 carrying a PMKID KDE. */
export const IWD_PMKID_MSG1: CapturedFrame = {
  desc: 'msg 1/4 with a PMKID KDE (iwd unit/test-eapol.c eapol_key_data_2)',
  header: ['02', '03', '0075'],
  body: [
    '02', // descriptor type
    '008a', // key information: ver 2, pairwise, ack
    '0010', // key length
    '0000000000000000', // replay counter
    '126ace64c1a644d27b84e039263b633bc374e3299d7d45e1c42544054805bfe5', // key nonce (ANonce)
    ZERO_IV, // EAPOL-Key IV
    ZERO_8, // key RSC
    ZERO_8, // reserved
    ZERO_MIC, // key MIC
    '0016', // key data length
    'dd14000fac0405b1b68b5a91fc0406838406e8d15fdb', // key data: PMKID KDE
  ],
};
