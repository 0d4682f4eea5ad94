// Scenario tests of the AP's MLME for one BSS (IEEE 802.11-2020 §11.3 authentication and
// association, §11.1.4.3 active scanning) on virtual time: frames in as bytes, assertions
// on the actions returned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatMac } from '@airlock/rsn';
import { hex, type Hex } from '@airlock/rsn/testing';
import { ApMlme, type MlmeAction, type MlmeConfig } from './ap-mlme.js';
import { decodeAuthBody, decodeElements, decodeMgmtFrame, decodeReasonBody, decodeSaQuery, EID, MGMT } from './ieee80211.js';

// mac80211_hwsim's addresses: radio 0 is the AP, radios 1 and 2 are stations.
const AP = hex('020000000000');
const STA = hex('020000000100');
const STA2 = hex('020000000200');
const OTHER_AP = hex('020000000a00');
const BROADCAST = hex('ffffffffffff');

const T0 = 1_000_000;

/** The 2.4 GHz rates of the nl80211 driver: 1, 2, 5.5 and 11 Mb/s basic. */
const RATES_2G = [0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c];

/** RSNE of the BSS: CCMP-128, PSK, capabilities 0. */
const BSS_RSNE = ['30', '14', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02', '0000'];

/** RSNE builder: version, group, pairwise list, AKM list, capabilities (one field per argument). */
function rsne(fields: { version?: string; group?: string; pairwise?: string[]; akms?: string[]; capabilities?: string; tail?: string }): string[] {
  const pairwise = fields.pairwise ?? ['000fac04'];
  const akms = fields.akms ?? ['000fac02'];
  const body = [
    fields.version ?? '0100', // version
    fields.group ?? '000fac04', // group data cipher
    Buffer.from([pairwise.length, 0]).toString('hex'), // pairwise count
    ...pairwise,
    Buffer.from([akms.length, 0]).toString('hex'), // AKM count
    ...akms,
    fields.capabilities ?? '0000', // RSN capabilities
    fields.tail ?? '',
  ];
  return ['30', Buffer.from([hex(body).length]).toString('hex'), ...body];
}

/** A WPA2-PSK station's RSNE as wpa_supplicant sends it, with 16 PTKSA replay counters (not the BSS's bytes). */
const STA_RSNE = rsne({ capabilities: '0c00' });

const SSID_CORP = ['00', '04', '636f7270']; // SSID "corp"
const STA_RATES = ['01', '08', '82848b960c121824', '32', '04', '3048606c']; // Supported and Extended Supported Rates

function config(over: Partial<MlmeConfig> = {}): MlmeConfig {
  return { bssid: AP, ssid: Buffer.from('corp'), beaconIntervalTu: 100, capability: 0x0431, rates: RATES_2G, channel: 1, rsne: hex(BSS_RSNE), ...over };
}

// ---- frames from the station, as bytes -------------------------------------------------------

interface HeaderOptions {
  da?: Buffer;
  bssid?: Buffer;
  /** Sequence number (the fragment number is 0). */
  seq?: number;
  retry?: boolean;
}

let nextSeq = 1;

/** A management frame: frame control, duration, DA, SA, BSSID, sequence control, body. */
function frame(subtype: number, sa: Buffer, body: Hex, o: HeaderOptions = {}): Buffer {
  const seq = (o.seq ?? nextSeq++) % 4096;
  return hex([
    Buffer.from([subtype, o.retry === true ? 0x08 : 0x00]).toString('hex'), // frame control
    '0000', // duration
    (o.da ?? AP).toString('hex'), // DA
    sa.toString('hex'), // SA
    (o.bssid ?? AP).toString('hex'), // BSSID
    Buffer.from([(seq << 4) & 0xff, seq >> 4]).toString('hex'), // sequence control
    hex(body).toString('hex'),
  ]);
}

const u16 = (v: number): string => Buffer.from([v & 0xff, v >> 8]).toString('hex');

function authFrame(sa: Buffer, o: HeaderOptions & { algorithm?: number; transaction?: number } = {}): Buffer {
  return frame(MGMT.AUTH, sa, [u16(o.algorithm ?? 0), u16(o.transaction ?? 1), '0000'], o);
}

function assocFrame(sa: Buffer, elements: Hex = [...SSID_CORP, ...STA_RATES, ...STA_RSNE], o: HeaderOptions = {}): Buffer {
  return frame(MGMT.ASSOC_REQ, sa, ['3104', '0a00', hex(elements).toString('hex')], o); // capability, listen interval 10, elements
}

function reassocFrame(sa: Buffer, currentAp: Buffer, o: HeaderOptions = {}): Buffer {
  return frame(MGMT.REASSOC_REQ, sa, ['3104', '0a00', currentAp.toString('hex'), ...SSID_CORP, ...STA_RATES, ...STA_RSNE], o);
}

const deauthFrame = (sa: Buffer, reason: number, o: HeaderOptions = {}): Buffer => frame(MGMT.DEAUTH, sa, u16(reason), o);
const disassocFrame = (sa: Buffer, reason: number, o: HeaderOptions = {}): Buffer => frame(MGMT.DISASSOC, sa, u16(reason), o);

function probeFrame(sa: Buffer, ssid: string, o: HeaderOptions = {}): Buffer {
  const s = Buffer.from(ssid);
  return frame(MGMT.PROBE_REQ, sa, [Buffer.from([0, s.length]).toString('hex'), s.toString('hex'), '0104', '82848b96'], { da: BROADCAST, bssid: BROADCAST, ...o });
}

// ---- actions, summarized ----------------------------------------------------------------------

const NAMES: Record<number, string> = {
  [MGMT.AUTH]: 'Authentication',
  [MGMT.ASSOC_RESP]: 'Association Response',
  [MGMT.REASSOC_RESP]: 'Reassociation Response',
  [MGMT.PROBE_RESP]: 'Probe Response',
  [MGMT.DEAUTH]: 'Deauthentication',
  [MGMT.DISASSOC]: 'Disassociation',
  [MGMT.ACTION]: 'Action',
};

/** One action as a flat record: what a reader of a capture would note down. */
function summary(a: MlmeAction): Record<string, unknown> {
  switch (a.type) {
    case 'transmit': {
      const f = decodeMgmtFrame(a.frame);
      assert.ok(f.ok, 'the MLME transmits frames that decode');
      const { subtype, da, sa, bssid, body } = f.value;
      assert.ok(sa.equals(AP) && bssid.equals(AP), 'transmitted from the BSSID');
      const out: Record<string, unknown> = { transmit: NAMES[subtype] ?? subtype, to: formatMac(da) };
      if (subtype === MGMT.AUTH) {
        const b = decodeAuthBody(body);
        assert.ok(b.ok);
        Object.assign(out, { algorithm: b.value.algorithm, transaction: b.value.transaction, status: b.value.status });
        if (b.value.rest.length > 0) out.body = b.value.rest.toString('hex');
      } else if (subtype === MGMT.ASSOC_RESP || subtype === MGMT.REASSOC_RESP) {
        Object.assign(out, { status: body.readUInt16LE(2), aidField: body.readUInt16LE(4) });
        // The comeback time of a temporary refusal (Timeout Interval, type 3).
        const e = decodeElements(body.subarray(6));
        assert.ok(e.ok);
        const ti = e.value.find(EID.TIMEOUT_INTERVAL);
        if (ti !== undefined) out.comebackTu = ti.data[0] === 3 ? ti.data.readUInt32LE(1) : `type ${ti.data[0]}`;
      } else if (subtype === MGMT.ACTION) {
        const q = decodeSaQuery(body);
        assert.ok(q.ok, 'the MLME sends SA Query Action frames only');
        Object.assign(out, { saQuery: q.value.action === 0 ? 'request' : 'response', id: q.value.transactionId.toString('hex') });
      } else if (subtype === MGMT.DEAUTH || subtype === MGMT.DISASSOC) {
        const r = decodeReasonBody(body);
        assert.ok(r.ok);
        out.reason = r.value;
      }
      if (a.ackToken !== undefined) out.tracked = true;
      return out;
    }
    case 'add-station':
      return a.mfp ? { addStation: formatMac(a.sta), aid: a.aid, replace: a.replace, mfp: true } : { addStation: formatMac(a.sta), aid: a.aid, replace: a.replace };
    case 'remove-station':
      return { removeStation: formatMac(a.sta) };
    case 'associated': {
      const out: Record<string, unknown> = { associated: formatMac(a.sta), reassociation: a.reassociation, previousBssid: a.previousBssid === undefined ? undefined : formatMac(a.previousBssid) };
      if (a.rsnxe !== undefined) out.rsnxe = a.rsnxe.toString('hex');
      return out;
    }
    case 'authentication':
      return { authentication: formatMac(a.sta), algorithm: a.algorithm, transaction: a.transaction, status: a.status, body: a.body.toString('hex') };
    case 'disassociated':
      return { disassociated: formatMac(a.sta), reason: a.reason, deauth: a.deauth, locallyGenerated: a.locallyGenerated };
    case 'check-inactivity':
      return { checkInactivity: true };
    case 'poll':
      return { poll: formatMac(a.sta) };
  }
}

const summarize = (actions: readonly MlmeAction[]): Record<string, unknown>[] => actions.map(summary);

const sta = formatMac(STA);
const sta2 = formatMac(STA2);

/** The token of the tracked response among `actions`. */
function ackToken(actions: readonly MlmeAction[]): number {
  for (const a of actions) if (a.type === 'transmit' && a.ackToken !== undefined) return a.ackToken;
  assert.fail('no tracked response');
}

/** Authentication, Association Request, acknowledged response: the station is associated. */
function associate(m: ApMlme, mac: Buffer, now: number): void {
  m.handleFrame(authFrame(mac), now);
  const actions = m.handleFrame(assocFrame(mac), now);
  const reported = m.handleTxStatus(ackToken(actions), true, now);
  assert.deepEqual(summarize(reported), [{ associated: formatMac(mac), reassociation: false, previousBssid: undefined }]);
}

const accepted = (mac: string, aid: number, replace = false, mfp = false): Record<string, unknown>[] => [
  mfp ? { addStation: mac, aid, replace, mfp } : { addStation: mac, aid, replace },
  { transmit: 'Association Response', to: mac, status: 0, aidField: aid | 0xc000, tracked: true },
];

// ---- authentication ---------------------------------------------------------------------------

void describe('MLME: Open System Authentication (§11.3.4.2)', () => {
  void it('Open System Authentication answered with status 0, transaction 2', () => {
    const m = new ApMlme(config());
    assert.deepEqual(summarize(m.handleFrame(authFrame(STA), T0)), [{ transmit: 'Authentication', to: sta, algorithm: 0, transaction: 2, status: 0 }]);
    assert.equal(m.counters.authentications, 1);
    assert.equal(m.isAssociated(STA), false);
    assert.equal(m.nextDeadline(), T0 + 10_000);
  });

  const refused = [
    { desc: 'Shared Key refused with status 13', algorithm: 1, transaction: 1, status: 13, answer: 2 },
    { desc: 'SAE refused with status 13 (not offered by this BSS), answered with its own transaction number (hostapd)', algorithm: 3, transaction: 1, status: 13, answer: 1 },
    { desc: 'FILS (algorithm 4) refused with status 13', algorithm: 4, transaction: 1, status: 13, answer: 2 },
    { desc: 'Open System with transaction 2 refused with status 14', algorithm: 0, transaction: 2, status: 14, answer: 3 },
    { desc: 'transaction 65535 refused with status 14, answered with transaction 0 (wraps, no throw)', algorithm: 0, transaction: 0xffff, status: 14, answer: 0 },
  ];
  for (const c of refused) {
    void it(c.desc, () => {
      const m = new ApMlme(config());
      assert.deepEqual(summarize(m.handleFrame(authFrame(STA, { algorithm: c.algorithm, transaction: c.transaction }), T0)), [
        { transmit: 'Authentication', to: sta, algorithm: c.algorithm, transaction: c.answer, status: c.status },
      ]);
      assert.equal(m.counters.dropped['auth-refused'], 1);
      assert.equal(m.counters.refusedByStatus[c.status], 1);
      assert.equal(m.counters.authentications, 0);
      // Not authenticated: its Association Request is a class 2 frame from an unknown station.
      assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 1)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }]);
    });
  }

  void it('authentication again while associated: station removed and reported', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(authFrame(STA), T0 + 100)), [
      { removeStation: sta },
      { disassociated: sta, reason: 2, deauth: true, locallyGenerated: false },
      { transmit: 'Authentication', to: sta, algorithm: 0, transaction: 2, status: 0 },
    ]);
    assert.equal(m.isAssociated(STA), false);
    // Authenticated again: it may associate, with a fresh kernel entry.
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 200)), accepted(sta, 1));
  });

  void it('authentication again before the response was acknowledged: station removed, not reported', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const token = ackToken(m.handleFrame(assocFrame(STA), T0));
    assert.deepEqual(summarize(m.handleFrame(authFrame(STA), T0 + 100)), [{ removeStation: sta }, { transmit: 'Authentication', to: sta, algorithm: 0, transaction: 2, status: 0 }]);
    assert.deepEqual(m.handleTxStatus(token, true, T0 + 150), [], 'the old response no longer associates');
  });

  void it('retransmission (retry bit, same sequence control) dropped', () => {
    const m = new ApMlme(config());
    assert.equal(m.handleFrame(authFrame(STA, { seq: 7 }), T0).length, 1);
    assert.deepEqual(m.handleFrame(authFrame(STA, { seq: 7, retry: true }), T0 + 1), []);
    assert.equal(m.counters.dropped.retransmission, 1);
    // The same sequence number without the retry bit, or the retry bit on a new number, is a new frame.
    assert.equal(m.handleFrame(authFrame(STA, { seq: 7 }), T0 + 2).length, 1);
    assert.equal(m.handleFrame(authFrame(STA, { seq: 8, retry: true }), T0 + 3).length, 1);
    assert.equal(m.counters.dropped.retransmission, 1);
    assert.equal(m.counters.authentications, 3);
  });

  void it('retransmitted Association Request (retry bit, same sequence control) dropped', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, undefined, { seq: 20 }), T0)), accepted(sta, 1));
    assert.deepEqual(m.handleFrame(assocFrame(STA, undefined, { seq: 20, retry: true }), T0 + 5), []);
    assert.equal(m.counters.dropped.retransmission, 1);
  });

  void it('pending authentication expires at the deadline (tick)', () => {
    const m = new ApMlme(config({ pendingAuthTimeoutMs: 10_000 }));
    m.handleFrame(authFrame(STA), T0);
    assert.equal(m.nextDeadline(), T0 + 10_000);
    assert.deepEqual(m.tick(T0 + 9_999), []);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 9_999)).at(0), { addStation: sta, aid: 1, replace: false }, 'still authenticated just before');
    const m2 = new ApMlme(config({ pendingAuthTimeoutMs: 10_000 }));
    m2.handleFrame(authFrame(STA), T0);
    assert.deepEqual(m2.tick(T0 + 10_000), [], 'expiry is silent');
    assert.equal(m2.nextDeadline(), undefined);
    assert.deepEqual(summarize(m2.handleFrame(assocFrame(STA), T0 + 10_001)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }]);
  });

  void it('a second Authentication restarts the pending deadline', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    m.handleFrame(authFrame(STA), T0 + 4_000);
    assert.equal(m.nextDeadline(), T0 + 14_000);
  });

  void it('table of pending authentications full: oldest evicted (counted)', () => {
    const m = new ApMlme(config({ maxPendingAuth: 2 }));
    m.handleFrame(authFrame(STA), T0);
    m.handleFrame(authFrame(STA2), T0 + 1);
    const third = hex('020000000300');
    assert.equal(m.handleFrame(authFrame(third), T0 + 2).length, 1, 'the newcomer is answered');
    assert.equal(m.counters.dropped['auth-evicted'], 1);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 3)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }], 'the oldest is gone');
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA2), T0 + 4)), accepted(sta2, 1));
    assert.deepEqual(summarize(m.handleFrame(assocFrame(third), T0 + 5)), accepted(formatMac(third), 2));
  });

  void it('response budget exhausted: counted drop, refilled with time', () => {
    const m = new ApMlme(config({ responsesPerSecond: 2 }));
    assert.equal(m.handleFrame(authFrame(STA), T0).length, 1);
    assert.equal(m.handleFrame(authFrame(STA2), T0).length, 1);
    assert.deepEqual(m.handleFrame(authFrame(hex('020000000300')), T0), []);
    assert.equal(m.counters.dropped['response-budget'], 1);
    assert.equal(m.counters.authentications, 2);
    assert.equal(m.handleFrame(authFrame(hex('020000000300')), T0 + 500).length, 1, 'one response back after 500 ms at 2/s');
    assert.deepEqual(m.handleFrame(authFrame(hex('020000000400')), T0 + 500), []);
    assert.equal(m.counters.dropped['response-budget'], 2);
  });
});

// ---- association ----------------------------------------------------------------------------------

void describe('MLME: (Re)Association (§11.3.5)', () => {
  void it("Association Request accepted: add-station before the response, 'associated' (with the request's RSNE byte for byte) only after the response's TX status is acked", () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const actions = m.handleFrame(assocFrame(STA), T0 + 10);
    assert.deepEqual(summarize(actions), accepted(sta, 1));
    const add = actions[0];
    assert.ok(add.type === 'add-station');
    assert.deepEqual(
      { capability: add.capability, listenInterval: add.listenInterval, rates: add.rates },
      { capability: 0x0431, listenInterval: 10, rates: [0x02, 0x04, 0x0b, 0x16, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c] },
    );
    const resp = actions[1];
    assert.ok(resp.type === 'transmit');
    assert.equal(
      resp.frame.subarray(24).toString('hex'),
      hex([
        '3104', // capability of the BSS
        '0000', // status: success
        '01c0', // AID 1, bits 14-15 set
        '01', '08', '82848b960c121824', // Supported Rates
        '32', '04', '3048606c', // Extended Supported Rates
      ]).toString('hex'),
    );
    assert.equal(m.isAssociated(STA), false, 'not before the acknowledgement');
    assert.deepEqual(m.tick(T0 + 20), []);
    const reported = m.handleTxStatus(ackToken(actions), true, T0 + 20);
    assert.deepEqual(summarize(reported), [{ associated: sta, reassociation: false, previousBssid: undefined }]);
    const ev = reported[0];
    assert.ok(ev.type === 'associated');
    assert.equal(ev.rsne.toString('hex'), hex(STA_RSNE).toString('hex'), "the station's RSNE, not the BSS's");
    assert.equal(m.isAssociated(STA), true);
    assert.deepEqual(
      m.associatedStations().map((s) => ({ sta: formatMac(s.sta), aid: s.aid, rsne: s.rsne.toString('hex') })),
      [{ sta, aid: 1, rsne: hex(STA_RSNE).toString('hex') }],
    );
    assert.equal(m.counters.associations, 1);
    assert.deepEqual(m.handleTxStatus(ackToken(actions), true, T0 + 30), [], 'a second TX status of the same frame changes nothing');
  });

  void it("Reassociation Request from a roaming station: Reassociation Response, 'associated' with the previous BSSID", () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const actions = m.handleFrame(reassocFrame(STA, OTHER_AP), T0);
    assert.deepEqual(summarize(actions), [
      { addStation: sta, aid: 1, replace: false },
      { transmit: 'Reassociation Response', to: sta, status: 0, aidField: 0xc001, tracked: true },
    ]);
    assert.deepEqual(summarize(m.handleTxStatus(ackToken(actions), true, T0)), [{ associated: sta, reassociation: true, previousBssid: formatMac(OTHER_AP) }]);
  });

  void it('second station gets the next AID; a released AID is reused', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    m.handleFrame(authFrame(STA2), T0);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA2), T0)), accepted(sta2, 2));
    m.handleFrame(deauthFrame(STA, 3), T0 + 1);
    const third = hex('020000000300');
    m.handleFrame(authFrame(third), T0 + 2);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(third), T0 + 2)), accepted(formatMac(third), 1));
  });

  void it('response not acknowledged: station removed, back to authenticated', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const token = ackToken(m.handleFrame(assocFrame(STA), T0));
    assert.deepEqual(summarize(m.handleTxStatus(token, false, T0 + 5)), [{ removeStation: sta }]);
    assert.equal(m.counters.dropped['association-not-acked'], 1);
    assert.equal(m.counters.associations, 0);
    assert.equal(m.isAssociated(STA), false);
    // Still authenticated: a new request is accepted without another Authentication.
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 10)), accepted(sta, 1));
  });

  void it('no TX status within 5 s: tick removes the station, back to authenticated', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const token = ackToken(m.handleFrame(assocFrame(STA), T0));
    assert.equal(m.nextDeadline(), T0 + 5_000);
    assert.deepEqual(m.tick(T0 + 4_999), []);
    assert.deepEqual(summarize(m.tick(T0 + 5_000)), [{ removeStation: sta }]);
    assert.equal(m.counters.dropped['association-not-acked'], 1);
    assert.equal(m.nextDeadline(), T0 + 5_000 + 10_000, 'the authentication deadline again');
    assert.deepEqual(m.handleTxStatus(token, true, T0 + 5_001), [], 'a TX status after that is stale');
  });

  void it('EAPOL before the TX status: associated first', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const token = ackToken(m.handleFrame(assocFrame(STA), T0));
    const out: MlmeAction[] = [];
    assert.equal(m.eapolReceived(STA, out), true);
    assert.deepEqual(summarize(out), [{ associated: sta, reassociation: false, previousBssid: undefined }]);
    assert.deepEqual(m.handleTxStatus(token, true, T0 + 10), [], 'the late TX status reports nothing more');
    const more: MlmeAction[] = [];
    assert.equal(m.eapolReceived(STA, more), true);
    assert.deepEqual(more, []);
  });

  void it('EAPOL from a station that is not associated is refused', () => {
    const m = new ApMlme(config());
    const out: MlmeAction[] = [];
    assert.equal(m.eapolReceived(STA, out), false, 'unknown');
    m.handleFrame(authFrame(STA), T0);
    assert.equal(m.eapolReceived(STA, out), false, 'authenticated only');
    assert.deepEqual(out, []);
  });

  void it('association without authentication: Deauthentication reason 6', () => {
    const m = new ApMlme(config());
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }]);
    assert.deepEqual(summarize(m.handleFrame(reassocFrame(STA, OTHER_AP), T0)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }]);
    assert.equal(m.counters.dropped['unknown-station'], 2);
  });

  const refusals: { desc: string; elements: Hex; status: number; bssRsne?: string[] }[] = [
    { desc: 'no RSNE: 40', elements: [...SSID_CORP, ...STA_RATES], status: 40 },
    { desc: 'RSNE version 2: 44', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ version: '0200' })], status: 44 },
    { desc: 'group cipher TKIP: 41', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ group: '000fac02' })], status: 41 },
    { desc: 'pairwise cipher TKIP only: 42', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ pairwise: ['000fac02'] })], status: 42 },
    { desc: 'empty pairwise cipher list: 42', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ pairwise: [] })], status: 42 },
    { desc: 'pairwise "use group cipher": 42', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ pairwise: ['000fac00'] })], status: 42 },
    { desc: 'AKM 802.1X on a PSK BSS: 43', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ akms: ['000fac01'] })], status: 43 },
    { desc: 'RSNE with only a version (AKM defaults to 802.1X): 43', elements: [...SSID_CORP, ...STA_RATES, '30', '02', '0100'], status: 43 },
    { desc: 'two RSNEs: 40', elements: [...SSID_CORP, ...STA_RATES, ...STA_RSNE, ...STA_RSNE], status: 40 },
    { desc: 'RSNE whose AKM count runs past it: 40', elements: [...SSID_CORP, ...STA_RATES, '30', '10', '0100', '000fac04', '0100', '000fac04', '0200', '000f'], status: 40 },
    { desc: 'station requires MFP (MFPR), the BSS is not MFP capable: 31', elements: [...SSID_CORP, ...STA_RATES, ...rsne({ capabilities: 'c000' })], status: 31 },
    {
      desc: 'the BSS requires MFP, the station is not MFP capable: 31',
      elements: [...SSID_CORP, ...STA_RATES, ...STA_RSNE],
      status: 31,
      bssRsne: rsne({ capabilities: 'c000' }),
    },
    { desc: 'wrong SSID: 1', elements: ['00', '04', '636f7271', ...STA_RATES, ...STA_RSNE], status: 1 },
    { desc: 'no SSID element: 1', elements: [...STA_RATES, ...STA_RSNE], status: 1 },
    { desc: 'no rates: 1', elements: [...SSID_CORP, ...STA_RSNE], status: 1 },
    { desc: 'basic rate missing (OFDM rates only): 18', elements: [...SSID_CORP, '01', '04', '0c121824', ...STA_RSNE], status: 18 },
    { desc: 'truncated element list: 1', elements: [...SSID_CORP, ...STA_RATES, ...STA_RSNE, '30'], status: 1 },
    { desc: 'element Length past the end: 1', elements: [...SSID_CORP, ...STA_RATES, '30', '20', '0100'], status: 1 },
  ];
  void describe('Association Request refused with a status code; the station stays authenticated', () => {
    for (const c of refusals) {
      void it(c.desc, () => {
        const m = new ApMlme(config(c.bssRsne === undefined ? {} : { rsne: hex(c.bssRsne) }));
        m.handleFrame(authFrame(STA), T0);
        assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, c.elements), T0 + 1)), [{ transmit: 'Association Response', to: sta, status: c.status, aidField: 0 }]);
        assert.equal(m.counters.dropped['association-refused'], 1);
        assert.equal(m.counters.refusedByStatus[c.status], 1);
        const mfp = c.bssRsne !== undefined;
        const good = mfp ? [...SSID_CORP, ...STA_RATES, ...rsne({ capabilities: '8000' })] : undefined;
        assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, good), T0 + 2)), accepted(sta, 1, false, mfp), 'a correct request is accepted next');
      });
    }
  });

  void it('open BSS (no RSNE): an Association Request without RSNE is accepted and reported with an empty RSNE', () => {
    const m = new ApMlme(config({ rsne: Buffer.alloc(0), capability: 0x0421 }));
    m.handleFrame(authFrame(STA), T0);
    const actions = m.handleFrame(assocFrame(STA, [...SSID_CORP, ...STA_RATES]), T0);
    const ev = m.handleTxStatus(ackToken(actions), true, T0);
    assert.ok(ev[0]?.type === 'associated');
    assert.equal(ev[0].rsne.length, 0);
  });

  void it('truncated Association Request body (3 octets): dropped as malformed, no answer', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    assert.deepEqual(m.handleFrame(frame(MGMT.ASSOC_REQ, STA, '31040a'), T0), []);
    assert.equal(m.counters.dropped.malformed, 1);
  });

  void it('BSS full (maxStations) -> 17', () => {
    const m = new ApMlme(config({ maxStations: 1 }));
    associate(m, STA, T0);
    m.handleFrame(authFrame(STA2), T0);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA2), T0)), [{ transmit: 'Association Response', to: sta2, status: 17, aidField: 0 }]);
    assert.equal(m.counters.refusedByStatus[17], 1);
    // The associated station itself may associate again (it replaces its own entry).
    m.eapolReceived(STA, []);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 1)), accepted(sta, 1, true));
    // Once it left, there is room.
    m.handleFrame(deauthFrame(STA, 3), T0 + 2);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA2), T0 + 3)), accepted(sta2, 1));
  });

  void it("past the authenticator's limit of stations not yet port-authorized -> 17; an authorized station makes room", () => {
    const m = new ApMlme(config());
    m.setMaxUnauthorized(1);
    associate(m, STA, T0);
    m.handleFrame(authFrame(STA2), T0);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA2), T0)), [{ transmit: 'Association Response', to: sta2, status: 17, aidField: 0 }]);
    // The first one's port opens: the second fits.
    m.portAuthorized(STA, true);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA2), T0 + 1)), accepted(sta2, 2));
    // 0: no limit.
    m.setMaxUnauthorized(0);
    const sta3 = hex('020000000300');
    m.handleFrame(authFrame(sta3), T0 + 2);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(sta3), T0 + 2)), accepted(formatMac(sta3), 3));
  });

  void it('duplicate Association Request (same body, no EAPOL yet) answered with the same response and no second event', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const first = m.handleFrame(assocFrame(STA), T0);
    m.handleTxStatus(ackToken(first), true, T0 + 5);
    const again = m.handleFrame(assocFrame(STA), T0 + 1_000);
    assert.deepEqual(summarize(again), [{ transmit: 'Association Response', to: sta, status: 0, aidField: 0xc001 }]);
    const resp = first[1];
    assert.ok(resp.type === 'transmit' && again[0]?.type === 'transmit');
    assert.ok(again[0].frame.equals(resp.frame), 'the same response, byte for byte');
    assert.equal(m.counters.dropped['duplicate-association'], 1);
    assert.equal(m.counters.associations, 1);
    assert.equal(m.isAssociated(STA), true);
  });

  void it('duplicate Association Request before the first response was acknowledged: the same response again', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    const first = m.handleFrame(assocFrame(STA), T0);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 500)), [{ transmit: 'Association Response', to: sta, status: 0, aidField: 0xc001 }]);
    assert.deepEqual(summarize(m.handleTxStatus(ackToken(first), true, T0 + 600)), [{ associated: sta, reassociation: false, previousBssid: undefined }]);
  });

  void it('identical request after an EAPOL frame is a new association', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    m.eapolReceived(STA, []);
    const again = m.handleFrame(assocFrame(STA), T0 + 1_000);
    assert.deepEqual(summarize(again), accepted(sta, 1, true));
    assert.deepEqual(summarize(m.handleTxStatus(ackToken(again), true, T0 + 1_001)), [{ associated: sta, reassociation: false, previousBssid: undefined }]);
    assert.equal(m.counters.associations, 2);
  });

  void it('identical request after the duplicate window (3 s) is a new association', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 3_000)), accepted(sta, 1, true));
  });

  void it('a different request from an associated station is a new association with the same AID', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    associate(m, STA2, T0);
    const again = m.handleFrame(reassocFrame(STA, AP), T0 + 100);
    assert.deepEqual(summarize(again), [
      { addStation: sta, aid: 1, replace: true },
      { transmit: 'Reassociation Response', to: sta, status: 0, aidField: 0xc001, tracked: true },
    ]);
  });

  void it("re-association of an associated station not acknowledged: its entry is gone, and the authenticator hears 'disassociated'", () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    m.eapolReceived(STA, []);
    const again = m.handleFrame(assocFrame(STA), T0 + 1_000);
    assert.deepEqual(summarize(m.handleTxStatus(ackToken(again), false, T0 + 1_010)), [
      { removeStation: sta },
      { disassociated: sta, reason: 1, deauth: false, locallyGenerated: true },
    ]);
    assert.equal(m.isAssociated(STA), false);
  });

  void it("a station re-associating is still reported when it leaves, re-authenticates or the kernel drops it", () => {
    const start = (): ApMlme => {
      const m = new ApMlme(config());
      associate(m, STA, T0);
      m.eapolReceived(STA, []);
      m.handleFrame(assocFrame(STA), T0 + 1_000); // accepted, response not yet acknowledged
      return m;
    };
    assert.deepEqual(summarize(start().handleFrame(deauthFrame(STA, 3), T0 + 1_001)), [
      { removeStation: sta },
      { disassociated: sta, reason: 3, deauth: true, locallyGenerated: false },
    ]);
    assert.deepEqual(summarize(start().handleFrame(authFrame(STA), T0 + 1_001)), [
      { removeStation: sta },
      { disassociated: sta, reason: 2, deauth: true, locallyGenerated: false },
      { transmit: 'Authentication', to: sta, algorithm: 0, transaction: 2, status: 0 },
    ]);
    assert.deepEqual(summarize(start().stationGone(STA, 1)), [{ disassociated: sta, reason: 1, deauth: true, locallyGenerated: true }]);
    assert.deepEqual(summarize(start().expel(STA, 4)), [
      { transmit: 'Deauthentication', to: sta, reason: 4 },
      { removeStation: sta },
      { disassociated: sta, reason: 4, deauth: true, locallyGenerated: true },
    ]);
  });
});

// ---- leaving ------------------------------------------------------------------------------------

void describe('MLME: Deauthentication and Disassociation', () => {
  void it("Deauthentication from the station: remove-station and 'disassociated' (not locally generated)", () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(deauthFrame(STA, 3), T0 + 100)), [
      { removeStation: sta },
      { disassociated: sta, reason: 3, deauth: true, locallyGenerated: false },
    ]);
    assert.equal(m.isAssociated(STA), false);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 200)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }], 'no longer authenticated');
  });

  void it('Disassociation keeps the station authenticated', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(disassocFrame(STA, 8), T0 + 100)), [
      { removeStation: sta },
      { disassociated: sta, reason: 8, deauth: false, locallyGenerated: false },
    ]);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 200)), accepted(sta, 1));
  });

  void it('Deauthentication from an authenticated station: forgotten silently', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    assert.deepEqual(m.handleFrame(deauthFrame(STA, 3), T0 + 1), []);
    assert.equal(m.nextDeadline(), undefined);
  });

  void it('Deauthentication from an unknown station: counted, no answer', () => {
    const m = new ApMlme(config());
    assert.deepEqual(m.handleFrame(deauthFrame(STA, 3), T0), []);
    assert.equal(m.counters.dropped['unknown-station'], 1);
  });

  void it('Deauthentication without a reason code: malformed, the station stays', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(m.handleFrame(frame(MGMT.DEAUTH, STA, '03'), T0 + 1), []);
    assert.equal(m.counters.dropped.malformed, 1);
    assert.equal(m.isAssociated(STA), true);
  });
});

// ---- the driver's and the authenticator's calls ------------------------------------------------

void describe('MLME: calls from the driver and the authenticator', () => {
  void it('disconnect() sends the frame and removes the station without reporting it', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.disconnect(STA, 15, true, T0 + 1)), [{ transmit: 'Deauthentication', to: sta, reason: 15 }, { removeStation: sta }]);
    assert.equal(m.isAssociated(STA), false);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 2)), [{ transmit: 'Deauthentication', to: sta, reason: 6 }], 'deauthenticated: forgotten');
  });

  void it('disconnect() with a Disassociation leaves the station authenticated', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.disconnect(STA, 8, false, T0 + 1)), [{ transmit: 'Disassociation', to: sta, reason: 8 }, { removeStation: sta }]);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 2)), accepted(sta, 1));
  });

  void it('disconnect() of an unknown station still sends the frame', () => {
    const m = new ApMlme(config());
    assert.deepEqual(summarize(m.disconnect(STA, 3, true, T0)), [{ transmit: 'Deauthentication', to: sta, reason: 3 }]);
  });

  void it('expel() reports a locally generated disassociation', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.expel(STA, 4)), [
      { transmit: 'Deauthentication', to: sta, reason: 4 },
      { removeStation: sta },
      { disassociated: sta, reason: 4, deauth: true, locallyGenerated: true },
    ]);
    assert.deepEqual(m.expel(STA, 4), [], 'once');
  });

  void it('expel() of an authenticated station: Deauthentication only', () => {
    const m = new ApMlme(config());
    m.handleFrame(authFrame(STA), T0);
    assert.deepEqual(summarize(m.expel(STA, 4)), [{ transmit: 'Deauthentication', to: sta, reason: 4 }]);
  });

  void it('unexpectedFrame -> Deauthentication reason 7', () => {
    const m = new ApMlme(config());
    assert.deepEqual(summarize(m.unexpectedFrame(STA, T0)), [{ transmit: 'Deauthentication', to: sta, reason: 7 }]);
    m.handleFrame(authFrame(STA), T0);
    assert.deepEqual(summarize(m.unexpectedFrame(STA, T0)), [{ transmit: 'Deauthentication', to: sta, reason: 7 }], 'authenticated is not associated');
    assert.deepEqual(m.unexpectedFrame(BROADCAST, T0), [], 'not to a group address');
    assert.equal(m.counters.dropped.malformed, 1);
  });

  void it('unexpectedFrame from an associated station: nothing', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(m.unexpectedFrame(STA, T0), []);
  });

  void it('unexpectedFrame within the response budget only', () => {
    const m = new ApMlme(config({ responsesPerSecond: 1 }));
    assert.equal(m.unexpectedFrame(STA, T0).length, 1);
    assert.deepEqual(m.unexpectedFrame(STA, T0), []);
    assert.equal(m.counters.dropped['response-budget'], 1);
  });

  void it('stationGone reports only associated stations', () => {
    const m = new ApMlme(config());
    assert.deepEqual(m.stationGone(STA, 1), [], 'unknown');
    m.handleFrame(authFrame(STA), T0);
    assert.deepEqual(m.stationGone(STA, 1), [], 'authenticated');
    m.handleFrame(assocFrame(STA), T0);
    assert.deepEqual(m.stationGone(STA, 1), [], 'associating, never reported');
    associate(m, STA2, T0);
    assert.deepEqual(summarize(m.stationGone(STA2, 1)), [{ disassociated: sta2, reason: 1, deauth: true, locallyGenerated: true }]);
    assert.equal(m.isAssociated(STA2), false);
  });
});

// ---- scanning and filtering ---------------------------------------------------------------------

void describe('MLME: Probe Requests (§11.1.4.3) and frames for others', () => {
  const probes = [
    { desc: 'wildcard SSID, broadcast: answered', f: () => probeFrame(STA, ''), answered: true },
    { desc: 'own SSID, broadcast: answered', f: () => probeFrame(STA, 'corp'), answered: true },
    { desc: 'own SSID, addressed to this BSS: answered', f: () => probeFrame(STA, 'corp', { da: AP, bssid: AP }), answered: true },
    { desc: 'another SSID: not answered', f: () => probeFrame(STA, 'guest'), answered: false },
    { desc: 'addressed to another BSS: not answered', f: () => probeFrame(STA, '', { da: OTHER_AP, bssid: OTHER_AP }), answered: false },
  ];
  for (const c of probes) {
    void it(`Probe Request with ${c.desc}`, () => {
      const m = new ApMlme(config());
      const actions = m.handleFrame(c.f(), T0);
      if (!c.answered) {
        assert.deepEqual(actions, []);
        assert.equal(m.counters.dropped['not-for-this-bss'], 1);
        return;
      }
      assert.deepEqual(summarize(actions), [{ transmit: 'Probe Response', to: sta }]);
      assert.equal(m.counters.probeResponses, 1);
    });
  }

  void it('Probe Request without an SSID element: malformed', () => {
    const m = new ApMlme(config());
    assert.deepEqual(m.handleFrame(frame(MGMT.PROBE_REQ, STA, ['01', '04', '82848b96'], { da: BROADCAST, bssid: BROADCAST }), T0), []);
    assert.equal(m.counters.dropped.malformed, 1);
  });

  void it('frames to another BSSID, or from a group address, are not for this BSS', () => {
    const m = new ApMlme(config());
    assert.deepEqual(m.handleFrame(authFrame(STA, { da: OTHER_AP, bssid: OTHER_AP }), T0), []);
    assert.deepEqual(m.handleFrame(authFrame(STA, { bssid: OTHER_AP }), T0), []);
    assert.deepEqual(m.handleFrame(authFrame(BROADCAST), T0), []);
    assert.equal(m.counters.dropped['not-for-this-bss'], 3);
  });

  void it('undecodable frames and other subtypes are counted', () => {
    const m = new ApMlme(config());
    assert.deepEqual(m.handleFrame(hex('b000'), T0), []);
    assert.deepEqual(m.handleFrame(frame(0x08, STA, 'aaaa03'), T0), []); // a data frame
    assert.equal(m.counters.dropped.malformed, 2);
    assert.deepEqual(m.handleFrame(frame(MGMT.ACTION, STA, '0304'), T0), []);
    assert.equal(m.counters.dropped['unexpected-subtype'], 1);
    assert.deepEqual(m.handleFrame(authFrame(STA, { transaction: 1 }).subarray(0, 28), T0), [], 'Authentication body cut');
    assert.equal(m.counters.dropped.malformed, 3);
    assert.equal(m.counters.framesReceived, 4);
  });

  void it('a BSS whose own RSNE does not decode is a configuration error', () => {
    assert.throws(() => new ApMlme(config({ rsne: hex(['30', '01', '01']) })), /its own RSNE does not decode/);
  });
});

// ---- WPA3: SAE relayed, PMF policy, SA Query, association comeback --------------------------------

/** RSNE of a WPA3-Personal BSS: SAE, MFPC and MFPR, PMKID count 0, BIP-CMAC-128. */
const SAE_BSS_RSNE = rsne({ akms: ['000fac08'], capabilities: 'c000', tail: '0000' + '000fac06' });
/** RSNE of a transition-mode BSS: PSK and SAE, MFPC. */
const TRANSITION_BSS_RSNE = rsne({ akms: ['000fac02', '000fac08'], capabilities: '8000', tail: '0000' + '000fac06' });
/** RSNE of a WPA2-PSK BSS with PMF required. */
const PSK_PMF_REQUIRED_RSNE = rsne({ capabilities: 'c000', tail: '0000' + '000fac06' });

/** A WPA3 station's RSNE as wpa_supplicant sends it: SAE, MFPC|MFPR, 16 PTKSA replay counters. */
const STA_SAE_RSNE = rsne({ akms: ['000fac08'], capabilities: 'cc00' });
/** The RSNXE of an H2E-capable station: Field Length 0, SAE hash-to-element (bit 5). */
const STA_RSNXE = ['f4', '01', '20'];

const saeConfig = (over: Partial<MlmeConfig> = {}): MlmeConfig => config({ rsne: hex(SAE_BSS_RSNE), ...over });

/** An SAE Authentication frame from the station: algorithm 3, transaction, status, then the body. */
function saeFrame(sa: Buffer, transaction: number, body: string, o: HeaderOptions & { status?: number } = {}): Buffer {
  return frame(MGMT.AUTH, sa, [u16(3), u16(transaction), u16(o.status ?? 0), body], o);
}

/** An SA Query Action frame from the station; protected (the Protected Frame bit, as mac80211 hands it up decrypted) unless said. */
function saQueryFrame(sa: Buffer, action: number, id: string, o: HeaderOptions & { protectedFrame?: boolean } = {}): Buffer {
  const f = frame(MGMT.ACTION, sa, ['08', Buffer.from([action]).toString('hex'), id], o);
  if (o.protectedFrame !== false) f[1] |= 0x40;
  return f;
}

/** A commit's body (group 19, a scalar and an element, shortened: the MLME does not read it). */
const COMMIT_BODY = '1300' + '11'.repeat(32) + '22'.repeat(64);
/** A confirm's body (send-confirm 1, a confirm value, shortened). */
const CONFIRM_BODY = '0100' + '33'.repeat(32);

/** Transaction identifiers from an injected generator: 0x0001, 0x0002, ... */
function counterRandom(): (n: number) => Buffer {
  let next = 1;
  return (n) => {
    const b = Buffer.alloc(n);
    b.writeUInt16BE(next++ & 0xffff, 0);
    return b;
  };
}

/** SAE commit and confirm relayed, association acknowledged, key installed: a PMF association the MLME protects. */
function associatePmf(m: ApMlme, mac: Buffer, now: number, elements: Hex = [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE]): void {
  m.handleFrame(saeFrame(mac, 1, COMMIT_BODY), now);
  m.handleFrame(saeFrame(mac, 2, CONFIRM_BODY), now);
  const actions = m.handleFrame(assocFrame(mac, elements), now);
  assert.ok(actions.some((a) => a.type === 'add-station' && a.mfp), 'PMF negotiated');
  m.handleTxStatus(ackToken(actions), true, now);
  m.eapolReceived(mac, []);
  m.pairwiseKeyInstalled(mac, true);
}

void describe('MLME: SAE Authentication frames relayed to the authenticator (WPA3, §12.4)', () => {
  void it('SAE commit from a new station: relayed byte for byte as an authentication event; the station is pending with the usual deadline', () => {
    const m = new ApMlme(saeConfig());
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0)), [{ authentication: sta, algorithm: 3, transaction: 1, status: 0, body: COMMIT_BODY }]);
    assert.equal(m.counters.saeRelayed, 1);
    assert.equal(m.counters.authentications, 0, 'the MLME answered nothing itself');
    assert.equal(m.nextDeadline(), T0 + 10_000);
  });

  void it('H2E commit (status 126) and confirm relayed with their status; each frame restarts the pending deadline', () => {
    const m = new ApMlme(saeConfig());
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY, { status: 126 }), T0)), [{ authentication: sta, algorithm: 3, transaction: 1, status: 126, body: COMMIT_BODY }]);
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 2, CONFIRM_BODY), T0 + 3_000)), [{ authentication: sta, algorithm: 3, transaction: 2, status: 0, body: CONFIRM_BODY }]);
    assert.equal(m.nextDeadline(), T0 + 13_000);
  });

  void it('an SAE frame with an empty body is relayed too (the authenticator judges it)', () => {
    const m = new ApMlme(saeConfig());
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 1, ''), T0)), [{ authentication: sta, algorithm: 3, transaction: 1, status: 0, body: '' }]);
  });

  void it('SAE with transaction 3: refused by the MLME with status 14, answered with the same transaction (hostapd)', () => {
    const m = new ApMlme(saeConfig());
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 3, ''), T0)), [{ transmit: 'Authentication', to: sta, algorithm: 3, transaction: 3, status: 14 }]);
    assert.equal(m.counters.saeRelayed, 0);
  });

  void it('transition mode: SAE relayed, Open System answered by the MLME', () => {
    const m = new ApMlme(config({ rsne: hex(TRANSITION_BSS_RSNE) }));
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0)), [{ authentication: sta, algorithm: 3, transaction: 1, status: 0, body: COMMIT_BODY }]);
    assert.deepEqual(summarize(m.handleFrame(authFrame(STA2), T0)), [{ transmit: 'Authentication', to: sta2, algorithm: 0, transaction: 2, status: 0 }]);
  });

  void it('Open System on an SAE-only BSS is still answered (wpa_supplicant uses it with a cached SAE PMKSA)', () => {
    const m = new ApMlme(saeConfig());
    assert.deepEqual(summarize(m.handleFrame(authFrame(STA), T0)), [{ transmit: 'Authentication', to: sta, algorithm: 0, transaction: 2, status: 0 }]);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE]), T0 + 1)), accepted(sta, 1, false, true));
  });

  void it('transmitAuthentication: the authenticator\'s commit and confirm go out as Authentication frames, byte for byte; the pending deadline restarts', () => {
    const m = new ApMlme(saeConfig());
    m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0);
    const commit = m.transmitAuthentication(STA, { algorithm: 3, transaction: 1, status: 126, body: hex(COMMIT_BODY) }, T0 + 2_000);
    assert.deepEqual(summarize(commit), [{ transmit: 'Authentication', to: sta, algorithm: 3, transaction: 1, status: 126, body: COMMIT_BODY }]);
    const sent = commit[0];
    assert.ok(sent.type === 'transmit');
    assert.equal(sent.frame.subarray(24).toString('hex'), hex([u16(3), u16(1), u16(126), COMMIT_BODY]).toString('hex'));
    assert.equal(m.nextDeadline(), T0 + 12_000);
    assert.deepEqual(summarize(m.transmitAuthentication(STA, { algorithm: 3, transaction: 2, status: 0, body: hex(CONFIRM_BODY) }, T0 + 2_001)), [
      { transmit: 'Authentication', to: sta, algorithm: 3, transaction: 2, status: 0, body: CONFIRM_BODY },
    ]);
  });

  void it('transmitAuthentication to a station the MLME does not hold is sent anyway (the authenticator decides), without an entry', () => {
    const m = new ApMlme(saeConfig());
    assert.deepEqual(summarize(m.transmitAuthentication(STA, { algorithm: 3, transaction: 1, status: 77, body: Buffer.from('1300', 'hex') }, T0)), [
      { transmit: 'Authentication', to: sta, algorithm: 3, transaction: 1, status: 77, body: '1300' },
    ]);
    assert.equal(m.nextDeadline(), undefined);
  });

  void it("after SAE the station associates; 'associated' carries its RSNXE byte for byte", () => {
    const m = new ApMlme(saeConfig());
    m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0);
    m.handleFrame(saeFrame(STA, 2, CONFIRM_BODY), T0 + 10);
    const actions = m.handleFrame(assocFrame(STA, [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE, ...STA_RSNXE]), T0 + 20);
    assert.deepEqual(summarize(actions), accepted(sta, 1, false, true));
    const ev = m.handleTxStatus(ackToken(actions), true, T0 + 30);
    assert.deepEqual(summarize(ev), [{ associated: sta, reassociation: false, previousBssid: undefined, rsnxe: hex(STA_RSNXE).toString('hex') }]);
    assert.ok(ev[0].type === 'associated' && ev[0].rsne.equals(hex(STA_SAE_RSNE)));
    assert.deepEqual(
      m.associatedStations().map((a) => ({ rsnxe: a.rsnxe?.toString('hex'), mfp: a.mfp })),
      [{ rsnxe: hex(STA_RSNXE).toString('hex'), mfp: true }],
    );
  });

  void it('retransmitted SAE frame (retry bit, same sequence control) dropped', () => {
    const m = new ApMlme(saeConfig());
    assert.equal(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY, { seq: 40 }), T0).length, 1);
    assert.deepEqual(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY, { seq: 40, retry: true }), T0 + 1), []);
    assert.equal(m.counters.dropped.retransmission, 1);
    assert.equal(m.counters.saeRelayed, 1);
  });

  void it("a station's SAE flood costs only that station: past its own budget (5/s) its frames are dropped; another station's pass; refilled with time", () => {
    const m = new ApMlme(saeConfig({ saeFramesPerSecond: 5 }));
    for (let i = 0; i < 5; i++) assert.equal(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0).length, 1, `frame ${i + 1}`);
    assert.deepEqual(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0), []);
    assert.equal(m.counters.dropped['sae-rate'], 1);
    assert.equal(m.handleFrame(saeFrame(STA2, 1, COMMIT_BODY), T0).length, 1, 'another station is relayed');
    assert.equal(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0 + 200).length, 1, 'one frame back after 200 ms at 5/s');
    assert.equal(m.counters.saeRelayed, 7);
  });

  void it('SAE frames draw on the BSS response budget too', () => {
    const m = new ApMlme(saeConfig({ responsesPerSecond: 2 }));
    assert.equal(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0).length, 1);
    assert.equal(m.handleFrame(authFrame(STA2), T0).length, 1);
    assert.deepEqual(m.handleFrame(saeFrame(hex('020000000300'), 1, COMMIT_BODY), T0), []);
    assert.equal(m.counters.dropped['response-budget'], 1);
  });

  void it('SAE commits from many new MACs: the pending table stays bounded (the oldest go)', () => {
    const m = new ApMlme(saeConfig({ maxPendingAuth: 2 }));
    for (let i = 0; i < 5; i++) m.handleFrame(saeFrame(hex(`0200000010${i.toString(16).padStart(2, '0')}`), 1, COMMIT_BODY), T0 + i);
    assert.equal(m.counters.dropped['auth-evicted'], 3);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(hex('020000001000'), [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE]), T0 + 10)), [{ transmit: 'Deauthentication', to: '02:00:00:00:10:00', reason: 6 }]);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(hex('020000001004'), [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE]), T0 + 10)), accepted('02:00:00:00:10:04', 1, false, true));
  });

  void it('SAE commit from a station associated without PMF (transition mode, PSK): the old association ends, as with Open System', () => {
    const m = new ApMlme(config({ rsne: hex(TRANSITION_BSS_RSNE) }));
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0 + 100)), [
      { removeStation: sta },
      { disassociated: sta, reason: 2, deauth: true, locallyGenerated: false },
      { authentication: sta, algorithm: 3, transaction: 1, status: 0, body: COMMIT_BODY },
    ]);
  });

  void it('SAE commit or Open System Authentication in the name of a station with a PMF association: relayed / answered, the association untouched', () => {
    const m = new ApMlme(saeConfig());
    associatePmf(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0 + 100)), [{ authentication: sta, algorithm: 3, transaction: 1, status: 0, body: COMMIT_BODY }]);
    assert.deepEqual(summarize(m.handleFrame(authFrame(STA), T0 + 200)), [{ transmit: 'Authentication', to: sta, algorithm: 0, transaction: 2, status: 0 }]);
    assert.equal(m.isAssociated(STA), true);
  });
});

void describe('MLME: association policy of RSNE and PMF (hostapd wpa_validate_wpa_ie, §12.6.3)', () => {
  const SAE = '000fac08';
  const PSK = '000fac02';
  const cases: { desc: string; bss: string[]; sta: Hex; status: number; mfp?: boolean }[] = [
    { desc: 'SAE BSS, SAE station with MFPC and MFPR: accepted, PMF', bss: SAE_BSS_RSNE, sta: STA_SAE_RSNE, status: 0, mfp: true },
    { desc: 'SAE BSS, SAE station with MFPC only: accepted, PMF', bss: SAE_BSS_RSNE, sta: rsne({ akms: [SAE], capabilities: '8000' }), status: 0, mfp: true },
    { desc: 'SAE BSS (MFPR), station without MFPC: 31', bss: SAE_BSS_RSNE, sta: rsne({ akms: [SAE] }), status: 31 },
    { desc: 'SAE BSS, PSK station: 43', bss: SAE_BSS_RSNE, sta: rsne({ akms: [PSK], capabilities: '8000' }), status: 43 },
    { desc: 'transition BSS, PSK station without PMF: accepted, no PMF', bss: TRANSITION_BSS_RSNE, sta: rsne({ akms: [PSK] }), status: 0, mfp: false },
    { desc: 'transition BSS, PSK station with MFPC: accepted, PMF', bss: TRANSITION_BSS_RSNE, sta: rsne({ akms: [PSK], capabilities: '8000' }), status: 0, mfp: true },
    { desc: 'transition BSS, PSK station requiring PMF (MFPR): accepted, PMF', bss: TRANSITION_BSS_RSNE, sta: rsne({ akms: [PSK], capabilities: 'c000' }), status: 0, mfp: true },
    { desc: 'transition BSS, SAE station without MFPC: 31 (SAE requires PMF)', bss: TRANSITION_BSS_RSNE, sta: rsne({ akms: [SAE] }), status: 31 },
    { desc: 'transition BSS, SAE station with MFPC: accepted, PMF', bss: TRANSITION_BSS_RSNE, sta: rsne({ akms: [SAE], capabilities: '8000' }), status: 0, mfp: true },
    { desc: 'PSK BSS without PMF, station requiring it (MFPR): 31', bss: BSS_RSNE, sta: rsne({ capabilities: 'c000' }), status: 31 },
    { desc: 'PSK BSS without PMF, station capable of it (MFPC): accepted, no PMF', bss: BSS_RSNE, sta: rsne({ capabilities: '8000' }), status: 0, mfp: false },
    { desc: 'PSK BSS requiring PMF, station not capable: 31', bss: PSK_PMF_REQUIRED_RSNE, sta: rsne({}), status: 31 },
    { desc: 'PSK BSS requiring PMF, station with MFPC: accepted, PMF', bss: PSK_PMF_REQUIRED_RSNE, sta: rsne({ capabilities: '8000' }), status: 0, mfp: true },
    { desc: 'SAE BSS, SAE AKM on a BSS that does not offer it: 43', bss: BSS_RSNE, sta: STA_SAE_RSNE, status: 43 },
    {
      desc: 'PMF negotiated, group management cipher BIP-CMAC-128 named: accepted',
      bss: SAE_BSS_RSNE,
      sta: rsne({ akms: [SAE], capabilities: 'c000', tail: '0000' + '000fac06' }),
      status: 0,
      mfp: true,
    },
    { desc: 'PMF negotiated, group management cipher BIP-GMAC-256: 46', bss: SAE_BSS_RSNE, sta: rsne({ akms: [SAE], capabilities: 'c000', tail: '0000' + '000fac0c' }), status: 46 },
    { desc: 'PMF negotiated, group management cipher BIP-CMAC-256: 46', bss: TRANSITION_BSS_RSNE, sta: rsne({ akms: [PSK], capabilities: '8000', tail: '0000' + '000fac0d' }), status: 46 },
    {
      desc: 'PMF not negotiated: the station\'s group management cipher is not looked at',
      bss: TRANSITION_BSS_RSNE,
      sta: rsne({ akms: [PSK], capabilities: '0000', tail: '0000' + '000fac0c' }),
      status: 0,
      mfp: false,
    },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      const m = new ApMlme(config({ rsne: hex(c.bss) }));
      m.handleFrame(authFrame(STA), T0);
      const actions = m.handleFrame(assocFrame(STA, [...SSID_CORP, ...STA_RATES, ...hex(c.sta).toString('hex').match(/../g)!]), T0 + 1);
      if (c.status !== 0) {
        assert.deepEqual(summarize(actions), [{ transmit: 'Association Response', to: sta, status: c.status, aidField: 0 }]);
        assert.equal(m.counters.refusedByStatus[c.status], 1);
        return;
      }
      assert.deepEqual(summarize(actions), accepted(sta, 1, false, c.mfp));
      const ev = m.handleTxStatus(ackToken(actions), true, T0 + 2);
      assert.ok(ev[0]?.type === 'associated' && ev[0].rsne.equals(hex(c.sta)), "the station's RSNE reported");
    });
  }

  void it('the first of two RSNXEs is reported; a request without one reports none', () => {
    const m = new ApMlme(saeConfig());
    m.handleFrame(authFrame(STA), T0);
    const a1 = m.handleFrame(assocFrame(STA, [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE, ...STA_RSNXE, 'f4', '02', '0100']), T0);
    assert.deepEqual(summarize(m.handleTxStatus(ackToken(a1), true, T0)), [{ associated: sta, reassociation: false, previousBssid: undefined, rsnxe: 'f40120' }]);
    m.handleFrame(authFrame(STA2), T0);
    const a2 = m.handleFrame(assocFrame(STA2, [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE]), T0);
    assert.deepEqual(summarize(m.handleTxStatus(ackToken(a2), true, T0)), [{ associated: sta2, reassociation: false, previousBssid: undefined }]);
  });
});

void describe('MLME: SA Query (IEEE 802.11-2020 §11.13)', () => {
  void it("a PMF station's protected SA Query Request is answered with a Response carrying its transaction identifier", () => {
    const m = new ApMlme(saeConfig());
    associatePmf(m, STA, T0);
    const out = m.handleFrame(saQueryFrame(STA, 0, 'abcd'), T0 + 100);
    assert.deepEqual(summarize(out), [{ transmit: 'Action', to: sta, saQuery: 'response', id: 'abcd' }]);
    const f = out[0];
    assert.ok(f.type === 'transmit');
    assert.equal(
      f.frame.toString('hex'),
      hex([
        'd000', // frame control: Action (the kernel sets Protected when it encrypts it)
        '0000', // duration
        STA.toString('hex'), // DA
        AP.toString('hex'), // SA
        AP.toString('hex'), // BSSID
        '0000', // sequence control (the driver's)
        '08', // category: SA Query
        '01', // action: SA Query Response
        'abcd', // transaction identifier
      ]).toString('hex'),
    );
    assert.equal(m.counters.saQueryResponses, 1);
  });

  void it('an unprotected SA Query Request from a PMF station is dropped (robust Action frame)', () => {
    const m = new ApMlme(saeConfig());
    associatePmf(m, STA, T0);
    assert.deepEqual(m.handleFrame(saQueryFrame(STA, 0, 'abcd', { protectedFrame: false }), T0 + 100), []);
    assert.equal(m.counters.dropped.unprotected, 1);
  });

  void it('a station associated without PMF is answered (unprotected)', () => {
    const m = new ApMlme(config());
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.handleFrame(saQueryFrame(STA, 0, '0102', { protectedFrame: false }), T0 + 1)), [{ transmit: 'Action', to: sta, saQuery: 'response', id: '0102' }]);
  });

  const ignored = [
    { desc: 'from a station that is only authenticated', setup: (m: ApMlme): void => void m.handleFrame(authFrame(STA), T0), f: () => saQueryFrame(STA, 0, 'abcd'), drop: 'unknown-station' as const },
    { desc: 'from an unknown station', setup: (): void => undefined, f: () => saQueryFrame(STA, 0, 'abcd'), drop: 'unknown-station' as const },
    { desc: 'cut after the action field', setup: (m: ApMlme): void => associate(m, STA, T0), f: () => frame(MGMT.ACTION, STA, ['08', '00', 'ab']), drop: 'malformed' as const },
    { desc: 'an SA Query action 2 (not defined)', setup: (m: ApMlme): void => associate(m, STA, T0), f: () => saQueryFrame(STA, 2, 'abcd'), drop: 'unexpected-subtype' as const },
    { desc: 'another category (Spectrum Management)', setup: (m: ApMlme): void => associate(m, STA, T0), f: () => frame(MGMT.ACTION, STA, ['00', '04']), drop: 'unexpected-subtype' as const },
    { desc: 'an empty Action frame', setup: (m: ApMlme): void => associate(m, STA, T0), f: () => frame(MGMT.ACTION, STA, ''), drop: 'malformed' as const },
    { desc: 'an SA Query Response nobody asked for', setup: (m: ApMlme): void => associate(m, STA, T0), f: () => saQueryFrame(STA, 1, 'abcd'), drop: 'sa-query-unmatched' as const },
  ];
  for (const c of ignored) {
    void it(`SA Query ${c.desc}: dropped and counted`, () => {
      const m = new ApMlme(config());
      c.setup(m);
      assert.deepEqual(m.handleFrame(c.f(), T0 + 5), []);
      assert.equal(m.counters.dropped[c.drop], 1);
    });
  }
});

void describe('MLME: association comeback with PMF (§11.3.5.4 / hostapd check_sa_query, sa_query.c)', () => {
  const SAE_ASSOC = [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE];
  const mlme = (): ApMlme => new ApMlme(saeConfig({ random: counterRandom() }));
  /** hostapd's defaults: retry every 201 TU, give up after 1000 TU. */
  const RETRY_MS = 201 * 1.024;
  const MAX_MS = 1000 * 1.024;

  void it('an Association Request in the name of a station with a PMF association: status 30 with a comeback time of 1000 TU, and an SA Query Request to the station', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    const out = m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 1_000);
    assert.deepEqual(summarize(out), [
      { transmit: 'Association Response', to: sta, status: 30, aidField: 0, comebackTu: 1000 },
      { transmit: 'Action', to: sta, saQuery: 'request', id: '0001' },
    ]);
    const resp = out[0];
    assert.ok(resp.type === 'transmit');
    assert.equal(
      resp.frame.subarray(24).toString('hex'),
      hex([
        '3104', // capability
        '1e00', // status 30: association request rejected temporarily
        '0000', // AID: none
        '01', '08', '82848b960c121824', // Supported Rates
        '32', '04', '3048606c', // Extended Supported Rates
        '38', '05', // Timeout Interval element, length 5
        '03', // type 3: association comeback time
        'e8030000', // 1000 TUs
      ]).toString('hex'),
    );
    assert.equal(m.isAssociated(STA), true, 'the association stands');
    assert.equal(m.counters.refusedByStatus[30], 1);
    assert.equal(m.counters.saQueriesStarted, 1);
  });

  void it('a Reassociation Request is treated the same; a second request during the SA Query gets the time left (+1 TU) and no new SA Query', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    m.handleFrame(reassocFrame(STA, AP), T0 + 1_000);
    // 300 ms = 292 TU gone: 708 left, + 1 for the timers.
    assert.deepEqual(summarize(m.handleFrame(reassocFrame(STA, AP), T0 + 1_300)), [{ transmit: 'Reassociation Response', to: sta, status: 30, aidField: 0, comebackTu: 709 }]);
    assert.equal(m.counters.saQueriesStarted, 1);
  });

  void it('the SA Query Request goes again every 201 TU with a new transaction identifier; unanswered for 1000 TU, the old association ends (reported, locally generated) and the next request succeeds', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    const t = T0 + 1_000;
    m.handleFrame(assocFrame(STA, SAE_ASSOC), t);
    const requests: string[] = ['0001'];
    let now = t;
    for (;;) {
      const d = m.nextDeadline();
      assert.ok(d !== undefined);
      now = d;
      const out = m.tick(now);
      if (out.some((a) => a.type === 'remove-station')) {
        assert.deepEqual(summarize(out), [{ removeStation: sta }, { disassociated: sta, reason: 2, deauth: false, locallyGenerated: true }]);
        break;
      }
      const id = (requests.length + 1).toString(16).padStart(4, '0');
      assert.deepEqual(summarize(out), [{ transmit: 'Action', to: sta, saQuery: 'request', id }]);
      requests.push(id);
    }
    assert.deepEqual(requests, ['0001', '0002', '0003', '0004', '0005'], 'at 0, 201, 402, 603 and 804 TU');
    assert.ok(Math.abs(now - (t + MAX_MS)) < 1e-6, `ended at ${now - t} ms`);
    assert.ok(Math.abs(RETRY_MS - 205.824) < 1e-9);
    assert.equal(m.isAssociated(STA), false);
    assert.equal(m.counters.saQueryTimeouts, 1);
    // Authenticated still: the station's next request is accepted at once (a fresh kernel entry).
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, SAE_ASSOC), now + 10)), accepted(sta, 1, false, true));
  });

  void it('a valid protected SA Query Response (any of the identifiers sent) ends the SA Query: the association stays, the next request starts a new one', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 1_000);
    m.tick(T0 + 1_000 + RETRY_MS); // second request, id 0002
    assert.deepEqual(m.handleFrame(saQueryFrame(STA, 1, '0001'), T0 + 1_300), []);
    assert.equal(m.counters.saQueriesAnswered, 1);
    assert.equal(m.nextDeadline(), T0 + 10_000, 'only the inactivity check is left');
    assert.deepEqual(m.tick(T0 + 1_000 + MAX_MS + 1), []);
    assert.equal(m.isAssociated(STA), true);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 3_000)), [
      { transmit: 'Association Response', to: sta, status: 30, aidField: 0, comebackTu: 1000 },
      { transmit: 'Action', to: sta, saQuery: 'request', id: '0003' },
    ]);
  });

  void it('an SA Query Response with an unknown identifier, or unprotected, does not count', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 1_000);
    assert.deepEqual(m.handleFrame(saQueryFrame(STA, 1, 'ffff'), T0 + 1_010), []);
    assert.deepEqual(m.handleFrame(saQueryFrame(STA, 1, '0001', { protectedFrame: false }), T0 + 1_020), []);
    assert.equal(m.counters.dropped['sa-query-unmatched'], 1);
    assert.equal(m.counters.dropped.unprotected, 1);
    assert.equal(m.counters.saQueriesAnswered, 0);
  });

  void it('before the pairwise key is installed (handshake not done), a new request replaces the association as usual', () => {
    const m = mlme();
    m.handleFrame(saeFrame(STA, 1, COMMIT_BODY), T0);
    const first = m.handleFrame(assocFrame(STA, SAE_ASSOC), T0);
    m.handleTxStatus(ackToken(first), true, T0);
    m.eapolReceived(STA, []);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 100)), accepted(sta, 1, true, true));
  });

  void it('the key removed again: no association comeback', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    m.pairwiseKeyInstalled(STA, false);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 100)), accepted(sta, 1, true, true));
  });

  void it('a station associated without PMF (transition mode, PSK) is replaced as before, key or not', () => {
    const m = new ApMlme(config({ rsne: hex(TRANSITION_BSS_RSNE) }));
    associate(m, STA, T0);
    m.eapolReceived(STA, []);
    m.pairwiseKeyInstalled(STA, true);
    assert.deepEqual(summarize(m.handleFrame(assocFrame(STA), T0 + 100)), accepted(sta, 1, true));
  });

  void it('the comeback answer draws on the response budget; nothing at all when it is spent', () => {
    const m = new ApMlme(saeConfig({ random: counterRandom(), responsesPerSecond: 2 }));
    associatePmf(m, STA, T0); // its commit and confirm took the budget
    assert.deepEqual(m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 1), []);
    assert.equal(m.counters.dropped['response-budget'], 1);
    assert.equal(m.counters.saQueriesStarted, 0);
  });

  void it('an unprotected Deauthentication or Disassociation in the name of a PMF station is dropped; a protected one ends the association', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    assert.deepEqual(m.handleFrame(deauthFrame(STA, 3), T0 + 1), []);
    assert.deepEqual(m.handleFrame(disassocFrame(STA, 8), T0 + 2), []);
    assert.equal(m.counters.dropped.unprotected, 2);
    assert.equal(m.isAssociated(STA), true);
    const protectedDeauth = deauthFrame(STA, 3);
    protectedDeauth[1] |= 0x40;
    assert.deepEqual(summarize(m.handleFrame(protectedDeauth, T0 + 3)), [{ removeStation: sta }, { disassociated: sta, reason: 3, deauth: true, locallyGenerated: false }]);
  });

  void it('the authenticator disconnects the station during the SA Query: the SA Query ends with it', () => {
    const m = mlme();
    associatePmf(m, STA, T0);
    m.handleFrame(assocFrame(STA, SAE_ASSOC), T0 + 1_000);
    assert.deepEqual(summarize(m.disconnect(STA, 2, true, T0 + 1_100)), [{ transmit: 'Deauthentication', to: sta, reason: 2 }, { removeStation: sta }]);
    assert.equal(m.nextDeadline(), undefined);
    assert.deepEqual(m.tick(T0 + 5_000), []);
  });
});

// ---- hostile and random sequences -----------------------------------------------------------------

const POOL = [STA, STA2, hex('020000000300')];
const staIndex = fc.integer({ min: 0, max: POOL.length - 1 });
const ELEMENT_CHOICES: Hex[] = [
  [...SSID_CORP, ...STA_RATES, ...STA_RSNE],
  [...SSID_CORP, ...STA_RATES, ...rsne({ akms: ['000fac01'] })],
  [...SSID_CORP, ...STA_RATES],
  [...SSID_CORP, ...STA_RATES, ...STA_RSNE, '30'],
  [...SSID_CORP, ...STA_RATES, ...STA_SAE_RSNE, ...STA_RSNXE],
  [...SSID_CORP, ...STA_RATES, ...rsne({ capabilities: '8000' })],
];

type Op =
  | { op: 'frame'; bytes: Buffer }
  | { op: 'tx-status'; acked: boolean }
  | { op: 'eapol'; sta: number }
  | { op: 'time'; ms: number }
  | { op: 'gone'; sta: number }
  | { op: 'expel'; sta: number }
  | { op: 'disconnect'; sta: number; deauth: boolean }
  | { op: 'unexpected'; sta: number }
  | { op: 'key'; sta: number; installed: boolean }
  | { op: 'port'; sta: number; authorized: boolean }
  | { op: 'transmit-auth'; sta: number; transaction: number };

const header = fc.record({ seq: fc.integer({ min: 0, max: 3 }), retry: fc.boolean() }, { noNullPrototype: true });
const frameOp: fc.Arbitrary<Op> = fc
  .oneof(
    fc.tuple(staIndex, header, fc.constantFrom(0, 3), fc.constantFrom(1, 2, 0xffff)).map(([i, h, algorithm, transaction]) => authFrame(POOL[i], { ...h, algorithm, transaction })),
    fc.tuple(staIndex, header, fc.constantFrom(...ELEMENT_CHOICES)).map(([i, h, e]) => assocFrame(POOL[i], e, h)),
    fc.tuple(staIndex, header).map(([i, h]) => reassocFrame(POOL[i], OTHER_AP, h)),
    fc.tuple(staIndex, header, fc.boolean(), fc.boolean()).map(([i, h, d, p]) => {
      const f = (d ? deauthFrame : disassocFrame)(POOL[i], 3, h);
      if (p) f[1] |= 0x40;
      return f;
    }),
    fc.tuple(staIndex, header, fc.constantFrom(1, 2, 3), fc.constantFrom(0, 126)).map(([i, h, t, status]) => saeFrame(POOL[i], t, t === 1 ? COMMIT_BODY : CONFIRM_BODY, { ...h, status })),
    fc.tuple(staIndex, header, fc.constantFrom(0, 1, 2), fc.constantFrom('0001', '0002', 'ffff'), fc.boolean()).map(([i, h, a, id, p]) => saQueryFrame(POOL[i], a, id, { ...h, protectedFrame: p })),
    fc.tuple(staIndex, fc.constantFrom('', 'corp', 'guest')).map(([i, s]) => probeFrame(POOL[i], s)),
    fc.tuple(staIndex, fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 40 })).map(([i, sub, body]) => frame(sub << 4, POOL[i], Buffer.from(body).toString('hex'))),
    fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
  )
  .map((bytes): Op => ({ op: 'frame', bytes }));
const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: frameOp },
    { weight: 2, arbitrary: fc.boolean().map((acked): Op => ({ op: 'tx-status', acked })) },
    { weight: 1, arbitrary: staIndex.map((sta): Op => ({ op: 'eapol', sta })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 12_000 }).map((ms): Op => ({ op: 'time', ms })) },
    { weight: 1, arbitrary: staIndex.map((sta): Op => ({ op: 'gone', sta })) },
    { weight: 1, arbitrary: staIndex.map((sta): Op => ({ op: 'expel', sta })) },
    { weight: 1, arbitrary: fc.tuple(staIndex, fc.boolean()).map(([sta, deauth]): Op => ({ op: 'disconnect', sta, deauth })) },
    { weight: 1, arbitrary: staIndex.map((sta): Op => ({ op: 'unexpected', sta })) },
    { weight: 1, arbitrary: fc.tuple(staIndex, fc.boolean()).map(([sta, installed]): Op => ({ op: 'key', sta, installed })) },
    { weight: 1, arbitrary: fc.tuple(staIndex, fc.boolean()).map(([sta, authorized]): Op => ({ op: 'port', sta, authorized })) },
    { weight: 1, arbitrary: fc.tuple(staIndex, fc.constantFrom(1, 2)).map(([sta, transaction]): Op => ({ op: 'transmit-auth', sta, transaction })) },
  ),
  { maxLength: 40 },
);

void describe('MLME: random sequences (properties)', () => {
  const bsses = [
    { name: 'WPA2-PSK', rsne: BSS_RSNE },
    { name: 'transition mode (PSK + SAE, PMF capable)', rsne: TRANSITION_BSS_RSNE },
    { name: 'WPA3-Personal (SAE, PMF required)', rsne: SAE_BSS_RSNE },
  ];
  for (const b of bsses) void it(`${b.name}: never throws; the authenticator hears 'disassociated' only for a station it was told is associated, once; what is associated was reported; SA Queries only to associated stations`, () => {
    fc.assert(
      fc.property(ops, (list) => {
        const m = new ApMlme(config({ rsne: hex(b.rsne), maxStations: 2, maxPendingAuth: 2, responsesPerSecond: 20, random: counterRandom() }));
        let now = T0;
        const tokens: number[] = [];
        const associated = new Set<string>();
        const apply = (actions: readonly MlmeAction[]): void => {
          for (const a of actions) {
            if (a.type === 'transmit') {
              const f = decodeMgmtFrame(a.frame);
              assert.ok(f.ok);
              if (f.value.subtype === MGMT.ACTION && decodeSaQuery(f.value.body).ok && f.value.body[1] === 0) assert.ok(m.isAssociated(f.value.da), 'an SA Query Request goes to an associated station');
              if (a.ackToken !== undefined) tokens.push(a.ackToken);
            } else if (a.type === 'associated') {
              associated.add(formatMac(a.sta));
            } else if (a.type === 'disassociated') {
              assert.ok(associated.delete(formatMac(a.sta)), `'disassociated' for ${formatMac(a.sta)}, not reported associated`);
            }
          }
        };
        for (const o of list) {
          switch (o.op) {
            case 'frame':
              apply(m.handleFrame(o.bytes, now));
              break;
            case 'tx-status':
              if (tokens.length > 0) apply(m.handleTxStatus(tokens.shift()!, o.acked, now));
              break;
            case 'eapol': {
              const out: MlmeAction[] = [];
              m.eapolReceived(POOL[o.sta], out);
              apply(out);
              break;
            }
            case 'time':
              now += o.ms;
              apply(m.tick(now));
              break;
            case 'gone':
              apply(m.stationGone(POOL[o.sta], 1));
              break;
            case 'expel':
              apply(m.expel(POOL[o.sta], 4));
              break;
            case 'disconnect':
              // The authenticator asked: it knows the station is gone.
              associated.delete(formatMac(POOL[o.sta]));
              apply(m.disconnect(POOL[o.sta], 3, o.deauth, now));
              break;
            case 'unexpected':
              apply(m.unexpectedFrame(POOL[o.sta], now));
              break;
            case 'key':
              m.pairwiseKeyInstalled(POOL[o.sta], o.installed);
              break;
            case 'port':
              m.portAuthorized(POOL[o.sta], o.authorized);
              break;
            case 'transmit-auth':
              apply(m.transmitAuthentication(POOL[o.sta], { algorithm: 3, transaction: o.transaction, status: 0, body: hex(CONFIRM_BODY) }, now));
              break;
          }
          for (const s of POOL) if (m.isAssociated(s)) assert.ok(associated.has(formatMac(s)), 'an associated station was reported');
          assert.ok(m.associatedStations().length <= 2, 'maxStations holds');
          if (o.op === 'time') assert.ok((m.nextDeadline() ?? Infinity) > now, 'nothing left due after tick');
        }
      }),
      { numRuns: 500 },
    );
  });
});

void describe('AP MLME: inactivity (hostapd ap_max_inactivity), on virtual time', () => {
  const MAX = 300_000;
  const EVERY = 10_000;
  const mlme = (): ApMlme => new ApMlme(config({ maxInactivityMs: MAX, inactivityCheckMs: EVERY }));

  void it('no station associated: no inactivity deadline', () => {
    const m = mlme();
    assert.equal(m.nextDeadline(), undefined);
  });

  void it('a station associates: the MLME asks for the inactive times every inactivityCheckMs', () => {
    const m = mlme();
    associate(m, STA, T0);
    const d = m.nextDeadline();
    assert.ok(d !== undefined && d <= T0 + EVERY, `deadline ${String(d)}`);
    assert.deepEqual(summarize(m.tick(T0 + EVERY)), [{ checkInactivity: true }]);
    assert.deepEqual(m.tick(T0 + EVERY + 1), [], 'not again before the next period');
    assert.equal(m.nextDeadline(), T0 + 2 * EVERY);
  });

  void it('silent past max_inactivity: polled; the poll not acknowledged: Deauthentication reason 4, reported as locally generated', () => {
    const m = mlme();
    associate(m, STA, T0);
    assert.deepEqual(m.inactivity(STA, MAX - 1), [], 'not yet');
    assert.deepEqual(summarize(m.inactivity(STA, MAX)), [{ poll: sta }]);
    assert.deepEqual(summarize(m.pollAnswered(STA, false)), [
      { transmit: 'Deauthentication', to: sta, reason: 4 },
      { removeStation: sta },
      { disassociated: sta, reason: 4, deauth: true, locallyGenerated: true },
    ]);
    assert.equal(m.isAssociated(STA), false);
  });

  void it('the poll acknowledged: the station stays; a later report while a poll is unanswered expels it', () => {
    const m = mlme();
    associate(m, STA, T0);
    assert.deepEqual(summarize(m.inactivity(STA, MAX)), [{ poll: sta }]);
    assert.deepEqual(m.pollAnswered(STA, true), []);
    assert.equal(m.isAssociated(STA), true);
    assert.deepEqual(m.pollAnswered(STA, false), [], 'no poll outstanding: nothing');
    assert.deepEqual(summarize(m.inactivity(STA, MAX + EVERY)), [{ poll: sta }]);
    assert.deepEqual(summarize(m.inactivity(STA, MAX + 2 * EVERY)), [
      { transmit: 'Deauthentication', to: sta, reason: 4 },
      { removeStation: sta },
      { disassociated: sta, reason: 4, deauth: true, locallyGenerated: true },
    ]);
  });

  void it('activity again cancels the poll; unknown stations and maxInactivityMs 0 are ignored', () => {
    const m = mlme();
    associate(m, STA, T0);
    m.inactivity(STA, MAX);
    assert.deepEqual(m.inactivity(STA, 5), [], 'active again');
    assert.deepEqual(m.pollAnswered(STA, false), [], 'the poll was cancelled');
    assert.deepEqual(m.inactivity(STA2, MAX * 2), [], 'not associated here');
    const off = new ApMlme(config({ maxInactivityMs: 0 }));
    associate(off, STA, T0);
    assert.deepEqual(off.inactivity(STA, MAX * 10), []);
    assert.equal(off.nextDeadline(), undefined);
  });
});

