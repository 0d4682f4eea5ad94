// Framing RADIUS records out of a TLS stream (RFC 6614 over RFC 6613's stream rules): by the
// Length field, across reads and several per read, and refusing Lengths outside 20..4096.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { RecordReader } from './record-reader.js';

/** A record of `length` octets: Code, Identifier, Length, then `fill` up to the length. */
function record(id: number, length: number, fill = id): Buffer {
  const b = Buffer.alloc(length, fill);
  b[0] = 2; // Code: Access-Accept
  b[1] = id; // Identifier
  b.writeUInt16BE(length, 2); // Length
  return b;
}

/** A header claiming `length` (no body). */
function header(length: number): Buffer {
  return Buffer.from([
    2, // Code
    7, // Identifier
    length >> 8, length & 0xff, // Length
  ]);
}

/** Feeds `chunks` and returns the records, or the error code and Length. */
function feed(chunks: Buffer[]): { records: Buffer[]; error?: string; length?: number; buffered: number } {
  const r = new RecordReader();
  const records: Buffer[] = [];
  for (const c of chunks) {
    const out = r.push(c);
    if (!out.ok) return { records, error: out.error.code, length: out.error.length, buffered: r.buffered };
    records.push(...out.value);
  }
  return { records, buffered: r.buffered };
}

describe('RecordReader: whole, split and coalesced records', () => {
  const a = record(1, 20);
  const b = record(2, 44);
  const big = record(3, 4096);
  const cases: { desc: string; chunks: Buffer[]; want: Buffer[]; buffered?: number }[] = [
    { desc: 'one record in one read', chunks: [a], want: [a] },
    { desc: 'two records coalesced in one read', chunks: [Buffer.concat([a, b])], want: [a, b] },
    { desc: 'a record split inside its header (before the Length)', chunks: [b.subarray(0, 2), b.subarray(2)], want: [b] },
    { desc: 'a record split between the Length octets', chunks: [b.subarray(0, 3), b.subarray(3)], want: [b] },
    { desc: 'a record split in its attributes', chunks: [b.subarray(0, 30), b.subarray(30)], want: [b] },
    { desc: 'the end of one record and the start of the next in one read', chunks: [Buffer.concat([a, b]).subarray(0, 25), Buffer.concat([a, b]).subarray(25)], want: [a, b] },
    { desc: 'one octet per read', chunks: [...Buffer.concat([a, b])].map((o) => Buffer.from([o])), want: [a, b] },
    { desc: 'the largest record, 4096 octets, in pieces', chunks: [big.subarray(0, 1000), big.subarray(1000, 4000), big.subarray(4000)], want: [big] },
    { desc: 'an empty read', chunks: [Buffer.alloc(0), a], want: [a] },
    { desc: 'a partial record waits', chunks: [b.subarray(0, 10)], want: [], buffered: 10 },
  ];
  for (const tc of cases) {
    it(tc.desc, () => {
      const got = feed(tc.chunks);
      assert.equal(got.error, undefined);
      assert.deepEqual(got.records, tc.want);
      assert.equal(got.buffered, tc.buffered ?? 0);
    });
  }

  it('records are copies: changing the read buffer afterwards changes no record', () => {
    const chunk = Buffer.concat([a, b]);
    const r = new RecordReader();
    const out = r.push(chunk);
    assert.ok(out.ok);
    chunk.fill(0);
    assert.deepEqual(out.value, [record(1, 20), record(2, 44)]);
  });
});

describe('RecordReader: Lengths outside 20..4096 drop the stream', () => {
  const cases: { desc: string; chunks: Buffer[]; error: string; length: number; records?: number }[] = [
    { desc: 'Length 0', chunks: [header(0)], error: 'record-too-short', length: 0 },
    { desc: 'Length 19, one below the header', chunks: [header(19)], error: 'record-too-short', length: 19 },
    { desc: 'Length 4097, one above the largest packet', chunks: [header(4097)], error: 'record-too-long', length: 4097 },
    { desc: 'Length 65535', chunks: [header(65535)], error: 'record-too-long', length: 65535 },
    { desc: 'refused as soon as the Length is read, before its body', chunks: [header(5000).subarray(0, 3), header(5000).subarray(3)], error: 'record-too-long', length: 5000 },
    { desc: 'after a good record in the same read', chunks: [Buffer.concat([record(1, 20), header(4)])], error: 'record-too-short', length: 4 },
  ];
  for (const tc of cases) {
    it(tc.desc, () => {
      const got = feed(tc.chunks);
      assert.equal(got.error, tc.error);
      assert.equal(got.length, tc.length);
      assert.equal(got.buffered, 0, 'nothing kept');
    });
  }

  it('after an error every later read returns it again', () => {
    const r = new RecordReader();
    assert.equal(r.push(header(3)).ok, false);
    const again = r.push(record(1, 20));
    assert.ok(!again.ok);
    assert.equal(again.error.code, 'record-too-short');
  });
});

describe('RecordReader: properties', () => {
  it('any split of a stream of valid records gives back the same records', () => {
    const arbRecord = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 20, max: 4096 })).map(([id, len]) => record(id, len));
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 20 }), (records, cuts) => {
        const stream = Buffer.concat(records);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const c of cuts) {
          if (at >= stream.length) break;
          chunks.push(stream.subarray(at, at + c));
          at += c;
        }
        if (at < stream.length) chunks.push(stream.subarray(at));
        const got = feed(chunks);
        assert.equal(got.error, undefined);
        assert.deepEqual(got.records, records);
      }),
    );
  });

  it('arbitrary bytes never throw, and what comes out is records of 20..4096 octets matching their Length', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const got = feed(chunks.map((c) => Buffer.from(c)));
        for (const r of got.records) {
          assert.ok(r.length >= 20 && r.length <= 4096);
          assert.equal(r.readUInt16BE(2), r.length);
        }
      }),
    );
  });
});
