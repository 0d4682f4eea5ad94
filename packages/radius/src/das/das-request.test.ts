// Tests for reading Disconnect-Request and CoA-Request attributes (RFC 5176 §3, §3.2, §3.5,
// §3.6): every NAK case with its Error-Cause, and what an accepted request says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex } from '@airlock/bytes/testing';
import { attrInt, attrIpv4, attrString } from '../codec/attributes.js';
import { Attr } from '../codec/constants.js';
import type { RadiusAttribute } from '../codec/packet.js';
import { taggedAttribute, taggedIntegerAttribute } from '../codec/tunnel.js';
import { vendorAttribute } from '../codec/vendor.js';
import { CISCO_AVPAIR, DasAttr, DasCode, ErrorCause, VENDOR_CISCO } from './das-constants.js';
import { interpretDasRequest, type DasNasMatcher } from './das-request.js';

const NAS: DasNasMatcher = { identifiers: new Set(['airlock-1']), addresses: new Set(['192.0.2.10', '2001:db8::10']) };
const DISCONNECT = DasCode.DisconnectRequest;
const COA = DasCode.CoaRequest;

const a = (type: number, value: Buffer | string): RadiusAttribute => ({ type, value: typeof value === 'string' ? attrString(value) : value });
const calling = (text = '02-00-00-00-01-00'): RadiusAttribute => a(Attr.CallingStationId, text);
const stamp = a(DasAttr.EventTimestamp, attrInt(1700000000));
const ma = a(Attr.MessageAuthenticator, Buffer.alloc(16));
const cisco = (pair: string): RadiusAttribute => vendorAttribute(VENDOR_CISCO, CISCO_AVPAIR, Buffer.from(pair));
const vlanAttrs = (id: string, tag = 1): RadiusAttribute[] => [
  taggedIntegerAttribute(Attr.TunnelType, tag, 13),
  taggedIntegerAttribute(Attr.TunnelMediumType, tag, 6),
  taggedAttribute(Attr.TunnelPrivateGroupId, tag, Buffer.from(id)),
];
const sessionTimeout = (s: number): RadiusAttribute => a(Attr.SessionTimeout, attrInt(s));
const authorizeOnly = a(Attr.ServiceType, attrInt(17));
const state = a(Attr.State, hex('cafe0001'));

function refusal(code: number, attrs: RadiusAttribute[]): number | undefined {
  const r = interpretDasRequest(code, attrs, NAS);
  if (r.ok) return undefined;
  assert.ok(r.error.detail.length > 0);
  return r.error.errorCause;
}

void describe('interpretDasRequest: NAKs (RFC 5176 §3.5)', () => {
  const cases: { desc: string; code: number; attrs: RadiusAttribute[]; cause: number }[] = [
    // 401 Unsupported Attribute
    { desc: 'Filter-Id in a CoA-Request', code: COA, attrs: [calling(), a(DasAttr.FilterId, 'guest')], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Reply-Message in a Disconnect-Request', code: DISCONNECT, attrs: [calling(), a(Attr.ReplyMessage, 'bye')], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Class in a Disconnect-Request', code: DISCONNECT, attrs: [calling(), a(Attr.Class, 'x')], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Service-Type in a Disconnect-Request', code: DISCONNECT, attrs: [calling(), authorizeOnly, state], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Session-Timeout in a Disconnect-Request', code: DISCONNECT, attrs: [calling(), sessionTimeout(60)], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Error-Cause in a request', code: DISCONNECT, attrs: [calling(), a(DasAttr.ErrorCause, attrInt(503))], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Acct-Terminate-Cause in a CoA-Request', code: COA, attrs: [calling(), sessionTimeout(60), a(Attr.AcctTerminateCause, attrInt(6))], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'Idle-Timeout in a CoA-Request', code: COA, attrs: [calling(), a(Attr.IdleTimeout, attrInt(60))], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'an Aruba vendor attribute', code: COA, attrs: [calling(), vendorAttribute(14823, 1, Buffer.from('guest'))], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'a Cisco-AVPair this NAS does not apply', code: COA, attrs: [calling(), cisco('ip:inacl=101')], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'a Cisco subscriber command in a Disconnect-Request', code: DISCONNECT, attrs: [calling(), cisco('subscriber:command=reauthenticate')], cause: ErrorCause.UnsupportedAttribute },
    // 404 Invalid Request
    { desc: 'two Calling-Station-Ids', code: DISCONNECT, attrs: [calling(), calling('02-00-00-00-02-00')], cause: ErrorCause.InvalidRequest },
    { desc: 'two Event-Timestamps are for the server; two User-Names here', code: DISCONNECT, attrs: [a(Attr.UserName, 'a'), a(Attr.UserName, 'b')], cause: ErrorCause.InvalidRequest },
    { desc: 'Authorize Only with a Session-Timeout', code: COA, attrs: [calling(), authorizeOnly, state, sessionTimeout(60)], cause: ErrorCause.InvalidRequest },
    { desc: 'Authorize Only with a Cisco reauthenticate', code: COA, attrs: [calling(), authorizeOnly, state, cisco('subscriber:command=reauthenticate')], cause: ErrorCause.InvalidRequest },
    // 407 Invalid Attribute Value
    { desc: 'a Calling-Station-Id that is not a MAC address', code: DISCONNECT, attrs: [calling('bob-laptop')], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'an empty Calling-Station-Id', code: DISCONNECT, attrs: [a(Attr.CallingStationId, Buffer.alloc(0))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'an empty User-Name', code: DISCONNECT, attrs: [a(Attr.UserName, Buffer.alloc(0))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a 5-octet NAS-IP-Address', code: DISCONNECT, attrs: [calling(), a(Attr.NasIpAddress, hex('c000020a00'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a 4-octet NAS-IPv6-Address', code: DISCONNECT, attrs: [calling(), a(DasAttr.NasIpv6Address, hex('c000020a'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a 2-octet Session-Timeout', code: COA, attrs: [calling(), a(Attr.SessionTimeout, hex('003c'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a 3-octet Acct-Terminate-Cause', code: DISCONNECT, attrs: [calling(), a(Attr.AcctTerminateCause, hex('000006'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a VLAN group ID that is a name', code: COA, attrs: [calling(), ...vlanAttrs('guests')], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'VLAN 4095', code: COA, attrs: [calling(), ...vlanAttrs('4095')], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a Tunnel-Type other than VLAN', code: COA, attrs: [calling(), taggedIntegerAttribute(Attr.TunnelType, 1, 3), taggedIntegerAttribute(Attr.TunnelMediumType, 1, 6), taggedAttribute(Attr.TunnelPrivateGroupId, 1, Buffer.from('42'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'Tunnel-Private-Group-ID alone', code: COA, attrs: [calling(), taggedAttribute(Attr.TunnelPrivateGroupId, 1, Buffer.from('42'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a malformed Vendor-Specific', code: COA, attrs: [calling(), a(Attr.VendorSpecific, hex('00000009 01'))], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a Cisco reauthenticate-type that is neither last nor rerun', code: COA, attrs: [calling(), cisco('subscriber:command=reauthenticate'), cisco('subscriber:reauthenticate-type=twice')], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'a Cisco-AVPair without "="', code: COA, attrs: [calling(), cisco('reauthenticate')], cause: ErrorCause.InvalidAttributeValue },
    // 405 Unsupported Service
    { desc: 'Service-Type Framed', code: COA, attrs: [calling(), a(Attr.ServiceType, attrInt(2))], cause: ErrorCause.UnsupportedService },
    { desc: 'Cisco subscriber:command=bounce-host-port', code: COA, attrs: [calling(), cisco('subscriber:command=bounce-host-port')], cause: ErrorCause.UnsupportedService },
    // 402 Missing Attribute
    { desc: 'Authorize Only without a State', code: COA, attrs: [calling(), authorizeOnly], cause: ErrorCause.MissingAttribute },
    { desc: 'no session identification (NAS attributes only)', code: DISCONNECT, attrs: [a(Attr.NasIdentifier, 'airlock-1'), stamp, ma], cause: ErrorCause.MissingAttribute },
    { desc: 'a Called-Station-Id alone (a BSS, not a session)', code: DISCONNECT, attrs: [a(Attr.CalledStationId, '02-00-00-00-00-01:corp')], cause: ErrorCause.MissingAttribute },
    { desc: 'a CoA-Request that changes nothing', code: COA, attrs: [calling(), stamp, ma], cause: ErrorCause.MissingAttribute },
    { desc: 'a Cisco reauthenticate-type without the command', code: COA, attrs: [calling(), cisco('subscriber:reauthenticate-type=last')], cause: ErrorCause.MissingAttribute },
    // 403 NAS Identification Mismatch
    { desc: 'another NAS-Identifier', code: DISCONNECT, attrs: [calling(), a(Attr.NasIdentifier, 'other-nas')], cause: ErrorCause.NasIdentificationMismatch },
    { desc: 'another NAS-IP-Address', code: DISCONNECT, attrs: [calling(), a(Attr.NasIpAddress, attrIpv4('192.0.2.11'))], cause: ErrorCause.NasIdentificationMismatch },
    { desc: 'another NAS-IPv6-Address', code: COA, attrs: [calling(), sessionTimeout(60), a(DasAttr.NasIpv6Address, hex('20010db8000000000000000000000011'))], cause: ErrorCause.NasIdentificationMismatch },
    { desc: 'our NAS-Identifier with another NAS-IP-Address', code: DISCONNECT, attrs: [calling(), a(Attr.NasIdentifier, 'airlock-1'), a(Attr.NasIpAddress, attrIpv4('10.0.0.1'))], cause: ErrorCause.NasIdentificationMismatch },
    // Order: 401 before 407 before 403 before 402.
    { desc: 'an unsupported attribute beside a bad value', code: DISCONNECT, attrs: [calling('nope'), a(DasAttr.FilterId, 'x')], cause: ErrorCause.UnsupportedAttribute },
    { desc: 'a bad value beside another NAS', code: DISCONNECT, attrs: [calling('nope'), a(Attr.NasIdentifier, 'other')], cause: ErrorCause.InvalidAttributeValue },
    { desc: 'another NAS and no session identification', code: DISCONNECT, attrs: [a(Attr.NasIdentifier, 'other')], cause: ErrorCause.NasIdentificationMismatch },
  ];
  for (const c of cases) {
    void it(`${c.desc} -> ${c.cause}`, () => {
      assert.equal(refusal(c.code, c.attrs), c.cause);
    });
  }
});

void describe('interpretDasRequest: accepted requests', () => {
  void it('a Disconnect-Request with every identification attribute', () => {
    const r = interpretDasRequest(DISCONNECT, [
      a(Attr.UserName, 'alice@example.org'),
      calling('02:00:00:00:01:00'),
      a(Attr.CalledStationId, '02-00-00-00-00-01:corp'),
      a(Attr.AcctSessionId, '5F3A2B1C00000001'),
      a(Attr.AcctMultiSessionId, 'multi-1'),
      a(DasAttr.ChargeableUserIdentity, hex('00ff10')),
      a(Attr.NasIdentifier, 'airlock-1'),
      a(Attr.NasIpAddress, attrIpv4('192.0.2.10')),
      a(DasAttr.NasIpv6Address, hex('20010db8000000000000000000000010')),
      a(Attr.AcctTerminateCause, attrInt(6)),
      a(DasAttr.ProxyState, 'p1'),
      a(DasAttr.ProxyState, 'p2'),
      state,
      cisco('audit-session-id=0A000001000000010001'),
      stamp,
      ma,
    ], NAS);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    assert.deepEqual(r.value, {
      kind: 'disconnect',
      session: {
        userName: 'alice@example.org',
        station: hex('020000000100'),
        callingStationId: '02:00:00:00:01:00',
        calledStationId: { text: '02-00-00-00-00-01:corp', bssid: hex('020000000001'), ssid: 'corp' },
        acctSessionId: '5F3A2B1C00000001',
        acctMultiSessionId: 'multi-1',
        chargeableUserIdentity: hex('00ff10'),
        ciscoAuditSessionId: '0A000001000000010001',
      },
      nas: { identifier: 'airlock-1', ipv4: '192.0.2.10', ipv6: '2001:db8::10' },
      acctTerminateCause: 6,
    });
  });

  void it('each session identifier alone is enough', () => {
    for (const attr of [a(Attr.UserName, 'bob'), calling('020000000100'), a(Attr.AcctSessionId, 'S1'), a(Attr.AcctMultiSessionId, 'M1'), a(DasAttr.ChargeableUserIdentity, 'cui'), cisco('audit-session-id=AB')]) {
      assert.ok(interpretDasRequest(DISCONNECT, [attr], NAS).ok, `type ${attr.type}`);
    }
  });

  void it('a CoA-Request: Session-Timeout and a VLAN (RFC 3580 §3.31, tagged as radclient sends it)', () => {
    const r = interpretDasRequest(COA, [calling(), sessionTimeout(600), ...vlanAttrs('42'), stamp, ma], NAS);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    assert.deepEqual(r.value.changes, { sessionTimeout: 600, vlan: 42 });
    assert.equal(r.value.kind, 'coa');
    assert.deepEqual(r.value.session.station, hex('020000000100'));
  });

  void it('a CoA-Request: untagged VLAN attributes', () => {
    const r = interpretDasRequest(COA, [calling(), a(Attr.TunnelType, hex('0000000d')), a(Attr.TunnelMediumType, hex('00000006')), a(Attr.TunnelPrivateGroupId, '7')], NAS);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    assert.equal(r.value.changes?.vlan, 7);
  });

  void it('Authorize Only with a State (RFC 5176 §3.2): a reauthentication carrying the State', () => {
    const r = interpretDasRequest(COA, [calling(), authorizeOnly, state], NAS);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    assert.deepEqual(r.value.changes, { reauthenticate: { signal: 'authorize-only', state: hex('cafe0001') } });
  });

  void it('Cisco subscriber:command=reauthenticate, with and without a type (ISE, PacketFence)', () => {
    const r = interpretDasRequest(COA, [calling(), cisco('subscriber:command=reauthenticate'), cisco('subscriber:reauthenticate-type=rerun'), cisco('audit-session-id=0A01')], NAS);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    assert.deepEqual(r.value.changes, { reauthenticate: { signal: 'cisco', type: 'rerun' } });
    assert.equal(r.value.session.ciscoAuditSessionId, '0A01');
    const plain = interpretDasRequest(COA, [a(Attr.UserName, 'bob'), vendorAttribute(VENDOR_CISCO, CISCO_AVPAIR, Buffer.from('Subscriber:Command=Reauthenticate'))], NAS);
    assert.ok(plain.ok, plain.ok ? '' : plain.error.detail);
    assert.deepEqual(plain.value.changes, { reauthenticate: { signal: 'cisco' } });
  });

  void it('a State beside other changes is echoed, not interpreted (RFC 5176 §3.3)', () => {
    const r = interpretDasRequest(COA, [calling(), sessionTimeout(30), state], NAS);
    assert.ok(r.ok);
    assert.deepEqual(r.value.changes, { sessionTimeout: 30 });
  });

  void it('values are copies: they outlive the datagram', () => {
    const cui = a(DasAttr.ChargeableUserIdentity, hex('0102'));
    const r = interpretDasRequest(DISCONNECT, [cui], NAS);
    assert.ok(r.ok);
    cui.value.fill(0);
    assert.deepEqual(r.value.session.chargeableUserIdentity, hex('0102'));
  });

  void it('never throws on arbitrary attributes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(DISCONNECT, COA),
        fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) }), { maxLength: 12 }),
        (code, attrs) => {
          const r = interpretDasRequest(code, attrs, NAS);
          if (!r.ok) assert.ok(r.error.errorCause >= 400 && r.error.errorCause < 600);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
