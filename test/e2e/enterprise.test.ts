/**
 * WPA2-Enterprise end to end (issue 3 "Tests"; DESIGN.md "802.1X", "RADIUS", invariant 9):
 * real gRPC, a real FreeRADIUS 3.2 (TLS 1.2 and 1.3), real edge agents over one sim radio
 * whose stations run the project's EAP peer (EAP-TLS, EAP-TTLS/PAP) and supplicant.
 *
 * - full mix: 3 agents x 20 stations, every one authorized; PMK = MSK[0..32] (RFC 5216
 *   §2.3, IEEE 802.11-2020 §12.7.1.3) on both sides; TK equal; VLAN from
 *   Tunnel-Private-Group-ID (RFC 3580 §3.31) in SetPortAuthorized;
 * - failures: a client certificate from another CA, a wrong TTLS password: Access-Reject,
 *   EAP-Failure, disconnect with reason 23;
 * - PMKSA caching across agents (OKC): a roam to another agent's BSS skips EAP and RADIUS,
 *   msg 1/4 carries the PMKID, the join is faster;
 * - accounting (RFC 2866): Start and Stop in FreeRADIUS's detail file with the core's
 *   Acct-Session-Id and the attributes the authenticator must send.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { EapCode, EapType, KdeType, KeyInfo, Reason, decodeEap, decodeEapol, decodeEapolKey, decodeKeyData, findKde, fingerprint, formatMac, macKey } from '@airlock/rsn';
import type { SimStationSpec } from '@airlock/edge-agent';
import { waitFor } from '../support/topology.js';
import {
  accessRequestCount,
  CORP_SSID,
  detailRecords,
  detailValue,
  metricSum,
  NAS_IDENTIFIER,
  RADIUS_SERVER_NAMES,
  ROGUE_CERTIFICATE,
  startEnterpriseBed,
  stationMac,
  TTLS_OUTER_IDENTITY,
  type AccountingEffect,
  type DetailRecord,
  type EnterpriseBed,
  type Radio,
} from '../support/enterprise.js';

const VLAN_ATTRS = (vlan: number): Record<string, string> => ({ 'Tunnel-Type': 'VLAN', 'Tunnel-Medium-Type': 'IEEE-802', 'Tunnel-Private-Group-Id': String(vlan) });

/** EAP-TLS identities (= certificate CNs) and their FreeRADIUS reply attributes. */
const CERTS = [
  { name: 'tls-staff', reply: { ...VLAN_ATTRS(10), Class: 'staff' } },
  { name: 'tls-lab', reply: { ...VLAN_ATTRS(20), 'Session-Timeout': '3600', 'Termination-Action': 'RADIUS-Request' } },
];
/** TTLS/PAP users. */
const ALICE = { name: 'alice', password: 'alice-pw', reply: { ...VLAN_ATTRS(30), Class: 'contractor', 'Session-Timeout': '7200' } };
const BOB = { name: 'bob', password: 'bob-pw' };
const CAROL = { name: 'carol', password: 'carol-pw' };
/** VLAN each identity's Access-Accept assigns (bob has no Tunnel attributes: 0 = none). */
const VLAN_OF: Record<string, number> = { 'tls-staff': 10, 'tls-lab': 20, alice: 30, bob: 0 };

const AGENTS = 3;
const PER_AGENT = 20;
const STATIONS = AGENTS * PER_AGENT;

/** IEEE 802.11-2020 §12.7.1.3: PMKID = HMAC-SHA1-128(PMK, "PMK Name" || AA || SPA), computed here independently of the core. */
function pmkidOf(pmk: Buffer, aa: Buffer, spa: Buffer): Buffer {
  return createHmac('sha1', pmk).update('PMK Name', 'latin1').update(aa).update(spa).digest().subarray(0, 16);
}

/** RFC 3580 §3.21 / §3.20 station ids: "AA-BB-CC-DD-EE-FF". */
function stationId(mac: Buffer): string {
  return formatMac(mac).toUpperCase().replaceAll(':', '-');
}

function staOf(k: { sta: string }): Buffer {
  return Buffer.from(k.sta.replaceAll(':', ''), 'hex');
}

void describe('WPA2-Enterprise with a real FreeRADIUS', () => {
  let bed: EnterpriseBed;
  let mix: Radio;
  /** Identity (EAP-TLS CN or TTLS inner user) of each full-mix station, by macKey. */
  const identityOf = new Map<string, string>();
  const joinMs: number[] = [];
  let mixMs = 0;

  before(async () => {
    bed = await startEnterpriseBed({ certificates: CERTS, passwords: [ALICE, BOB, CAROL], rogueCertificate: 'tls-staff' });
    // Per agent: i % 3 == 0 EAP-TLS 1.2, 1 EAP-TLS 1.3 (each pinned to that version, so it
    // only joins if that version is negotiated), 2 TTLS/PAP; certificates and users alternate.
    const stations: SimStationSpec[] = [];
    for (let a = 0; a < AGENTS; a++) {
      for (let i = 0; i < PER_AGENT; i++) {
        const mac = stationMac(1, a * PER_AGENT + i + 1);
        const home = a * 2 + (i % 2);
        if (i % 3 === 2) {
          const user = i % 2 === 0 ? ALICE : BOB;
          stations.push(bed.ttlsStation(mac, user.name, user.password, undefined, home));
          identityOf.set(macKey(mac), user.name);
        } else {
          const cert = i % 2 === 0 ? 'tls-staff' : 'tls-lab';
          stations.push(bed.tlsStation(mac, cert, i % 3 === 0 ? 'TLSv1.2' : 'TLSv1.3', home));
          identityOf.set(macKey(mac), cert);
        }
      }
    }
    const t0 = performance.now();
    mix = await bed.startRadio({ agents: AGENTS, stations, behaviour: { joinSpreadMs: 1000, rejoinAfterDisconnect: false } });
    // Authorized at the radio, and counted by the authenticator (after the agent confirmed SetPortAuthorized).
    await waitFor(() => mix.sim.authorizedCount() === STATIONS && bed.auth.service.core.phaseCounts().authorized === STATIONS, 30_000);
    mixMs = performance.now() - t0;
  });
  after(async () => {
    await bed?.close();
  });

  void it('full mix: 3 agents x 20 stations (EAP-TLS 1.2, EAP-TLS 1.3, TTLS/PAP) all authorized; PMK = MSK[0..32]; the installed TK is the supplicant\'s; the VLAN reaches SetPortAuthorized', async (t) => {
    t.diagnostic(`${mix.sim.authorizedCount()} of ${STATIONS} stations authorized ${mixMs.toFixed(0)} ms after the agents started (joins spread over 1 s)`);
    assert.equal(mix.sim.authorizedCount(), STATIONS, `authorized; FreeRADIUS log tail:\n${bed.radius[0].log().slice(-2000)}`);
    assert.deepEqual(mix.sim.violations, []);

    const m = await bed.metrics();
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'accept' }), STATIONS);
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'reject' }), 0);
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'timeout' }), 0);
    assert.equal(metricSum(m, 'airlock_handshakes_total', { result: 'success' }), STATIONS);
    assert.equal(metricSum(m, 'airlock_stations', { state: 'authorized' }), STATIONS);
    assert.equal(metricSum(m, 'airlock_join_duration_seconds_count', { akm: '8021x' }), STATIONS);
    assert.equal(metricSum(m, 'airlock_radius_requests_total', { server: RADIUS_SERVER_NAMES[0], code: 'Access-Accept' }), STATIONS);
    assert.ok(metricSum(m, 'airlock_radius_requests_total', { server: RADIUS_SERVER_NAMES[0], code: 'Access-Challenge' }) >= STATIONS * 3, 'EAP-TLS/TTLS take several challenges each');

    const vlans = new Map(mix.sim.stations().map((s) => [macKey(s.sta), s.vlanId]));
    const perAgent = new Map<string, number>();
    for (const k of mix.sim.keyViews()) {
      const sta = staOf(k);
      assert.equal(k.state, 'authorized', k.sta);
      assert.equal(mix.sim.eapSuccesses(sta), 1, `${k.sta}: one EAP success`);
      const msk = mix.sim.lastMsk(sta);
      assert.ok(msk !== undefined && msk.length === 64, `${k.sta}: the station's MSK`);
      // The PMK the authenticator derived from MS-MPPE-Recv-Key || MS-MPPE-Send-Key and
      // verified msg 2/4 with, against the first 32 octets of the station's own MSK.
      const hs = bed.auth.service.core.history(sta)[0];
      assert.equal(hs?.result, 'success', k.sta);
      assert.equal(hs.pmkFp, fingerprint(msk.subarray(0, 32)), `${k.sta}: PMK = MSK[0..32]`);
      assert.equal(bed.auth.service.core.station(sta)?.handshake?.pmkFp, hs.pmkFp, `${k.sta}: current handshake`);
      assert.ok(k.apTk !== undefined && k.stationTk !== undefined && k.apTk.equals(k.stationTk), `${k.sta}: TK installed at the agent equals the supplicant's`);
      assert.ok(k.apGtk !== undefined && k.stationGtk !== undefined && k.apGtk.equals(k.stationGtk.gtk), `${k.sta}: GTK`);
      const identity = identityOf.get(macKey(sta))!;
      assert.equal(vlans.get(macKey(sta)), VLAN_OF[identity], `${k.sta} (${identity}): VLAN in SetPortAuthorized`);
      if (hs.joinMs !== undefined) joinMs.push(hs.joinMs);
      const agentId = bed.auth.service.core.station(sta)!.agentId;
      perAgent.set(agentId, (perAgent.get(agentId) ?? 0) + 1);
    }
    assert.deepEqual([...perAgent.entries()].sort(), mix.agentIds.map((id) => [id, PER_AGENT]));
    joinMs.sort((a, b) => a - b);
    t.diagnostic(`join (association -> port authorized) p50 ${joinMs[Math.floor(joinMs.length / 2)].toFixed(1)} ms, max ${joinMs.at(-1)!.toFixed(1)} ms`);
  });

  void it('an unknown client certificate and a wrong TTLS password: Access-Reject, EAP-Failure, disconnect with reason 23, counted as reject', async () => {
    const before = await bed.metrics();
    const rogue = stationMac(2, 1);
    const wrong = stationMac(2, 2);
    const disconnects: { sta: string; reason: number }[] = [];
    const radio = await bed.startRadio({
      agents: 1,
      stations: [bed.tlsStation(rogue, ROGUE_CERTIFICATE, undefined, 0), bed.ttlsStation(wrong, CAROL.name, 'not-carols-password', undefined, 1)],
      behaviour: { joinSpreadMs: 50, rejoinAfterDisconnect: false },
    });
    radio.sim.on('disconnected', (sta: string, reason: number) => disconnects.push({ sta, reason }));
    assert.ok(await waitFor(() => disconnects.length >= 2, 10_000), `disconnects: ${JSON.stringify(disconnects)}`);
    await new Promise((r) => setTimeout(r, 200)); // nothing more must come

    assert.deepEqual(disconnects.sort((a, b) => a.sta.localeCompare(b.sta)), [
      { sta: formatMac(rogue), reason: Reason.IEEE_802_1X_AUTH_FAILED },
      { sta: formatMac(wrong), reason: Reason.IEEE_802_1X_AUTH_FAILED },
    ]);
    assert.equal(radio.sim.authorizedCount(), 0);
    assert.deepEqual(radio.sim.violations, []);
    for (const sta of [rogue, wrong]) {
      assert.equal(radio.sim.eapSuccesses(sta), 0, formatMac(sta));
      const eap = radio.views[0].eapTo(sta).map((b) => decodeEap(b));
      assert.ok(eap.every((p) => p.ok));
      const packets = eap.map((p) => (p.ok ? p.value : undefined)!);
      // The method ran (the server answered with challenges) and the last packet is EAP-Failure.
      assert.ok(packets.some((p) => p.code === EapCode.Request && (p.type === EapType.Tls || p.type === EapType.Ttls)), `${formatMac(sta)}: the EAP method started`);
      assert.equal(packets.at(-1)?.code, EapCode.Failure, `${formatMac(sta)}: EAP-Failure last`);
      assert.equal(packets.filter((p) => p.code === EapCode.Failure).length, 1);
      const hs = bed.auth.service.core.history(sta)[0];
      assert.equal(hs?.result, 'rejected', formatMac(sta));
      assert.match(hs.detail ?? '', /Access-Reject/);
      assert.equal(radio.views[0].keyFramesTo(sta).length, 0, `${formatMac(sta)}: no 4-way handshake`);
    }
    const m = await bed.metrics();
    const delta = (name: string, labels: Record<string, string>): number => metricSum(m, name, labels) - metricSum(before, name, labels);
    assert.equal(delta('airlock_eap_authentications_total', { result: 'reject' }), 2);
    assert.equal(delta('airlock_eap_authentications_total', { result: 'accept' }), 0);
    assert.equal(delta('airlock_eap_authentications_total', { result: 'timeout' }), 0);
    assert.equal(delta('airlock_radius_requests_total', { code: 'Access-Reject' }), 2);
    assert.equal(delta('airlock_radius_requests_total', { code: 'Access-Accept' }), 0);
    assert.equal(delta('airlock_handshakes_total', { result: 'rejected' }), 2);
  });

  void it('PMKSA cache across agents: a roam to another agent\'s BSS with the cached PMKID skips EAP and RADIUS, msg 1/4 carries the PMKID, and the join is faster', async () => {
    // A station of agent 1 (radio BSS 0), roaming to agent 2's first BSS.
    const sta = stationMac(1, 1);
    const from = mix.bssids[0];
    const toIndex = mix.bssIndex(1, 0);
    const to = mix.bssids[toIndex];
    const core = bed.auth.service.core;
    assert.equal(core.station(sta)?.bssid, formatMac(from));
    assert.equal(core.station(sta)?.agentId, mix.agentIds[0]);
    const msk = mix.sim.lastMsk(sta)!;
    const pmk = msk.subarray(0, 32);
    const before = await bed.metrics();
    const eapBefore = mix.sim.eapSuccesses(sta);
    const target = mix.views[1];
    assert.equal(target.transmitted.filter((f) => f.sta === macKey(sta)).length, 0, 'agent 2 never talked to the station before');
    const firstJoin = core.history(sta)[0];

    mix.sim.join(sta, toIndex); // a reassociation, previous BSSID = agent 1's
    // The port opens at the radio; the authenticator counts the join when the agent confirms it.
    await waitFor(() => core.station(sta)?.bssid === formatMac(to) && core.station(sta)?.portAuthorized === true, 5000);

    const view = mix.sim.keyViews().find((k) => k.sta === formatMac(sta))!;
    assert.equal(view.state, 'authorized');
    assert.equal(view.bssid, formatMac(to));
    assert.ok(view.apTk !== undefined && view.stationTk !== undefined && view.apTk.equals(view.stationTk), 'TK after the roam');
    assert.deepEqual(mix.sim.violations, []);
    const st = core.station(sta)!;
    assert.equal(st.agentId, mix.agentIds[1]);
    assert.equal(st.portAuthorized, true);

    // Zero RADIUS authentication traffic for the roam, no EAP at all. The only RADIUS
    // packets are accounting: Stop of the session at agent 1, Start of the one at agent 2.
    const accountingAnswers = (x: Map<string, number>): number => metricSum(x, 'airlock_radius_requests_total', { code: 'Accounting-Response' });
    await waitFor(async () => accountingAnswers(await bed.metrics()) - accountingAnswers(before) >= 2, 2000);
    const m = await bed.metrics();
    assert.equal(accessRequestCount(m), accessRequestCount(before), 'no Access-Request was answered, timed out or dropped');
    assert.equal(accountingAnswers(m) - accountingAnswers(before), 2, 'accounting Stop + Start');
    assert.equal(metricSum(m, 'airlock_radius_requests_total') - metricSum(before, 'airlock_radius_requests_total'), 2, 'nothing but the two accounting requests');
    assert.equal(metricSum(m, 'airlock_eap_authentications_total'), metricSum(before, 'airlock_eap_authentications_total'));
    assert.equal(mix.sim.eapSuccesses(sta), eapBefore, 'the station ran no EAP');
    assert.deepEqual(target.eapTo(sta), [], 'agent 2 sent the station no EAP packet (not even Request/Identity)');

    // Msg 1/4 (the first EAPOL-Key frame agent 2 sent) carries the PMKID KDE for the new AA.
    const keyFrames = target.keyFramesTo(sta);
    assert.ok(keyFrames.length >= 2, 'msg 1/4 and msg 3/4');
    const msg1 = decodeEapol(keyFrames[0].frame);
    assert.ok(msg1.ok);
    const key = decodeEapolKey(msg1.value.body);
    assert.ok(key.ok);
    assert.equal(key.value.keyInfo & (KeyInfo.ACK | KeyInfo.MIC | KeyInfo.PAIRWISE), KeyInfo.ACK | KeyInfo.PAIRWISE, 'msg 1/4');
    const kd = decodeKeyData(key.value.keyData);
    assert.ok(kd.ok);
    const pmkid = findKde(kd.value, KdeType.PMKID);
    assert.ok(pmkid !== undefined, 'PMKID KDE in msg 1/4');
    assert.equal(pmkid.toString('hex'), pmkidOf(pmk, to, sta).toString('hex'), 'PMKID = HMAC-SHA1-128(PMK, "PMK Name" || new BSSID || STA)');

    // The same PMK, and a faster join than the first one (which ran EAP-TLS through FreeRADIUS).
    const roamJoin = core.history(sta)[0];
    assert.notEqual(roamJoin, firstJoin);
    assert.equal(roamJoin.bssid, formatMac(to));
    assert.equal(roamJoin.result, 'success');
    assert.equal(roamJoin.pmkFp, fingerprint(pmk));
    assert.ok(roamJoin.joinMs !== undefined && firstJoin.joinMs !== undefined);
    assert.ok(roamJoin.joinMs < firstJoin.joinMs, `roam join ${roamJoin.joinMs.toFixed(1)} ms < first join ${firstJoin.joinMs.toFixed(1)} ms`);
  });

  void it('a PMKSA the authenticator no longer has (it restarted): the station offers its PMKID, gets EAP instead, runs it in full and is authorized', async () => {
    // A station of agent 2 with a cached PMKSA; the authenticator forgets it, as a restart
    // (or the entry's expiry there) would.
    const sta = stationMac(1, PER_AGENT + 5);
    const core = bed.auth.service.core;
    await waitFor(() => core.station(sta)?.portAuthorized === true, 5000);
    const bssIndex = mix.bssids.findIndex((b) => formatMac(b) === core.station(sta)!.bssid);
    const eapBefore = mix.sim.eapSuccesses(sta);
    const mskBefore = mix.sim.lastMsk(sta)!;
    const before = await bed.metrics();
    core.forgetPmksa(sta, Buffer.from(CORP_SSID));

    mix.sim.join(sta, bssIndex); // reassociation to the same BSS, offering the PMKID
    await waitFor(() => mix.sim.eapSuccesses(sta) === eapBefore + 1 && core.station(sta)?.portAuthorized === true, 10000);
    const m = await bed.metrics();
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'accept' }) - metricSum(before, 'airlock_eap_authentications_total', { result: 'accept' }), 1, 'one full EAP authentication');
    assert.ok(!mix.sim.lastMsk(sta)!.equals(mskBefore), 'a new MSK, so a new PMK');
    const join = core.history(sta)[0];
    assert.equal(join.result, 'success');
    assert.equal(join.pmkFp, fingerprint(mix.sim.lastMsk(sta)!.subarray(0, 32)));
    assert.deepEqual(mix.sim.violations, []);
  });

  void it('accounting: Start and Stop reach FreeRADIUS\'s detail file with the core\'s Acct-Session-Id, station ids, Class echoed, session time and terminate cause', async (t) => {
    // An EAP-TLS station with Class "staff" and a TTLS/PAP one with Class "contractor", on agent 3.
    const tls = stationMac(1, 2 * PER_AGENT + 1); // i = 0: tls-staff, TLS 1.2, radio BSS 4
    const ttls = stationMac(1, 2 * PER_AGENT + 3); // i = 2: alice, radio BSS 4
    assert.equal(identityOf.get(macKey(tls)), 'tls-staff');
    assert.equal(identityOf.get(macKey(ttls)), 'alice');
    // Give the sessions a measurable length, then the stations leave (Disassociation reason 8).
    await new Promise((r) => setTimeout(r, 1100));
    // Traffic counters reach the authenticator as StationCounters; the Stop carries the last.
    mix.sim.reportCounters();
    const traffic = new Map([tls, ttls].map((s) => [macKey(s), mix.sim.trafficOf(s)!]));
    await new Promise((r) => setTimeout(r, 200));
    mix.sim.leave(tls);
    mix.sim.leave(ttls);

    const fr = bed.radius[0];
    const sessions = (sta: Buffer): AccountingEffect[] => bed.accounting.filter((e) => e.sta.equals(sta));
    const recordsOf = (id: string): DetailRecord[] => detailRecords(fr).filter((r) => detailValue(r, 'Acct-Session-Id') === id);
    for (const [sta, identity, klass] of [[tls, 'tls-staff', 'staff'], [ttls, TTLS_OUTER_IDENTITY, 'contractor']] as const) {
      await waitFor(() => sessions(sta).length >= 2, 2000);
      const effects = sessions(sta);
      assert.deepEqual(effects.map((e) => e.kind), ['start', 'stop'], `${formatMac(sta)}: one session`);
      const id = effects[0].acctSessionId;
      assert.equal(effects[1].acctSessionId, id);
      assert.ok(await waitFor(() => recordsOf(id).length >= 2, 5000), `${formatMac(sta)}: Start and Stop in ${fr.detailFile()}`);
      const [start, stop] = recordsOf(id);
      t.diagnostic(`${formatMac(sta)} Stop record:\n${[...stop.attrs].map(([k, v]) => `  ${k} = ${v.join(', ')}`).join('\n')}`);
      const bssid = bed.auth.service.core.history(sta)[0].bssid;
      for (const [r, status] of [[start, 'Start'], [stop, 'Stop']] as const) {
        const what = `${formatMac(sta)} ${status}`;
        assert.equal(detailValue(r, 'Acct-Status-Type'), status, what);
        assert.equal(detailValue(r, 'User-Name'), identity, what);
        assert.equal(detailValue(r, 'Called-Station-Id'), `${stationId(Buffer.from(bssid.replaceAll(':', ''), 'hex'))}:${CORP_SSID}`, what);
        assert.equal(detailValue(r, 'Calling-Station-Id'), stationId(sta), what);
        assert.equal(detailValue(r, 'NAS-Identifier'), NAS_IDENTIFIER, what);
        assert.equal(detailValue(r, 'NAS-Port-Type'), 'Wireless-802.11', what);
        assert.equal(detailValue(r, 'Acct-Authentic'), 'RADIUS', what);
        assert.equal(detailValue(r, 'Acct-Multi-Session-Id'), effects[0].acctMultiSessionId, what);
        assert.deepEqual(r.attrs.get('Class'), [`0x${Buffer.from(klass).toString('hex')}`], `${what}: Class echoed`);
      }
      assert.equal(start.attrs.get('Acct-Session-Time'), undefined);
      assert.equal(start.attrs.get('Acct-Terminate-Cause'), undefined);
      assert.equal(detailValue(stop, 'Acct-Terminate-Cause'), 'User-Request');
      // Acct-Session-Time agrees with the Event-Timestamps of Start and Stop (whole seconds).
      const sessionTime = Number(detailValue(stop, 'Acct-Session-Time'));
      const elapsedS = (Date.parse(detailValue(stop, 'Event-Timestamp') ?? '') - Date.parse(detailValue(start, 'Event-Timestamp') ?? '')) / 1000;
      assert.ok(Number.isFinite(elapsedS), 'Event-Timestamp in Start and Stop');
      assert.ok(sessionTime >= 1 && Math.abs(sessionTime - elapsedS) <= 1, `Acct-Session-Time ${sessionTime} s, Event-Timestamps ${elapsedS} s apart`);
      // The Stop carries the counters of the last StationCounters the agent sent.
      const tr = traffic.get(macKey(sta))!;
      assert.ok(tr.rxBytes > 0n, 'the sim reported traffic');
      for (const [c, v] of [['Acct-Input-Octets', tr.rxBytes], ['Acct-Output-Octets', tr.txBytes], ['Acct-Input-Packets', tr.rxPackets], ['Acct-Output-Packets', tr.txPackets], ['Acct-Input-Gigawords', 0n], ['Acct-Output-Gigawords', 0n]] as const) {
        assert.equal(detailValue(stop, c), String(v), `${formatMac(sta)} Stop ${c}`);
      }
    }

    // The station that roamed (previous test): its first session stopped, a new one started
    // at the new BSSID under the same Acct-Multi-Session-Id (one 802.1X authentication).
    const roamed = stationMac(1, 1);
    const effects = sessions(roamed);
    assert.deepEqual(effects.map((e) => e.kind), ['start', 'stop', 'start']);
    assert.equal(effects[1].acctSessionId, effects[0].acctSessionId);
    assert.notEqual(effects[2].acctSessionId, effects[0].acctSessionId);
    assert.ok(await waitFor(() => recordsOf(effects[0].acctSessionId).length >= 2 && recordsOf(effects[2].acctSessionId).length >= 1, 5000), 'roam records');
    const [first, firstStop] = recordsOf(effects[0].acctSessionId);
    const [second] = recordsOf(effects[2].acctSessionId);
    assert.equal(detailValue(firstStop, 'Acct-Status-Type'), 'Stop');
    assert.equal(detailValue(second, 'Acct-Status-Type'), 'Start');
    assert.equal(detailValue(second, 'Acct-Multi-Session-Id'), detailValue(first, 'Acct-Multi-Session-Id'));
    assert.equal(detailValue(first, 'Called-Station-Id'), `${stationId(mix.bssids[0])}:${CORP_SSID}`);
    assert.equal(detailValue(second, 'Called-Station-Id'), `${stationId(mix.bssids[mix.bssIndex(1, 0)])}:${CORP_SSID}`);
    assert.deepEqual(second.attrs.get('Class'), [`0x${Buffer.from('staff').toString('hex')}`], 'Class kept in the PMKSA');
  });
});
