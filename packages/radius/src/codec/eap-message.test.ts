// Tests for EAP-Message fragmentation and reassembly (RFC 3579 §3.1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex } from '@airlock/bytes/testing';
import { buildAccessRequest } from './authenticator.js';
import { Attr } from './constants.js';
import { joinEapMessage, splitEapMessage } from './eap-message.js';
import { decodeRadius } from './packet.js';
import { WIRESHARK_EAP_MD5_CHALLENGE } from './testdata/vectors.js';

void describe('splitEapMessage', () => {
  void it('an EAP packet of 253 octets fits one attribute', () => {
    const parts = splitEapMessage(Buffer.alloc(253, 1));
    assert.equal(parts.length, 1);
    assert.equal(parts[0].type, Attr.EapMessage);
    assert.equal(parts[0].value.length, 253);
  });

  void it('254 octets split 253 + 1', () => {
    assert.deepEqual(splitEapMessage(Buffer.alloc(254, 2)).map((a) => a.value.length), [253, 1]);
  });

  void it('an EAP-TLS fragment of 1020 octets splits 253 + 253 + 253 + 253 + 8, in order', () => {
    const eap = Buffer.from(Array.from({ length: 1020 }, (_, i) => i & 0xff));
    const parts = splitEapMessage(eap);
    assert.deepEqual(parts.map((a) => a.value.length), [253, 253, 253, 253, 8]);
    assert.ok(parts.every((a) => a.type === Attr.EapMessage));
    assert.deepEqual(Buffer.concat(parts.map((a) => a.value)), eap);
  });

  void it('an empty buffer gives no attribute', () => {
    assert.deepEqual(splitEapMessage(Buffer.alloc(0)), []);
  });

  void it('split pieces travel in an Access-Request and join back after decoding', () => {
    const eap = Buffer.alloc(1400, 0x5a);
    const out = buildAccessRequest({ identifier: 1, requestAuthenticator: Buffer.alloc(16, 3), attributes: splitEapMessage(eap), secret: Buffer.from('s') });
    const p = decodeRadius(out);
    assert.ok(p.ok);
    assert.deepEqual(joinEapMessage(p.value.attributes), eap);
  });
});

void describe('joinEapMessage', () => {
  void it('joins the single EAP-Message of the Wireshark radius_localhost.pcapng Access-Challenge #2', () => {
    const p = decodeRadius(hex(WIRESHARK_EAP_MD5_CHALLENGE));
    assert.ok(p.ok);
    assert.equal(joinEapMessage(p.value.attributes)?.toString('hex'), '016700160410ff0bf1d6e401a9cbe5b46eb943e5549a');
  });

  void it('concatenates EAP-Message attributes in order, skipping others between them', () => {
    const attrs = [
      { type: Attr.EapMessage, value: hex('0102') },
      { type: Attr.State, value: hex('ff') },
      { type: Attr.EapMessage, value: hex('0304') },
    ];
    assert.equal(joinEapMessage(attrs)?.toString('hex'), '01020304');
  });

  void it('undefined when there is no EAP-Message', () => {
    assert.equal(joinEapMessage([{ type: Attr.State, value: hex('ff') }]), undefined);
    assert.equal(joinEapMessage([]), undefined);
  });

  void it('split then join is the identity', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), (b) => {
        const eap = Buffer.from(b);
        const parts = splitEapMessage(eap);
        assert.ok(parts.every((a) => a.value.length >= 1 && a.value.length <= 253));
        assert.deepEqual(joinEapMessage(parts), eap);
      }),
      { numRuns: 200 },
    );
  });
});
