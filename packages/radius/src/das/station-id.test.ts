// Tests for MAC addresses and Called-Station-Id as text (RFC 3580 §3.20, §3.21, and the
// forms policy servers write).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex, runCodecTables } from '@airlock/bytes/testing';
import { decodeMacText, encodeMacText, parseCalledStationId } from './station-id.js';

const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const MAC = hex('02 00 00 ab cd ef');

runCodecTables<Buffer>(
  { name: 'MAC address text (Calling-Station-Id)', decode: decodeMacText, encode: encodeMacText },
  {
    valid: [
      { desc: 'RFC 3580 §3.21 form, upper case', hex: ascii('02-00-00-AB-CD-EF'), value: MAC },
      { desc: 'dashes, lower case', hex: ascii('02-00-00-ab-cd-ef'), value: MAC, encoded: ascii('02-00-00-AB-CD-EF') },
      { desc: 'colons', hex: ascii('02:00:00:ab:CD:ef'), value: MAC, encoded: ascii('02-00-00-AB-CD-EF') },
      { desc: 'twelve hex digits', hex: ascii('020000abcdef'), value: MAC, encoded: ascii('02-00-00-AB-CD-EF') },
      { desc: 'twelve hex digits, upper case', hex: ascii('020000ABCDEF'), value: MAC, encoded: ascii('02-00-00-AB-CD-EF') },
      { desc: 'Cisco dotted', hex: ascii('0200.00ab.cdef'), value: MAC, encoded: ascii('02-00-00-AB-CD-EF') },
    ],
    malformed: [
      { desc: 'empty', hex: '', code: 'empty' },
      { desc: 'eleven digits', hex: ascii('020000abcde'), code: 'bad-length' },
      { desc: 'with a trailing NUL', hex: ascii('02-00-00-ab-cd-ef') + '00', code: 'bad-length' },
      { desc: 'with ":SSID" (a Called-Station-Id)', hex: ascii('02-00-00-ab-cd-ef:corp'), code: 'bad-length' },
      { desc: 'mixed separators', hex: ascii('02-00:00-ab-cd-ef'), code: 'invalid' },
      { desc: 'dots between pairs', hex: ascii('02.00.00.ab.cd.ef'), code: 'invalid' },
      { desc: 'a non-hex digit', hex: ascii('02-00-00-ab-cd-eg'), code: 'invalid' },
      { desc: 'a space where a digit belongs', hex: ascii('02-00-00-ab-cd- f'), code: 'invalid' },
      { desc: 'dotted with the dots misplaced', hex: ascii('02000.0abc.def'), code: 'invalid' },
      { desc: 'twelve characters that are not hex', hex: ascii('0x0000abcdef'), code: 'invalid' },
    ],
    arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Buffer.from(b)),
  },
);

void describe('Called-Station-Id (RFC 3580 §3.20)', () => {
  void it('reads BSSID and SSID in each MAC form', () => {
    for (const text of ['02-00-00-AB-CD-EF:corp wifi', '02:00:00:ab:cd:ef:corp wifi', '020000abcdef:corp wifi', '0200.00ab.cdef:corp wifi']) {
      const got = parseCalledStationId(Buffer.from(text));
      assert.equal(got.text, text);
      assert.deepEqual(got.bssid, MAC, text);
      assert.equal(got.ssid, 'corp wifi', text);
    }
  });
  void it('a BSSID alone, an empty SSID, and text that is not a MAC', () => {
    assert.deepEqual(parseCalledStationId(Buffer.from('02-00-00-AB-CD-EF')), { text: '02-00-00-AB-CD-EF', bssid: MAC });
    assert.deepEqual(parseCalledStationId(Buffer.from('02-00-00-AB-CD-EF:')), { text: '02-00-00-AB-CD-EF:', bssid: MAC, ssid: '' });
    assert.deepEqual(parseCalledStationId(Buffer.from('ap-lobby')), { text: 'ap-lobby' });
    assert.deepEqual(parseCalledStationId(Buffer.from('02-00-00-AB-CD-EFX')), { text: '02-00-00-AB-CD-EFX' });
  });
  void it('never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void parseCalledStationId(b)), { numRuns: 500 });
  });
});
