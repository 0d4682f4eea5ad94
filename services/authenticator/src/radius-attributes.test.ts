// The RADIUS attributes the authenticator sends and reads (RFC 2865, 2866, 3579, 3580, 7268).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attr, attrInt, attrString, getAttribute, getAttributes, joinEapMessage, RadiusCode, readInt, taggedAttribute, vendorAttribute } from '@airlock/radius';
import { AKM, CIPHER, type Effect } from '@airlock/rsn';
import { accessRequestAttributes, accountingAttributes, AcctStatus, outcomeOf, stationId } from './radius-attributes.js';

const BSSID = Buffer.from('02a1000100ff', 'hex');
const STA = Buffer.from('025a0001000a', 'hex');
const NAS = { identifier: 'ap-hall', ipAddress: '192.0.2.1' };

function request(eap: Buffer, state?: Buffer): Extract<Effect, { type: 'radius-request' }> {
  return { type: 'radius-request', ref: 1, bssid: BSSID, sta: STA, agentId: 'ap-1', ssid: Buffer.from('corp'), identity: 'alice', eap, state, akm: AKM.IEEE8021X, pairwiseCipher: CIPHER.CCMP_128, groupCipher: CIPHER.CCMP_128, acctSessionId: '0A0B0C0D00000001' };
}

void describe('RADIUS attributes of an Access-Request (RFC 3579, RFC 3580 §3, RFC 7268)', () => {
  void it('station ids are upper-case hex with dashes (RFC 3580 §3.20, §3.21)', () => {
    assert.equal(stationId(BSSID), '02-A1-00-01-00-FF');
  });

  void it('carries the NAS, station, session and WLAN attributes hostapd sends, and the EAP-Response', () => {
    const eap = Buffer.concat([Buffer.from([2, 7, 0x01, 0x2c]), Buffer.alloc(296, 0xab)]); // 300 octets
    const a = accessRequestAttributes(request(eap), NAS);
    assert.equal(getAttribute(a, Attr.UserName)?.toString(), 'alice');
    assert.equal(getAttribute(a, Attr.NasIdentifier)?.toString(), 'ap-hall');
    assert.deepEqual(getAttribute(a, Attr.NasIpAddress), Buffer.from([192, 0, 2, 1]));
    assert.equal(readInt(getAttribute(a, Attr.NasPortType)!), 19, 'Wireless - IEEE 802.11');
    assert.equal(readInt(getAttribute(a, Attr.ServiceType)!), 2, 'Framed');
    assert.equal(readInt(getAttribute(a, Attr.FramedMtu)!), 1400);
    assert.equal(getAttribute(a, Attr.CalledStationId)?.toString(), '02-A1-00-01-00-FF:corp');
    assert.equal(getAttribute(a, Attr.CallingStationId)?.toString(), '02-5A-00-01-00-0A');
    assert.equal(getAttribute(a, Attr.AcctSessionId)?.toString(), '0A0B0C0D00000001');
    assert.equal(readInt(getAttribute(a, Attr.WlanPairwiseCipher)!), 0x000fac04);
    assert.equal(readInt(getAttribute(a, Attr.WlanGroupCipher)!), 0x000fac04);
    assert.equal(readInt(getAttribute(a, Attr.WlanAkmSuite)!), 0x000fac01);
    assert.deepEqual(getAttributes(a, Attr.EapMessage).map((v) => v.length), [253, 47], 'EAP-Message split at 253 octets');
    assert.deepEqual(joinEapMessage(a), eap);
    assert.equal(getAttribute(a, Attr.State), undefined, 'no State before the first challenge');
  });

  void it("a station's later requests reuse what does not change, and see what does (identity, session, SSID, NAS)", () => {
    const sta = Buffer.from('025a0001000b', 'hex');
    const bssid = Buffer.from('02a1000100fe', 'hex');
    const nas = { identifier: 'ap-hall', ipAddress: '' };
    const base = { ...request(Buffer.from([2, 1, 0, 5, 1])), sta, bssid };
    const first = accessRequestAttributes(base, nas);
    const again = accessRequestAttributes({ ...base, eap: Buffer.from([2, 2, 0, 5, 1]) }, nas);
    assert.equal(getAttribute(again, Attr.CallingStationId), getAttribute(first, Attr.CallingStationId), 'the same value, not a copy');
    assert.equal(getAttribute(again, Attr.NasIpAddress), undefined, 'no NAS-IP-Address configured');
    const cases: { desc: string; change: Partial<Extract<Effect, { type: 'radius-request' }>>; nas?: typeof nas; type: number; want: string }[] = [
      { desc: 'another identity', change: { identity: 'bob' }, type: Attr.UserName, want: 'bob' },
      { desc: 'another accounting session', change: { acctSessionId: 'S2' }, type: Attr.AcctSessionId, want: 'S2' },
      { desc: 'the BSS now serves another SSID', change: { ssid: Buffer.from('guest') }, type: Attr.CalledStationId, want: '02-A1-00-01-00-FE:guest' },
      { desc: 'a reloaded NAS identity', change: {}, nas: { identifier: 'ap-new', ipAddress: '' }, type: Attr.NasIdentifier, want: 'ap-new' },
    ];
    for (const c of cases) {
      accessRequestAttributes(base, nas); // what is remembered is the base request's
      const a = accessRequestAttributes({ ...base, ...c.change }, c.nas ?? nas);
      assert.equal(getAttribute(a, c.type)?.toString(), c.want, c.desc);
    }
    assert.equal(getAttribute(accessRequestAttributes({ ...base, identity: '' }, nas), Attr.UserName), undefined, 'no identity: no User-Name');
  });

  void it('echoes the State of the last Access-Challenge', () => {
    const state = Buffer.from('state-from-server');
    assert.deepEqual(getAttribute(accessRequestAttributes(request(Buffer.from([2, 1, 0, 5, 1]), state), NAS), Attr.State), state);
  });
});

void describe('Accounting-Request attributes (RFC 2866)', () => {
  const start: Extract<Effect, { type: 'accounting' }> = {
    type: 'accounting', kind: 'stop', bssid: BSSID, sta: STA, agentId: 'ap-1', ssid: Buffer.from('corp'), identity: 'alice', classes: [Buffer.from('staff')],
    acctSessionId: 'S1', acctMultiSessionId: 'M1', akm: AKM.PSK, pairwiseCipher: CIPHER.CCMP_128, groupCipher: CIPHER.CCMP_128, sessionTimeS: 90, terminateCause: 1, authentic: 'local',
  };

  void it('a Stop carries session time, 64-bit counters split into Octets and Gigawords, the cause and Class', () => {
    const traffic = { rxBytes: (5n << 32n) + 7n, txBytes: 1000n, rxPackets: 3n, txPackets: 4n };
    const a = accountingAttributes(start, AcctStatus.Stop, NAS, traffic, 90, 1_700_000_000);
    assert.equal(readInt(getAttribute(a, Attr.AcctStatusType)!), 2);
    assert.equal(readInt(getAttribute(a, Attr.AcctAuthentic)!), 2, 'Local for a PSK station');
    for (const [authentic, want] of [['local', 2], ['radius', 1]] as const) {
      assert.equal(readInt(getAttribute(accountingAttributes({ ...start, authentic }, AcctStatus.Stop, NAS, traffic, 90, 1_700_000_000), Attr.AcctAuthentic)!), want, `Acct-Authentic for ${authentic}`);
    }
    assert.equal(readInt(getAttribute(a, Attr.AcctSessionTime)!), 90);
    assert.equal(readInt(getAttribute(a, Attr.AcctInputOctets)!), 7);
    assert.equal(readInt(getAttribute(a, Attr.AcctInputGigawords)!), 5);
    assert.equal(readInt(getAttribute(a, Attr.AcctOutputOctets)!), 1000);
    assert.equal(readInt(getAttribute(a, Attr.AcctInputPackets)!), 3);
    assert.equal(readInt(getAttribute(a, Attr.AcctOutputPackets)!), 4);
    assert.equal(readInt(getAttribute(a, Attr.AcctTerminateCause)!), 1);
    assert.equal(readInt(getAttribute(a, Attr.EventTimestamp)!), 1_700_000_000);
    assert.deepEqual(getAttributes(a, Attr.Class), [Buffer.from('staff')]);
    assert.equal(getAttribute(a, Attr.AcctMultiSessionId)?.toString(), 'M1');
  });

  void it('a Start has no session time, counters or cause', () => {
    const a = accountingAttributes({ ...start, kind: 'start' }, AcctStatus.Start, NAS, undefined, 0, 1);
    for (const t of [Attr.AcctSessionTime, Attr.AcctInputOctets, Attr.AcctTerminateCause]) assert.equal(getAttribute(a, t), undefined);
  });
});

void describe('what the core reads from a verified response', () => {
  void it('Access-Accept: MSK = MS-MPPE-Recv-Key || MS-MPPE-Send-Key, Session-Timeout, Termination-Action, VLAN, Class, User-Name', () => {
    const recv = Buffer.alloc(32, 1);
    const send = Buffer.alloc(32, 2);
    const attrs = [
      { type: Attr.EapMessage, value: Buffer.from([3, 9, 0, 4]) },
      { type: Attr.SessionTimeout, value: attrInt(3600) },
      { type: Attr.TerminationAction, value: attrInt(1) },
      taggedAttribute(Attr.TunnelType, 1, Buffer.from([0, 0, 13])),
      taggedAttribute(Attr.TunnelMediumType, 1, Buffer.from([0, 0, 6])),
      taggedAttribute(Attr.TunnelPrivateGroupId, 1, attrString('42')),
      { type: Attr.Class, value: Buffer.from('a') },
      { type: Attr.Class, value: Buffer.from('b') },
      { type: Attr.UserName, value: attrString('alice@corp') },
      vendorAttribute(311, 26, Buffer.from('ignored')),
    ];
    const o = outcomeOf(RadiusCode.AccessAccept, attrs, { recv, send });
    assert.equal(o.outcome, 'accept');
    assert.deepEqual(o.msk, Buffer.concat([recv, send]));
    assert.deepEqual(o.eap, Buffer.from([3, 9, 0, 4]));
    assert.equal(o.sessionTimeoutS, 3600);
    assert.equal(o.terminationAction, 1);
    assert.equal(o.vlanId, 42);
    assert.deepEqual(o.classes, [Buffer.from('a'), Buffer.from('b')]);
    assert.equal(o.userName, 'alice@corp');
  });

  void it('Access-Accept without MS-MPPE keys has no MSK (the core then refuses it)', () => {
    assert.equal(outcomeOf(RadiusCode.AccessAccept, [], undefined).msk, undefined);
  });

  void it('Access-Challenge keeps the EAP-Request and the State; Access-Reject its EAP-Failure', () => {
    const c = outcomeOf(RadiusCode.AccessChallenge, [{ type: Attr.EapMessage, value: Buffer.from([1, 2, 0, 6, 13, 0x20]) }, { type: Attr.State, value: Buffer.from('s') }], undefined);
    assert.deepEqual(c, { outcome: 'challenge', eap: Buffer.from([1, 2, 0, 6, 13, 0x20]), state: Buffer.from('s') });
    assert.deepEqual(outcomeOf(RadiusCode.AccessReject, [{ type: Attr.EapMessage, value: Buffer.from([4, 2, 0, 4]) }], undefined), { outcome: 'reject', eap: Buffer.from([4, 2, 0, 4]) });
  });
});
