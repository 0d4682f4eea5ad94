// Tests for IP addresses as text (RFC 4291 §2.2 input, RFC 5952 §4 canonical output).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalIpAddress, formatIpAddress, parseIpAddress } from './ip-address.js';

void describe('IP address text', () => {
  void it('canonical forms (RFC 5952 §4)', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', '127.0.0.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // the first of two equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
      ['fe80::1:2', 'fe80::1:2'],
      ['::ffff:10.0.0.1', '10.0.0.1'], // IPv4-mapped: the IPv4 address
      ['::FFFF:0a00:0001', '10.0.0.1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalIpAddress(input), want, input);
  });
  void it('refuses what is not an address', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1.2.3.-4', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'fe80::1%eth0', 'g::1', '12345::', 'localhost', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4']) {
      assert.equal(parseIpAddress(bad), undefined, bad);
    }
    assert.equal(formatIpAddress(Buffer.alloc(5)), undefined);
  });
  void it('format -> parse -> format is stable for any 16 or 4 octets', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 4, maxLength: 4 })), (b) => {
        const text = formatIpAddress(b)!;
        assert.equal(formatIpAddress(parseIpAddress(text)!), text);
      }),
      { numRuns: 1000 },
    );
  });
  void it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => void parseIpAddress(s)), { numRuns: 1000 });
  });
});
