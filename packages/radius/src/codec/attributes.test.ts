// Tests for attribute value builders and readers (RFC 2865 §5, RFC 7268 §2.14-§2.17).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hex } from '@airlock/bytes/testing';
import { attrInt, attrIpv4, attrString, getAttribute, getAttributes, readInt, readIpv4, wlanSuiteValue } from './attributes.js';
import { Attr } from './constants.js';
import { decodeRadius } from './packet.js';
import { RFC2865_7_1_REQUEST } from './testdata/vectors.js';

void describe('attribute values', () => {
  void it('reads the RFC 2865 §7.1 Access-Request attributes: User-Name "nemo", NAS-IP-Address 192.168.1.16, NAS-Port 3', () => {
    const p = decodeRadius(hex(RFC2865_7_1_REQUEST));
    assert.ok(p.ok);
    const attrs = p.value.attributes;
    assert.equal(getAttribute(attrs, Attr.UserName)?.toString(), 'nemo');
    assert.equal(readIpv4(getAttribute(attrs, Attr.NasIpAddress)!), '192.168.1.16');
    assert.equal(readInt(getAttribute(attrs, Attr.NasPort)!), 3);
    assert.deepEqual(attrString('nemo'), getAttribute(attrs, Attr.UserName));
    assert.deepEqual(attrIpv4('192.168.1.16'), getAttribute(attrs, Attr.NasIpAddress));
    assert.deepEqual(attrInt(3), getAttribute(attrs, Attr.NasPort));
    assert.equal(getAttribute(attrs, Attr.State), undefined);
  });

  void it('getAttributes returns every value of a type in order', () => {
    const attrs = [
      { type: Attr.Class, value: hex('01') },
      { type: Attr.UserName, value: hex('02') },
      { type: Attr.Class, value: hex('03') },
    ];
    assert.deepEqual(getAttributes(attrs, Attr.Class), [hex('01'), hex('03')]);
    assert.deepEqual(getAttributes(attrs, Attr.State), []);
  });

  void it('attrString is UTF-8', () => {
    assert.equal(attrString('AA-BB-CC-DD-EE-FF:Café').toString('hex'), Buffer.from('AA-BB-CC-DD-EE-FF:Caf\u00e9', 'utf8').toString('hex'));
  });

  void it('attrInt is 32-bit big-endian; readInt needs exactly 4 octets', () => {
    assert.equal(attrInt(0xfffffffe).toString('hex'), 'fffffffe');
    assert.equal(readInt(hex('000005dc')), 1500);
    assert.equal(readInt(hex('0005dc')), undefined);
    assert.equal(readInt(hex('00000005dc')), undefined);
    assert.throws(() => attrInt(-1), RangeError);
    assert.throws(() => attrInt(2 ** 32), RangeError);
    assert.throws(() => attrInt(1.5), RangeError);
  });

  void it('attrIpv4 accepts dotted quads only', () => {
    assert.equal(attrIpv4('0.0.0.0').toString('hex'), '00000000');
    assert.equal(attrIpv4('255.255.255.255').toString('hex'), 'ffffffff');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1.2.3.4 ', '::1']) {
      assert.throws(() => attrIpv4(bad), RangeError, bad);
    }
    assert.equal(readIpv4(hex('0a0000')), undefined);
  });

  void it('wlanSuiteValue: CCMP-128 00-0F-AC:4 is 000fac04 (RFC 7268 §2.14); AKM 00-0F-AC:1 is 000fac01 (§2.16)', () => {
    assert.equal(wlanSuiteValue(0x000fac04).toString('hex'), '000fac04');
    assert.equal(wlanSuiteValue(0x000fac01).toString('hex'), '000fac01');
    assert.throws(() => wlanSuiteValue(2 ** 32), RangeError);
  });
});
