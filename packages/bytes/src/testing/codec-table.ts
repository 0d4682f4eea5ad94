/**
 * The one test helper every codec goes through (CONVENTIONS 7; dns-packet's shared codec
 * check, mdlayher's case tables): valid cases, malformed cases, round trips and fast-check
 * properties, registered as node:test suites. Used by the codecs of packages/rsn (EAPOL,
 * EAPOL-Key, RSNE, Key Data, EAP), packages/radius and the agent's frame codecs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DecodeErrorCode, Result } from '../result.js';

/** Hex text: one string, or one string per field (joined); whitespace is ignored. */
export type Hex = string | readonly string[];

/** The bytes of `h`; throws (a bug in the test table) on odd length or non-hex characters. */
export function hex(h: Hex): Buffer {
  const text = typeof h === 'string' ? h : h.join('');
  let digits = '';
  for (const ch of text) {
    if (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r') continue;
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) {
      throw new Error(`hex(): not a hex digit: ${JSON.stringify(ch)}`);
    }
    digits += ch;
  }
  if (digits.length % 2 !== 0) throw new Error(`hex(): odd number of digits (${digits.length})`);
  return Buffer.from(digits, 'hex');
}

/** A codec under test: a decoder of untrusted bytes and its encoder. */
export interface Codec<T> {
  /** Suite name, e.g. 'EAPOL-Key (IEEE 802.11-2020 §12.7.2)'. */
  name: string;
  /** Must never throw. */
  decode(bytes: Uint8Array): Result<T>;
  /** May throw RangeError on values it cannot encode; never on a decoded value. */
  encode(value: T): Uint8Array;
}

/** Bytes that decode to `value`; encode(value) gives the bytes back (or `encoded`). */
export interface ValidCase<T> {
  /** What the case is and where the bytes come from. */
  desc: string;
  /** The input, one field per line. */
  hex: Hex;
  /** The expected decoded value (deepStrictEqual). */
  value: T;
  /** What encode(value) gives when it is not the input, e.g. when the decoder ignores trailing padding. */
  encoded?: Hex;
}

/** Bytes the decoder must reject with `code`. */
export interface MalformedCase {
  /** What is wrong with the bytes. */
  desc: string;
  /** The input, one field per line. */
  hex: Hex;
  /** The expected error code. */
  code: DecodeErrorCode;
}

/** A value that must survive encode then decode unchanged. */
export interface RoundTripCase<T> {
  /** What the value exercises. */
  desc: string;
  /** The value. */
  value: T;
}

/** The four tables of CONVENTIONS 7 for one codec; every part is optional. */
export interface CodecTables<T> {
  /** Published or captured frames with their decoded values. */
  valid?: readonly ValidCase<T>[];
  /** Inputs the decoder rejects, with the named error expected. */
  malformed?: readonly MalformedCase[];
  /** Values for encode -> decode. */
  roundTrip?: readonly RoundTripCase<T>[];
  /**
   * Generator of encodable values, checked with encode -> decode by fast-check. Values are
   * compared with deepStrictEqual, prototypes included: build records with
   * fc.record(..., { noNullPrototype: true }).
   */
  arbitrary?: fc.Arbitrary<T>;
  /** Runs per fast-check property (default 400). */
  numRuns?: number;
  /** Longest arbitrary byte string in octets (default 300). */
  maxLength?: number;
}

/** `bytes` copied into a larger ArrayBuffer at an odd offset, as a plain Uint8Array view. */
function offsetView(bytes: Uint8Array): Uint8Array {
  const backing = new Uint8Array(bytes.length + 7).fill(0xa5);
  backing.set(bytes, 3);
  return backing.subarray(3, 3 + bytes.length);
}

/**
 * Decodes `bytes` (which must not throw); when that succeeds, encodes the value and decodes
 * again, and requires the same value: decode -> encode -> decode is stable.
 */
export function assertDecodeStable<T>(codec: Codec<T>, bytes: Uint8Array): void {
  const first = codec.decode(bytes);
  if (!first.ok) {
    assert.equal(typeof first.error.code, 'string');
    assert.equal(typeof first.error.detail, 'string');
    return;
  }
  const reencoded = codec.encode(first.value);
  const second = codec.decode(reencoded);
  assert.ok(second.ok, `re-encoded value does not decode: ${second.ok ? '' : second.error.code + ' ' + second.error.detail}`);
  assert.deepStrictEqual(second.value, first.value);
}

/** Arbitrary mutations of `seeds`: overwritten octets, truncation, appended octets. */
function mutations(seeds: readonly Buffer[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ seed, edits, cut, tail }) => {
      let bytes = Uint8Array.from(seed);
      if (bytes.length > 0) for (const [at, v] of edits) bytes[at % bytes.length] = v;
      if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      if (tail.length > 0) {
        const joined = new Uint8Array(bytes.length + tail.length);
        joined.set(bytes, 0);
        joined.set(tail, bytes.length);
        bytes = joined;
      }
      return bytes;
    });
}

/**
 * Registers the tests of `tables` for `codec` under describe(codec.name):
 *  1. valid: each hex decodes to its value (also from an unaligned plain Uint8Array view),
 *     and encoding that value gives the input back (or `encoded`);
 *  2. malformed: each hex fails with its code and a detail;
 *  3. round trip: each value survives encode -> decode;
 *  4. properties: decode never throws on arbitrary bytes nor on mutations of the table
 *     inputs, and decode -> encode -> decode is stable; with `arbitrary`, generated values
 *     survive encode -> decode.
 */
export function runCodecTables<T>(codec: Codec<T>, tables: CodecTables<T>): void {
  const numRuns = tables.numRuns ?? 400;
  const maxLength = tables.maxLength ?? 300;
  void describe(codec.name, () => {
    if (tables.valid?.length) {
      void describe('valid', () => {
        for (const c of tables.valid ?? []) {
          void it(c.desc, () => {
            const input = hex(c.hex);
            const got = codec.decode(input);
            assert.ok(got.ok, `decode failed: ${got.ok ? '' : got.error.code + ': ' + got.error.detail}`);
            assert.deepStrictEqual(got.value, c.value);
            const fromView = codec.decode(offsetView(input));
            assert.ok(fromView.ok, 'decode of an unaligned Uint8Array view failed');
            assert.deepStrictEqual(fromView.value, c.value);
            const expected = c.encoded === undefined ? input : hex(c.encoded);
            assert.equal(Buffer.from(codec.encode(c.value)).toString('hex'), expected.toString('hex'));
          });
        }
      });
    }
    if (tables.malformed?.length) {
      void describe('malformed', () => {
        for (const c of tables.malformed ?? []) {
          void it(c.desc, () => {
            const got = codec.decode(hex(c.hex));
            assert.ok(!got.ok, 'decode accepted a malformed input');
            assert.equal(got.error.code, c.code, `got ${got.error.code}: ${got.error.detail}`);
            assert.ok(got.error.detail.length > 0, 'error without detail');
          });
        }
      });
    }
    if (tables.roundTrip?.length) {
      void describe('round trip', () => {
        for (const c of tables.roundTrip ?? []) {
          void it(c.desc, () => {
            const got = codec.decode(codec.encode(c.value));
            assert.ok(got.ok, `decode of the encoding failed: ${got.ok ? '' : got.error.code + ': ' + got.error.detail}`);
            assert.deepStrictEqual(got.value, c.value);
          });
        }
      });
    }
    void describe('properties', () => {
      void it('decode never throws on arbitrary bytes; decode -> encode -> decode is stable', () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength }), (bytes) => assertDecodeStable(codec, bytes)),
          { numRuns },
        );
      });
      const seeds = [...(tables.valid ?? []), ...(tables.malformed ?? [])].map((c) => hex(c.hex));
      if (seeds.length > 0) {
        void it('decode never throws on mutations of the table inputs; decode -> encode -> decode is stable', () => {
          fc.assert(
            fc.property(mutations(seeds), (bytes) => assertDecodeStable(codec, bytes)),
            { numRuns: numRuns * 4 },
          );
        });
      }
      const arbitrary = tables.arbitrary;
      if (arbitrary !== undefined) {
        void it('encode -> decode returns generated values', () => {
          fc.assert(
            fc.property(arbitrary, (value) => {
              const got = codec.decode(codec.encode(value));
              assert.ok(got.ok, `decode of the encoding failed: ${got.ok ? '' : got.error.code + ': ' + got.error.detail}`);
              assert.deepStrictEqual(got.value, value);
            }),
            { numRuns },
          );
        });
      }
    });
  });
}
