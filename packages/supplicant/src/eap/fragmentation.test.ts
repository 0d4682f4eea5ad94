// Tests for EAP-TLS fragmentation and reassembly (RFC 5216 §2.1.5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EapTlsFlag } from '@airlock/rsn';
import { MAX_TLS_MESSAGE_LENGTH, TlsReassembly, fragmentTlsData } from './fragmentation.js';

const L = EapTlsFlag.LengthIncluded;
const M = EapTlsFlag.MoreFragments;

void describe('fragmentTlsData', () => {
  void it('data that fits is one payload without L (and empty data is the ACK)', () => {
    assert.deepEqual(fragmentTlsData(Buffer.alloc(300, 1), 300, 0), [{ flags: 0, version: 0, data: Buffer.alloc(300, 1) }]);
    assert.deepEqual(fragmentTlsData(Buffer.alloc(0), 300, 0), [{ flags: 0, version: 0, data: Buffer.alloc(0) }]);
  });

  void it('701 octets at 300: L+M with the total, M, then the last 101 octets without flags', () => {
    const data = Buffer.from(Array.from({ length: 701 }, (_, i) => i & 0xff));
    const out = fragmentTlsData(data, 300, 0);
    assert.deepEqual(out.map((p) => [p.flags, p.messageLength, p.data.length]), [
      [L | M, 701, 300],
      [M, undefined, 300],
      [0, undefined, 101],
    ]);
    assert.deepEqual(Buffer.concat(out.map((p) => p.data)), data);
  });

  void it('keeps the version in every fragment', () => {
    for (const p of fragmentTlsData(Buffer.alloc(10), 3, 1)) assert.equal(p.version, 1);
  });

  void it('rejects a fragment size below 1', () => {
    assert.throws(() => fragmentTlsData(Buffer.alloc(1), 0, 0), RangeError);
  });
});

void describe('TlsReassembly', () => {
  void it('reassembles what fragmentTlsData split, for any data and fragment size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 1500 }), (bytes, size) => {
        const data = Buffer.from(bytes);
        const r = new TlsReassembly();
        const fragments = fragmentTlsData(data, size, 0);
        fragments.forEach((p, i) => {
          const got = r.add(p);
          if (i < fragments.length - 1) assert.deepEqual(got, { kind: 'more' });
          else assert.deepEqual(got, { kind: 'complete', message: data });
        });
        assert.equal(r.inProgress, false);
      }),
      { numRuns: 200 },
    );
  });

  void it('accepts a first fragment without L (the length is optional on receipt) and L repeated on later fragments', () => {
    const r = new TlsReassembly();
    assert.equal(r.add({ flags: M, version: 0, data: Buffer.from('ab') }).kind, 'more');
    assert.equal(r.add({ flags: L | M, version: 0, messageLength: 99, data: Buffer.from('cd') }).kind, 'more');
    assert.deepEqual(r.add({ flags: 0, version: 0, data: Buffer.from('e') }), { kind: 'complete', message: Buffer.from('abcde') });
  });

  void it('an invalid fragment is reported and leaves the reassembly as it was', () => {
    const r = new TlsReassembly();
    assert.equal(r.add({ flags: L | M, version: 0, messageLength: 4, data: Buffer.from('ab') }).kind, 'more');
    assert.equal(r.add({ flags: M, version: 0, data: Buffer.from('cde') }).kind, 'invalid'); // beyond the announced 4
    assert.equal(r.add({ flags: M, version: 0, data: Buffer.alloc(0) }).kind, 'invalid'); // M without data
    assert.equal(r.add({ flags: 0, version: 0, data: Buffer.from('c') }).kind, 'invalid'); // ends at 3 of 4
    assert.deepEqual(r.add({ flags: 0, version: 0, data: Buffer.from('cd') }), { kind: 'complete', message: Buffer.from('abcd') });
  });

  void it(`refuses messages announced or grown beyond ${MAX_TLS_MESSAGE_LENGTH} octets`, () => {
    const r = new TlsReassembly();
    assert.equal(r.add({ flags: L | M, version: 0, messageLength: MAX_TLS_MESSAGE_LENGTH + 1, data: Buffer.alloc(1) }).kind, 'invalid');
    assert.equal(r.add({ flags: M, version: 0, data: Buffer.alloc(MAX_TLS_MESSAGE_LENGTH) }).kind, 'more');
    assert.equal(r.add({ flags: M, version: 0, data: Buffer.alloc(1) }).kind, 'invalid');
  });

  void it('an unfragmented message whose L disagrees with its data is invalid', () => {
    assert.equal(new TlsReassembly().add({ flags: L, version: 0, messageLength: 5, data: Buffer.alloc(4) }).kind, 'invalid');
  });
});
