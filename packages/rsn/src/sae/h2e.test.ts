import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { p256_hasher } from '@noble/curves/nist.js';
import { ascii, hex } from '../crypto/hex.fixture.js';
import { H2E_LABEL_U1, H2E_LABEL_U2, derivePt, h2eFieldElement, h2ePweScalar, h2ePwdSeed, h2ePwdValue, pweFromPt, sswu } from './h2e.js';
import { GROUP_19, P256, octetsToBigInt } from './sae-group.js';
import { hkdfExpand, hkdfExtract } from './sae-hash.js';
import { J10_H2E, PASSWORD, PASSWORD_ID, SSID } from './sae-vectors.fixture.js';

const big = (b: Buffer): bigint => octetsToBigInt(b);

// RFC 9380 Appendix J.1.1, suite P256_XMD:SHA-256_SSWU_RO_, DST
// "QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_": for each msg, u[0] and u[1] from
// hash_to_field, Q0 = map_to_curve(u[0]), Q1 = map_to_curve(u[1]), P = Q0 + Q1.
const RFC9380_DST = 'QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_';
const rfc9380Vectors = [
  {
    desc: 'msg ""',
    msg: '',
    px: '2c15230b26dbc6fc9a37051158c95b79656e17a1a920b11394ca91c44247d3e4',
    py: '8a7a74985cc5c776cdfe4b1f19884970453912e9d31528c060be9ab5c43e8415',
    u0: 'ad5342c66a6dd0ff080df1da0ea1c04b96e0330dd89406465eeba11582515009',
    u1: '8c0f1d43204bd6f6ea70ae8013070a1518b43873bcd850aafa0a9e220e2eea5a',
    q0x: 'ab640a12220d3ff283510ff3f4b1953d09fad35795140b1c5d64f313967934d5',
    q0y: 'dccb558863804a881d4fff3455716c836cef230e5209594ddd33d85c565b19b1',
    q1x: '51cce63c50d972a6e51c61334f0f4875c9ac1cd2d3238412f84e31da7d980ef5',
    q1y: 'b45d1a36d00ad90e5ec7840a60a4de411917fbe7c82c3949a6e699e5a1b66aac',
  },
  {
    desc: 'msg "abc"',
    msg: 'abc',
    px: '0bb8b87485551aa43ed54f009230450b492fead5f1cc91658775dac4a3388a0f',
    py: '5c41b3d0731a27a7b14bc0bf0ccded2d8751f83493404c84a88e71ffd424212e',
    u0: 'afe47f2ea2b10465cc26ac403194dfb68b7f5ee865cda61e9f3e07a537220af1',
    u1: '379a27833b0bfe6f7bdca08e1e83c760bf9a338ab335542704edcd69ce9e46e0',
    q0x: '5219ad0ddef3cc49b714145e91b2f7de6ce0a7a7dc7406c7726c7e373c58cb48',
    q0y: '7950144e52d30acbec7b624c203b1996c99617d0b61c2442354301b191d93ecf',
    q1x: '019b7cb4efcfeaf39f738fe638e31d375ad6837f58a852d032ff60c69ee3875f',
    q1y: '589a62d2b22357fed5449bc38065b760095ebe6aeac84b01156ee4252715446e',
  },
  {
    desc: 'msg "abcdef0123456789"',
    msg: 'abcdef0123456789',
    px: '65038ac8f2b1def042a5df0b33b1f4eca6bff7cb0f9c6c1526811864e544ed80',
    py: 'cad44d40a656e7aff4002a8de287abc8ae0482b5ae825822bb870d6df9b56ca3',
    u0: '0fad9d125a9477d55cf9357105b0eb3a5c4259809bf87180aa01d651f53d312c',
    u1: 'b68597377392cd3419d8fcc7d7660948c8403b19ea78bbca4b133c9d2196c0fb',
    q0x: 'a17bdf2965eb88074bc01157e644ed409dac97cfcf0c61c998ed0fa45e79e4a2',
    q0y: '4f1bc80c70d411a3cc1d67aeae6e726f0f311639fee560c7f5a664554e3c9c2e',
    q1x: '7da48bb67225c1a17d452c983798113f47e438e4202219dd0715f8419b274d66',
    q1y: 'b765696b2913e36db3016c47edb99e24b1da30e761a8a3215dc0ec4d8f96e6f9',
  },
  {
    desc: 'msg "q128_" + 128 x "q"',
    msg: 'q128_' + 'q'.repeat(128),
    px: '4be61ee205094282ba8a2042bcb48d88dfbb609301c49aa8b078533dc65a0b5d',
    py: '98f8df449a072c4721d241a3b1236d3caccba603f916ca680f4539d2bfb3c29e',
    u0: '3bbc30446f39a7befad080f4d5f32ed116b9534626993d2cc5033f6f8d805919',
    u1: '76bb02db019ca9d3c1e02f0c17f8baf617bbdae5c393a81d9ce11e3be1bf1d33',
    q0x: 'c76aaa823aeadeb3f356909cb08f97eee46ecb157c1f56699b5efebddf0e6398',
    q0y: '776a6f45f528a0e8d289a4be12c4fab80762386ec644abf2bffb9b627e4352b1',
    q1x: '418ac3d85a5ccc4ea8dec14f750a3a9ec8b85176c95a7022f391826794eb5a75',
    q1y: 'fd6604f69e9d9d2b74b072d14ea13050db72c932815523305cb9e807cc900aff',
  },
  {
    desc: 'msg "a512_" + 512 x "a"',
    msg: 'a512_' + 'a'.repeat(512),
    px: '457ae2981f70ca85d8e24c308b14db22f3e3862c5ea0f652ca38b5e49cd64bc5',
    py: 'ecb9f0eadc9aeed232dabc53235368c1394c78de05dd96893eefa62b0f4757dc',
    u0: '4ebc95a6e839b1ae3c63b847798e85cb3c12d3817ec6ebc10af6ee51adb29fec',
    u1: '4e21af88e22ea80156aff790750121035b3eefaa96b425a8716e0d20b4e269ee',
    q0x: 'd88b989ee9d1295df413d4456c5c850b8b2fb0f5402cc5c4c7e815412e926db8',
    q0y: 'bb4a1edeff506cf16def96afff41b16fc74f6dbd55c2210e5b8f011ba32f4f40',
    q1x: 'a281e34e628f3a4d2a53fa87ff973537d68ad4fbc28d3be5e8d9f6a2571c5a4b',
    q1y: 'f6ed88a7aab56a488100e6f1174fa9810b47db13e86be999644922961206e184',
  },
];

void describe('sswu: RFC 9380 Appendix J.1.1 map_to_curve (P256_XMD:SHA-256_SSWU_RO_)', () => {
  for (const v of rfc9380Vectors) {
    void it(`${v.desc}: map_to_curve(u[0]) = Q0 and map_to_curve(u[1]) = Q1`, () => {
      const q0 = sswu(big(hex(v.u0)));
      const q1 = sswu(big(hex(v.u1)));
      assert.equal(q0.x, big(hex(v.q0x)));
      assert.equal(q0.y, big(hex(v.q0y)));
      assert.equal(q1.x, big(hex(v.q1x)));
      assert.equal(q1.y, big(hex(v.q1y)));
      // P = Q0 + Q1 (cofactor 1): the point addition SAE uses for PT = P1 + P2.
      const p = q0.add(q1);
      assert.equal(p.x, big(hex(v.px)));
      assert.equal(p.y, big(hex(v.py)));
    });
  }

  for (const v of rfc9380Vectors) {
    void it(`${v.desc}: the library's hash_to_curve gives P (same map, with hash_to_field)`, () => {
      const p = p256_hasher.hashToCurve(ascii(v.msg), { DST: RFC9380_DST });
      assert.equal(p.x, big(hex(v.px)));
      assert.equal(p.y, big(hex(v.py)));
    });
  }

  void it('u = 0 maps to a point on the curve (the exceptional case of the map)', () => {
    const q = sswu(0n);
    assert.doesNotThrow(() => q.assertValidity());
    assert.ok(!q.is0());
  });

  void it('throws RangeError for u outside GF(p)', () => {
    assert.throws(() => sswu(GROUP_19.p), RangeError);
    assert.throws(() => sswu(-1n), RangeError);
  });
});

// RFC 5869 Appendix A.1 (HKDF with SHA-256, basic test case).
void describe('hkdfExtract / hkdfExpand (RFC 5869 A.1)', () => {
  const ikm = hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
  const salt = hex('000102030405060708090a0b0c');
  const info = hex('f0f1f2f3f4f5f6f7f8f9');
  const prk = hex('077709362c2e32df0ddc3f0dc47bba63', '90b6c73bb50f9c3122ec844ad7c2b3e5');
  const okm = hex(
    '3cb25f25faacd57a90434f64d0362f2a',
    '2d2d0a90cf1a5a4c5db02d56ecc4c5bf',
    '34007208d5b887185865',
  );
  void it('PRK = HKDF-Extract(salt, IKM)', () => {
    assert.deepEqual(hkdfExtract(salt, ikm), prk);
  });
  void it('the IKM may come in parts', () => {
    assert.deepEqual(hkdfExtract(salt, ikm.subarray(0, 5), ikm.subarray(5)), prk);
  });
  void it('OKM = HKDF-Expand(PRK, info, 42)', () => {
    assert.deepEqual(hkdfExpand(prk, info.toString('latin1'), 42), okm);
  });
  void it('throws RangeError for a length of 0 or beyond 255 blocks', () => {
    assert.throws(() => hkdfExpand(prk, '', 0), RangeError);
    assert.throws(() => hkdfExpand(prk, '', 255 * 32 + 1), RangeError);
  });
});

void describe('H2E (IEEE 802.11-2020 §12.4.4.2.3), Annex J.10 vectors', () => {
  const v = J10_H2E;

  void it('pwd-seed = HKDF-Extract(SSID, password || identifier)', () => {
    assert.deepEqual(h2ePwdSeed(SSID, PASSWORD, PASSWORD_ID), v.pwdSeed);
  });
  void it('pwd-value for u1 = HKDF-Expand(pwd-seed, "SAE Hash to Element u1 P1", 48)', () => {
    assert.deepEqual(h2ePwdValue(v.pwdSeed, H2E_LABEL_U1), v.pwdValue1);
  });
  void it('pwd-value for u2 = HKDF-Expand(pwd-seed, "SAE Hash to Element u2 P2", 48)', () => {
    assert.deepEqual(h2ePwdValue(v.pwdSeed, H2E_LABEL_U2), v.pwdValue2);
  });
  void it('u1 and u2 = pwd-value mod p', () => {
    assert.equal(h2eFieldElement(v.pwdValue1), big(v.u1));
    assert.equal(h2eFieldElement(v.pwdValue2), big(v.u2));
  });
  void it('P1 = SSWU(u1), P2 = SSWU(u2)', () => {
    const p1 = sswu(big(v.u1));
    const p2 = sswu(big(v.u2));
    assert.equal(p1.x, big(v.p1X));
    assert.equal(p1.y, big(v.p1Y));
    assert.equal(p2.x, big(v.p2X));
    assert.equal(p2.y, big(v.p2Y));
  });
  void it('PT = P1 + P2 (derivePt)', () => {
    const pt = derivePt(SSID, PASSWORD, PASSWORD_ID);
    assert.equal(pt.x, big(v.ptX));
    assert.equal(pt.y, big(v.ptY));
  });
  void it('val = H(0^32, MAX(MACs) || MIN(MACs)) mod (r - 1) + 1', () => {
    assert.equal(h2ePweScalar(v.staA, v.staB), big(v.val));
  });
  void it('PWE = val * PT (pweFromPt)', () => {
    const pt = P256.fromAffine({ x: big(v.ptX), y: big(v.ptY) });
    const pwe = pweFromPt(pt, v.staA, v.staB);
    assert.equal(pwe.x, big(v.pweX));
    assert.equal(pwe.y, big(v.pweY));
  });
  void it('PWE does not depend on the order of the two addresses', () => {
    const pt = derivePt(SSID, PASSWORD, PASSWORD_ID);
    assert.ok(pweFromPt(pt, v.staB, v.staA).equals(pweFromPt(pt, v.staA, v.staB)));
  });
});

void describe('derivePt: what PT depends on', () => {
  const withId = derivePt(SSID, PASSWORD, PASSWORD_ID);
  void it('an empty identifier hashes like none (password || "" is the password)', () => {
    assert.ok(derivePt(SSID, PASSWORD).equals(derivePt(SSID, PASSWORD, new Uint8Array(0))));
  });
  void it('the identifier changes PT', () => {
    assert.ok(!derivePt(SSID, PASSWORD).equals(withId));
  });
  void it('the SSID changes PT', () => {
    assert.ok(!derivePt(ascii('byteme2'), PASSWORD, PASSWORD_ID).equals(withId));
  });
  void it('the password changes PT', () => {
    assert.ok(!derivePt(SSID, ascii('mekmitasdigoaT'), PASSWORD_ID).equals(withId));
  });
  void it('an empty SSID is a valid HMAC key (PT is a valid point)', () => {
    const pt = derivePt(new Uint8Array(0), PASSWORD);
    assert.doesNotThrow(() => pt.assertValidity());
  });
  void it('throws RangeError for addresses that are not 6 octets', () => {
    assert.throws(() => pweFromPt(withId, hex('00095b66ec'), J10_H2E.staB), RangeError);
  });
});
