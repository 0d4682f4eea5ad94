import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runCodecTables } from '../testing/index.js';
import { hex } from '../crypto/hex.fixture.js';
import {
  SaeStatus,
  decodeAntiCloggingRequest,
  decodeCommitBody,
  decodeConfirmBody,
  encodeAntiCloggingRequest,
  encodeCommitBody,
  encodeConfirmBody,
  encodeUnsupportedGroupBody,
  readCommitGroup,
  type SaeAntiCloggingRequest,
  type SaeCommitFields,
  type SaeConfirmFields,
} from './frames.js';
import { REVMD_LOOP_WITH_ID } from './sae-vectors.fixture.js';

const v = REVMD_LOOP_WITH_ID;
const SCALAR = v.localScalar.toString('hex');
const ELEMENT = v.localElement.toString('hex');
const TOKEN = 'a5'.repeat(32);

const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
const buf = fc.uint8Array;
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u);

/** Group 19 commit fields as generated values (what each mode can carry). */
function commitArbitrary(mode: 'h2e' | 'hnp' | 'hnp-token'): fc.Arbitrary<SaeCommitFields> {
  return fc.record(
    {
      group: fc.constant(19),
      scalar: buf({ minLength: 32, maxLength: 32 }).map(asBuffer),
      element: buf({ minLength: 64, maxLength: 64 }).map(asBuffer),
      passwordIdentifier: buf({ maxLength: 254 }).map(asBuffer),
      ...(mode === 'h2e' ? { rejectedGroups: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 127 }) } : {}),
      ...(mode === 'hnp' ? {} : { token: buf({ minLength: mode === 'hnp-token' ? 32 : 1, maxLength: mode === 'hnp-token' ? 32 : 254 }).map(asBuffer) }),
    },
    { requiredKeys: mode === 'hnp-token' ? ['group', 'scalar', 'element', 'token'] : ['group', 'scalar', 'element'], noNullPrototype: true },
  );
}

// IEEE 802.11-18/1104r0 (REVmd/D2.1 J.10): the initiator's commit body, hunting-and-pecking
// with a Password Identifier element, as carried in hostap's common_module_tests.c.
const REVMD_COMMIT = [
  '1300', // Finite Cyclic Group 19
  SCALAR, // Scalar
  ELEMENT, // Element
  'ff0d21', // Element ID Extension, length 13, Password Identifier
  Buffer.from('psk4internet').toString('hex'),
];

const common = [
  { desc: 'empty', hex: '', code: 'empty' as const },
  { desc: 'one octet of the group', hex: '13', code: 'truncated' as const },
  { desc: 'group 20 (only 19 is decoded: read the group first and answer 77)', hex: ['1400', SCALAR, ELEMENT], code: 'unsupported' as const },
  { desc: 'group only', hex: '1300', code: 'truncated' as const },
  { desc: 'scalar one octet short, no element', hex: ['1300', SCALAR.slice(2)], code: 'truncated' as const },
  { desc: 'element one octet short', hex: ['1300', SCALAR, ELEMENT.slice(2)], code: 'truncated' as const },
  { desc: 'a lone octet after the element', hex: ['1300', SCALAR, ELEMENT, 'ff'], code: 'truncated' as const },
  { desc: 'an element whose length runs past the body', hex: ['1300', SCALAR, ELEMENT, 'ff0521', '6964'], code: 'length-overflow' as const },
  { desc: 'an Element ID Extension element of length 0 (no extended id)', hex: ['1300', SCALAR, ELEMENT, 'ff00'], code: 'bad-length' as const },
  { desc: 'two Password Identifier elements', hex: ['1300', SCALAR, ELEMENT, 'ff0321', '6964', 'ff0321', '6964'], code: 'invalid' as const },
];

runCodecTables<SaeCommitFields>(
  { name: 'SAE Commit body, hunting-and-pecking (IEEE 802.11-2020 §9.3.3.11, §12.4.7)', decode: (b) => decodeCommitBody(b, { h2e: false }), encode: (f) => encodeCommitBody(f, false) },
  {
    valid: [
      {
        desc: 'IEEE 802.11-18/1104r0 commit with a Password Identifier element (pre-2020 drafts)',
        hex: REVMD_COMMIT,
        value: { group: 19, scalar: v.localScalar, element: v.localElement, passwordIdentifier: Buffer.from('psk4internet') },
      },
      { desc: 'IEEE 802.11-2020 J.10-style commit: group, scalar, element', hex: ['1300', SCALAR, ELEMENT], value: { group: 19, scalar: v.localScalar, element: v.localElement } },
      {
        desc: 'an empty password identifier',
        hex: ['1300', SCALAR, ELEMENT, 'ff0121'],
        value: { group: 19, scalar: v.localScalar, element: v.localElement, passwordIdentifier: Buffer.alloc(0) },
      },
      {
        desc: 'Rejected Groups and token container elements mean nothing with H&P: skipped',
        hex: ['1300', SCALAR, ELEMENT, 'ff035c', '1400', 'ff035d', 'abcd'],
        value: { group: 19, scalar: v.localScalar, element: v.localElement },
        encoded: ['1300', SCALAR, ELEMENT],
      },
      {
        desc: 'a vendor element is skipped',
        hex: ['1300', SCALAR, ELEMENT, 'dd03', '506f9a'],
        value: { group: 19, scalar: v.localScalar, element: v.localElement },
        encoded: ['1300', SCALAR, ELEMENT],
      },
    ],
    malformed: common,
    arbitrary: commitArbitrary('hnp'),
    numRuns: 200,
  },
);

runCodecTables<SaeCommitFields>(
  {
    name: 'SAE Commit body, hunting-and-pecking with a 32-octet anti-clogging token expected',
    decode: (b) => decodeCommitBody(b, { h2e: false, tokenLength: 32 }),
    encode: (f) => encodeCommitBody(f, false),
  },
  {
    valid: [
      {
        desc: 'group, token, scalar, element (hostapd sae_write_commit)',
        hex: ['1300', TOKEN, SCALAR, ELEMENT],
        value: { group: 19, token: bytes(32, 0xa5), scalar: v.localScalar, element: v.localElement },
      },
    ],
    malformed: [
      { desc: 'no token (group, scalar, element): answer 76 again', hex: ['1300', SCALAR, ELEMENT], code: 'truncated' },
      { desc: 'token only', hex: ['1300', TOKEN], code: 'truncated' },
    ],
    arbitrary: commitArbitrary('hnp-token'),
    numRuns: 200,
  },
);

runCodecTables<SaeCommitFields>(
  { name: 'SAE Commit body, H2E (status 126)', decode: (b) => decodeCommitBody(b, { h2e: true }), encode: (f) => encodeCommitBody(f, true) },
  {
    valid: [
      {
        desc: 'scalar, element, Password Identifier, Rejected Groups [20, 21], token container (hostapd order)',
        hex: ['1300', SCALAR, ELEMENT, 'ff0621', '6775657374', 'ff055c', '1400', '1500', 'ff215d', TOKEN],
        value: {
          group: 19,
          scalar: v.localScalar,
          element: v.localElement,
          passwordIdentifier: Buffer.from('guest'),
          rejectedGroups: [20, 21],
          token: bytes(32, 0xa5),
        },
      },
      {
        desc: 'the elements in another order, and an AKM Suite Selector element (skipped)',
        hex: ['1300', SCALAR, ELEMENT, 'ff215d', TOKEN, 'ff0572', '000fac18', 'ff035c', '1400'],
        value: { group: 19, scalar: v.localScalar, element: v.localElement, rejectedGroups: [20], token: bytes(32, 0xa5) },
        encoded: ['1300', SCALAR, ELEMENT, 'ff035c', '1400', 'ff215d', TOKEN],
      },
      { desc: 'no elements', hex: ['1300', SCALAR, ELEMENT], value: { group: 19, scalar: v.localScalar, element: v.localElement } },
    ],
    malformed: [
      ...common,
      { desc: 'Rejected Groups list of an odd length', hex: ['1300', SCALAR, ELEMENT, 'ff045c', '140015'], code: 'bad-length' },
      { desc: 'Rejected Groups element with no group', hex: ['1300', SCALAR, ELEMENT, 'ff015c'], code: 'bad-length' },
      { desc: 'two Rejected Groups elements', hex: ['1300', SCALAR, ELEMENT, 'ff035c', '1400', 'ff035c', '1500'], code: 'invalid' },
      { desc: 'empty token container', hex: ['1300', SCALAR, ELEMENT, 'ff015d'], code: 'bad-length' },
      { desc: 'two token containers', hex: ['1300', SCALAR, ELEMENT, 'ff025d', 'aa', 'ff025d', 'bb'], code: 'invalid' },
    ],
    arbitrary: commitArbitrary('h2e'),
    numRuns: 200,
  },
);

void describe('readCommitGroup', () => {
  const cases = [
    { desc: 'group 19', hex: '1300', want: 19 },
    { desc: 'group 20, the rest not read', hex: '1400ffff', want: 20 },
    { desc: 'group 0x0100 (little-endian)', hex: '0001', want: 256 },
  ];
  for (const c of cases) void it(c.desc, () => assert.deepEqual(readCommitGroup(hex(c.hex)), { ok: true, value: c.want }));
  void it('empty -> empty, one octet -> truncated', () => {
    const empty = readCommitGroup(new Uint8Array(0));
    const one = readCommitGroup(hex('13'));
    assert.ok(!empty.ok && !one.ok);
    assert.equal(empty.error.code, 'empty');
    assert.equal(one.error.code, 'truncated');
  });
});

void describe('decodeCommitBody options', () => {
  void it('a token length that is not a positive integer is refused, not thrown', () => {
    const got = decodeCommitBody(hex('1300', TOKEN, SCALAR, ELEMENT), { h2e: false, tokenLength: 0 });
    assert.ok(!got.ok);
    assert.equal(got.error.code, 'invalid');
  });
  void it('the token length is ignored with H2E (the token is in its container)', () => {
    const got = decodeCommitBody(hex('1300', SCALAR, ELEMENT), { h2e: true, tokenLength: 32 });
    assert.ok(got.ok && got.value.token === undefined);
  });
  void it('decoded fields are copies, not views of the frame', () => {
    const body = hex('1300', SCALAR, ELEMENT);
    const got = decodeCommitBody(body, { h2e: false });
    body.fill(0);
    assert.ok(got.ok);
    assert.deepEqual(got.value.scalar, v.localScalar);
  });
  void it('never throws on random bodies of any length, in either mode, with or without a token', () => {
    fc.assert(
      fc.property(buf({ maxLength: 400 }), fc.boolean(), fc.option(fc.integer({ min: -2, max: 300 }), { nil: undefined }), (b, h2e, tokenLength) => {
        const got = decodeCommitBody(b, { h2e, tokenLength });
        assert.equal(typeof got.ok, 'boolean');
      }),
      { numRuns: 1000 },
    );
  });
  void it('never throws on every truncation of a valid H2E body', () => {
    const body = hex('1300', SCALAR, ELEMENT, 'ff0621', '6775657374', 'ff055c', '1400', '1500', 'ff215d', TOKEN);
    for (let n = 0; n <= body.length; n++) {
      const got = decodeCommitBody(body.subarray(0, n), { h2e: true });
      assert.equal(got.ok, n === 2 + 96 || n === 2 + 96 + 8 || n === 2 + 96 + 8 + 7 || n === body.length, `length ${n}`);
    }
  });
});

void describe('encodeCommitBody refusals (RangeError)', () => {
  const base: SaeCommitFields = { group: 19, scalar: v.localScalar, element: v.localElement };
  const cases: { desc: string; fields: SaeCommitFields; h2e: boolean }[] = [
    { desc: 'group 65536', fields: { ...base, group: 0x10000 }, h2e: true },
    { desc: 'scalar of 31 octets', fields: { ...base, scalar: v.localScalar.subarray(1) }, h2e: true },
    { desc: 'element of 65 octets', fields: { ...base, element: Buffer.concat([v.localElement, hex('00')]) }, h2e: true },
    { desc: 'rejected groups with H&P', fields: { ...base, rejectedGroups: [20] }, h2e: false },
    { desc: 'an empty rejected groups list', fields: { ...base, rejectedGroups: [] }, h2e: true },
    { desc: 'a rejected group of 65536', fields: { ...base, rejectedGroups: [0x10000] }, h2e: true },
    { desc: 'a token of 255 octets in a container', fields: { ...base, token: bytes(255, 1) }, h2e: true },
    { desc: 'an empty token', fields: { ...base, token: Buffer.alloc(0) }, h2e: false },
    { desc: 'a password identifier of 255 octets', fields: { ...base, passwordIdentifier: bytes(255, 0x61) }, h2e: false },
  ];
  for (const c of cases) void it(c.desc, () => assert.throws(() => encodeCommitBody(c.fields, c.h2e), RangeError));
  void it('another group with group 19 sizes is encoded (a test station probing status 77)', () => {
    assert.deepEqual(encodeCommitBody({ ...base, group: 20 }, true).subarray(0, 2), hex('1400'));
  });
});

runCodecTables<SaeConfirmFields>(
  { name: 'SAE Confirm body (IEEE 802.11-2020 §12.4.7)', decode: decodeConfirmBody, encode: (c) => encodeConfirmBody(c.sendConfirm, c.confirm) },
  {
    valid: [
      {
        desc: 'IEEE 802.11-18/1104r0 local confirm (Send-Confirm 1)',
        hex: [v.localConfirm.subarray(0, 2).toString('hex'), v.localConfirm.subarray(2).toString('hex')],
        value: { sendConfirm: 1, confirm: Buffer.from(v.localConfirm.subarray(2)) },
      },
      { desc: 'Send-Confirm 0xfffe (little-endian)', hex: ['feff', TOKEN], value: { sendConfirm: 0xfffe, confirm: bytes(32, 0xa5) } },
      { desc: 'an element after the Confirm field is ignored', hex: ['0200', TOKEN, 'dd00'], value: { sendConfirm: 2, confirm: bytes(32, 0xa5) }, encoded: ['0200', TOKEN] },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'empty' },
      { desc: 'Send-Confirm only', hex: '0100', code: 'truncated' },
      { desc: 'Confirm one octet short', hex: ['0100', TOKEN.slice(2)], code: 'truncated' },
    ],
    arbitrary: fc.record({ sendConfirm: fc.integer({ min: 0, max: 0xffff }), confirm: buf({ minLength: 32, maxLength: 32 }).map(asBuffer) }, { noNullPrototype: true }),
  },
);

void describe('encodeConfirmBody refusals (RangeError)', () => {
  void it('Send-Confirm 65536 or -1, a confirm of 31 octets', () => {
    assert.throws(() => encodeConfirmBody(0x10000, bytes(32, 0)), RangeError);
    assert.throws(() => encodeConfirmBody(-1, bytes(32, 0)), RangeError);
    assert.throws(() => encodeConfirmBody(1, bytes(31, 0)), RangeError);
  });
});

runCodecTables<SaeAntiCloggingRequest>(
  { name: 'SAE anti-clogging request (status 76), H&P', decode: (b) => decodeAntiCloggingRequest(b, false), encode: (r) => encodeAntiCloggingRequest(r.group, r.token, false) },
  {
    valid: [{ desc: 'group 19 and a 32-octet token (hostapd auth_build_token_req)', hex: ['1300', TOKEN], value: { group: 19, token: bytes(32, 0xa5) } }],
    malformed: [
      { desc: 'empty', hex: '', code: 'empty' },
      { desc: 'one octet', hex: '13', code: 'truncated' },
      { desc: 'group without a token', hex: '1300', code: 'truncated' },
    ],
    arbitrary: fc.record({ group: fc.integer({ min: 0, max: 0xffff }), token: buf({ minLength: 1, maxLength: 300 }).map(asBuffer) }, { noNullPrototype: true }),
  },
);

runCodecTables<SaeAntiCloggingRequest>(
  { name: 'SAE anti-clogging request (status 76), H2E', decode: (b) => decodeAntiCloggingRequest(b, true), encode: (r) => encodeAntiCloggingRequest(r.group, r.token, true) },
  {
    valid: [
      { desc: 'group 19 and a token container (hostapd auth_build_token_req with h2e)', hex: ['1300', 'ff215d', TOKEN], value: { group: 19, token: bytes(32, 0xa5) } },
      { desc: 'an element after the container is ignored', hex: ['1300', 'ff035d', 'abcd', 'ff0a6b', '00'.repeat(10)], value: { group: 19, token: hex('abcd') }, encoded: ['1300', 'ff035d', 'abcd'] },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'empty' },
      { desc: 'group without a container', hex: '1300', code: 'truncated' },
      { desc: 'half a container header', hex: '1300ff21', code: 'truncated' },
      { desc: 'a bare token where the container should be', hex: ['1300', TOKEN], code: 'bad-type' },
      { desc: 'another extension element', hex: ['1300', 'ff0321', 'abcd'], code: 'bad-type' },
      { desc: 'container length past the body', hex: ['1300', 'ff215d', 'abcd'], code: 'length-overflow' },
      { desc: 'empty container', hex: ['1300', 'ff015d'], code: 'bad-length' },
    ],
    arbitrary: fc.record({ group: fc.integer({ min: 0, max: 0xffff }), token: buf({ minLength: 1, maxLength: 254 }).map(asBuffer) }, { noNullPrototype: true }),
  },
);

void describe('status codes and the status-77 body', () => {
  void it('the values of IEEE 802.11-2020 §9.4.1.9 (as in hostapd ieee802_11_defs.h)', () => {
    assert.deepEqual(SaeStatus, {
      SUCCESS: 0,
      UNSPECIFIED_FAILURE: 1,
      ANTI_CLOGGING_TOKEN_REQUIRED: 76,
      UNSUPPORTED_FINITE_CYCLIC_GROUP: 77,
      UNKNOWN_PASSWORD_IDENTIFIER: 123,
      SAE_HASH_TO_ELEMENT: 126,
      SAE_PK: 127,
    });
  });
  void it('encodeUnsupportedGroupBody(20) is the group, little-endian', () => {
    assert.deepEqual(encodeUnsupportedGroupBody(20), hex('1400'));
    assert.throws(() => encodeUnsupportedGroupBody(-1), RangeError);
  });
  void it('encodeAntiCloggingRequest refuses an empty token and a container over 254 octets', () => {
    assert.throws(() => encodeAntiCloggingRequest(19, new Uint8Array(0), false), RangeError);
    assert.throws(() => encodeAntiCloggingRequest(19, bytes(255, 1), true), RangeError);
  });
});
