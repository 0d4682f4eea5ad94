/**
 * Test fixture: published SAE test vectors for group 19, written one field per line. Not
 * part of the package API.
 */
import { ascii, hex } from '../crypto/hex.fixture.js';

/** Password and SSID shared by every IEEE vector below. */
export const PASSWORD = ascii('mekmitasdigoat');
export const SSID = ascii('byteme');
export const PASSWORD_ID = ascii('psk4internet');

/**
 * IEEE Std 802.11-2020 Annex J.10, hunting-and-pecking (no password identifier), group 19.
 * Commit, KCK, PMK and PMKID as carried in hostap src/common/common_module_tests.c
 * (sae_tests, "IEEE Std 802.11-2020, Annex J.10"); the per-counter pwd-seed / pwd-value and
 * the PWE as carried in Fuchsia's wlan SAE crate tests (src/connectivity/wlan/lib/sae:
 * TEST_H_1/2/40, TEST_CAND_1/2/40, TEST_LOOP_PWE_X/Y, "IEEE Std 802.11-2020 J.10").
 * The commits are the scalar || element fields after the 2-octet group (0x1300).
 */
export const J10_LOOP = {
  staA: hex('4d3f2fffe387'),
  staB: hex('a5d8aa958e3c'),
  /** pwd-seed and pwd-value at counters 1, 2 and 40 (x is found at counter 2). */
  counters: [
    {
      counter: 1,
      pwdSeed: hex('a9025368ef78f7d65e8d4d556f0d1d0d', '758f2f7f1e116eb1d11307a7e8a9621a'),
      pwdValue: hex('b8e89a725c57f18e8f68a7f72613e15f', '1c904938c38800efa01f1306f5e454b5'),
    },
    {
      counter: 2,
      pwdSeed: hex('954bbbf8923284e4ca164e3af0b9520c', 'e53aa35be39020e9ccb23aff86df2226'),
      pwdValue: hex('da6eb7b06a1ac5624974f90afdd6a8e9', 'd5722634cf987c34defc91a9874e5658'),
    },
    {
      counter: 40,
      pwdSeed: hex('cde7b81eb539c87af5bf1be2402d315c', '45ad4c3db06c9c56b7f8b7daae5e5842'),
      pwdValue: hex('2e12a1d615647963fd7aa4a905fd51b6', 'f49a902fd917ef8f0ff200102699ecdb'),
    },
  ],
  pweX: hex('da6eb7b06a1ac5624974f90afdd6a8e9', 'd5722634cf987c34defc91a9874e5658'),
  pweY: hex('f4fefd130bd5be08fe68af3e4a290272', 'ec065fd3671f3c25bf8ec419ddc9b822'),
  rand: hex('992465fd3daa3c60aa6565b7f62a2a7f', '2e12dd12f198faf4fbed89d7ff1ace94'),
  mask: hex('9507a90f777a044d6a0830b91ea3d5dd', '70bece44e1acffb86983b5e1bf9fb322'),
  localScalar: hex('2e2c0f0db52440ad146d967114ce005c', 'e1eab0aa2c2e5c2871b774f6c2575c65'),
  localElement: hex(
    'd5ad9e00829707aa36ba8b859738fc96', '1d08243505f47c035376d7ac4bc8d7b9', // x
    '5083bf43827d0fc31ed778dd3671fd21', 'a46d1091d64b6f9a1e1272621325dbe1', // y
  ),
  peerScalar: hex('591b96f3397fb945100848e7b550543b', '6720d88337ee93fc49fd6df7e08b5223'),
  peerElement: hex(
    'e71b9bb048d3873f20556953a96c9153', '6fd8ee6ca9b4a68a148b056a909be03e', // x
    '83ae208f60f8ef5537858074db066870', '32399862999b511e0a1552a5fea317c2', // y
  ),
  kck: hex('1e733f6d9bd53256287304338831b09a', '39406d121017073a5c30db36f36cb81a'),
  pmk: hex('4e4dfab1a2dd8ac1a91790f953faaa45', '2ae5c6873ab75b63605ba663f8a7fe59'),
  pmkid: hex('8747a600eea3f9f22475df58ca1e5498'),
};

/**
 * IEEE Std 802.11-2020 Annex J.10, hash-to-element, group 19, with the password identifier.
 * Intermediates as carried in iwd unit/test-sae.c (test_pt_pwe) and, for PRK/OKM/PT, in
 * Fuchsia's wlan SAE crate tests; the PWE also in hostap common_module_tests.c (pwe_19_x/y).
 */
export const J10_H2E = {
  staA: hex('00095b66ec1e'),
  staB: hex('000b6bd90246'),
  /** pwd-seed = HKDF-Extract(SSID, password || identifier). */
  pwdSeed: hex('3bd53fe9223dc0280fbfce17d7a35640', '64e20f48c6ec72246ce367b5569a22af'),
  /** HKDF-Expand(pwd-seed, "SAE Hash to Element u1 P1", 48). */
  pwdValue1: hex('a5044469ab16f25b6abf1e0e37a36b56', 'f50be73369053df8db87989a6b66fd1a', '491f1cdacbd07931620f83008ffc0ecc'),
  u1: hex('dc941bc3c6a2b4948b6c61d55590ecb1', 'f0c51c4b1bebaff677e593698d5a53c6'),
  /** HKDF-Expand(pwd-seed, "SAE Hash to Element u2 P2", 48). */
  pwdValue2: hex('9b4e0d5b1879f253c5319615099b05ae', 'c5b06fa5e788bcfd1e9ea60d33436927', '190814c322a62585c93c577bbaa3d307'),
  u2: hex('1b8375a518bc21396ad6a65e5597e0bf', '80d793b6d66e2534a6e7dfe3ee22616f'),
  p1X: hex('a07c260764a13445ff8cd97c5acc644e', '7119bde51bad42583eed6f4109639e6b'),
  p1Y: hex('3bdc8df0d32337936c74df604933a454', '142251c53c576c0351b28deaf9428d7e'),
  p2X: hex('72cd2a967a837fea5051f0133db46227', '775ba09f7b6dfb99ae7a8ef22c7d34a0'),
  p2Y: hex('864390d797d352b368d311af515bde11', '6fe54459fec867ee18a8a1619ca3ff59'),
  ptX: hex('b6e38c98750c684b5d17c3d8c9a4100b', '39931279187ca6cced5f37ef46ddfa97'),
  ptY: hex('5687e972e50f73e3898861e7edad21be', 'a7d5f622df88243bb804920ae8e647fa'),
  /** val = H(0^32, MAX || MIN of the addresses) mod (r - 1) + 1. */
  val: hex('bb7f9cac5aa8b72c02b5daacc2771abe', '74e72604612295eca2ce18363ae9a927'),
  pweX: hex('c93049b9e64000f848201649e999f2b5', 'c22dea69b5632c9df4d633b8aa1f6c1e'),
  pweY: hex('73634e94b53d82e7383a8d258199d9dc', '1a5ee8269d060382ccbf33e614ff59a0'),
};

/**
 * IEEE 802.11-18/1104r0 "New Test Vectors for SAE" (IEEE P802.11-REVmd/D2.1 Annex J.10):
 * hunting-and-pecking with base = password || identifier, and the only published confirm
 * values. Commit, KCK, PMK, PMKID and both confirms as carried in hostap
 * src/common/common_module_tests.c before commit 47f51c8ba ("IEEE P802.11-REVmd/D2.1,
 * Annex J.10"); keyseed as carried in Fuchsia's wlan SAE crate tests (TEST_KEYSEED). The
 * commits there end with a Password Identifier element (ff 0d 21 "psk4internet"), left out
 * here; the confirms are Send-Confirm (LE) || Confirm.
 */
export const REVMD_LOOP_WITH_ID = {
  staA: hex('827b919dd4b9'),
  staB: hex('1eec49ea6488'),
  rand: hex('a906f61e4d3a5d4eb2965ff34cf917dd', '044445c878c17ca5d5b93786da9f83cf'),
  mask: hex('4234b4fb17aa435c52fbfdebe64039b4', '3478200e54ff7b6e07b69cad74153c15'),
  localScalar: hex('eb3bab1964e4a0ab05925ddf33395191', '38bc65d6cdc0f813dd6fd4344eb4bfe4'),
  localElement: hex(
    '4b5c21597658f4e3eddfb4b99f25b4d6', '540f32ff1fd5c530c60a794448610bc6', // x
    'de3d92bdbbd47d935980ca6cf8988ab6', '630be6764c885ceb9793970f695217ee', // y
  ),
  peerScalar: hex('5564f045b2ea1e566cf1dd741f70d9be', '35d2df5b9a5502946ee03cf8dae27e1e'),
  peerElement: hex(
    '05b8430eb7a99e24877ce69baf3dc580', 'e309633d6b385f83ee1c3ec3591f1a53', // x
    '93c06e805ddceb2fde50930dd7cfebb9', '87c6ff9666af164eb5184d8e6662ed6a', // y
  ),
  keyseed: hex('7457a00754dcc4e3dc2850c124d6bb8f', 'a1699d7fa33bb0667d9c34eeb513deb9'),
  kck: hex('599d6f1e27548be8499dceed2feccf94', '818ce1c79f1b4eb3d6a53228a09bf3ed'),
  pmk: hex('7aead86fba4c3221fc437f5f14d70d85', '4ea5d5aac1690116793081eda4d557c5'),
  pmkid: hex('40a09b6017cebf0072843b5352aa2b4f'),
  localConfirm: hex(
    '0100', // Send-Confirm 1
    '12d9d5c78c500526d36c41dbc56aedf2', '914cedddd7cad4a58c48f83dbde9fc77', // Confirm
  ),
  peerConfirm: hex(
    '0100', // Send-Confirm 1
    '02871cf906898b8060ec184143be77b8', 'c08a8019b13eb6d0aef0d8383dfac2fd', // Confirm
  ),
};
