/**
 * RADIUS failover and return to the primary (DESIGN.md "RADIUS"; RFC 5080 §2.2.1 retransmission,
 * RFC 5997 Status-Server), end to end with two real FreeRADIUS 3.2 instances: the primary is
 * killed with SIGKILL while stations are joining; every station still authenticates, through
 * the secondary; the primary comes back, Status-Server probes find it, and new
 * authentications go to it again. airlock_radius_server_up follows: 1 while a server answers,
 * 0 once the client marks it dead, 1 again when a probe is answered.
 *
 * A station whose EAP conversation was in progress on the primary cannot continue on the
 * secondary (its EAP/TLS state and the State attribute live in the dead server): the
 * secondary rejects the orphaned conversation, the station gets EAP-Failure and is
 * disconnected, and it authenticates again from the start through the secondary — as with
 * hostapd. The test therefore lets stations rejoin after a disconnect.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint, formatMac } from '@airlock/rsn';
import type { SimStationSpec } from '@airlock/edge-agent';
import { waitFor } from '../support/topology.js';
import { metricSum, RADIUS_SERVER_NAMES, startEnterpriseBed, stationMac, type EnterpriseBed, type Radio } from '../support/enterprise.js';

const [PRIMARY, SECONDARY] = RADIUS_SERVER_NAMES;
const USER = { name: 'dave', password: 'dave-pw' };
const FIRST_WAVE = 24;
const SECOND_WAVE = 6;
/** Authorized stations of the first wave when the primary is killed. */
const KILL_AFTER = 6;

/** Polls `cond` every millisecond (a moment, not a state: waitFor's 20 ms could miss it). */
async function pollFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return cond();
}

const radiusCount = (m: Map<string, number>, server: string, code: string): number => metricSum(m, 'airlock_radius_requests_total', { server, code });
/** airlock_radius_server_up of one server (undefined: no series). */
const serverUp = (m: Map<string, number>, server: string): number | undefined => m.get(`airlock_radius_server_up{server="${server}"}`);
const upSeries = (m: Map<string, number>): string[] => [...m.keys()].filter((k) => k.startsWith('airlock_radius_server_up')).sort();

void describe('RADIUS failover between two real FreeRADIUS servers', () => {
  let bed: EnterpriseBed;
  let radio: Radio;
  const first: Buffer[] = [];
  const second: Buffer[] = [];

  before(async () => {
    bed = await startEnterpriseBed({
      radiusServers: 2,
      certificates: [{ name: 'tls-failover' }],
      passwords: [USER],
      tweak: (c) => {
        // A dead server is given up after 250 ms + 500 ms, declared dead after 500 ms, probed every 250 ms.
        c.radius.timeoutMs = 250;
        c.radius.maxRetransmits = 1;
        c.radius.deadAfterMs = 500;
        c.radius.probeIntervalMs = 250;
      },
    });
    const stations: SimStationSpec[] = [];
    for (let i = 1; i <= FIRST_WAVE + SECOND_WAVE; i++) {
      const mac = stationMac(3, i);
      (i <= FIRST_WAVE ? first : second).push(mac);
      stations.push(i % 2 === 0 ? bed.tlsStation(mac, 'tls-failover', i % 4 === 0 ? 'TLSv1.3' : 'TLSv1.2', i % 4) : bed.ttlsStation(mac, USER.name, USER.password, undefined, i % 4));
    }
    // Stations rejoin 100..300 ms after a disconnect (the orphaned conversations, see above).
    radio = await bed.startRadio({ agents: 2, stations, autoJoin: false, behaviour: { rejoinAfterDisconnect: true, awayMs: [100, 300] } });
  });
  after(async () => {
    await bed?.close();
  });

  const authorized = (stas: Buffer[]): number => {
    const views = new Map(radio.sim.keyViews().map((k) => [k.sta, k]));
    return stas.filter((s) => views.get(formatMac(s))?.state === 'authorized' && bed.auth.service.core.station(s)?.portAuthorized === true).length;
  };

  void it('kill -9 of the primary while stations join: every station authenticates through the secondary', async (t) => {
    const disconnects: { sta: string; reason: number }[] = [];
    radio.sim.on('disconnected', (sta: string, reason: number) => disconnects.push({ sta, reason }));
    const m0 = await bed.metrics();
    assert.deepEqual(upSeries(m0), [`airlock_radius_server_up{server="${PRIMARY}"}`, `airlock_radius_server_up{server="${SECONDARY}"}`].sort(), 'one series per configured server');
    assert.equal(serverUp(m0, PRIMARY), 1);
    assert.equal(serverUp(m0, SECONDARY), 1);
    // The first wave joins over 2 s; the primary dies once KILL_AFTER of them are in ...
    first.forEach((sta, i) => setTimeout(() => radio.sim.join(sta, i % 4), (i * 2000) / FIRST_WAVE));
    assert.ok(await waitFor(() => authorized(first) >= KILL_AFTER, 10_000), `authorized before the kill: ${authorized(first)}`);
    assert.equal(serverUp(await bed.metrics(), PRIMARY), 1, 'the primary answers: up');
    // ... at a moment when EAP conversations are in progress on it.
    assert.ok(await pollFor(() => bed.auth.service.radiusServers()[0].inFlight > 0, 5000), 'an Access-Request in flight on the primary');
    const inFlight = bed.auth.service.radiusServers()[0].inFlight;
    bed.radius[0].kill();
    // Stations between association and port authorized (EAP or 4-way handshake in progress).
    const midEap = first.filter((s) => bed.auth.service.core.station(s)?.phase === 'authenticating');
    t.diagnostic(`Access-Requests in flight at the kill: ${inFlight}; stations authenticating: ${midEap.map(formatMac).join(' ')}`);
    const atKill = authorized(first);
    const killedAt = performance.now();
    const mKill = await bed.metrics();
    t.diagnostic(`primary killed with ${atKill} of ${FIRST_WAVE} stations authorized`);
    assert.ok(atKill < FIRST_WAVE, 'stations were still joining when the primary died');
    assert.ok(radiusCount(mKill, PRIMARY, 'Access-Accept') >= KILL_AFTER, 'the first stations went through the primary');
    assert.equal(radiusCount(mKill, SECONDARY, 'Access-Accept'), 0, 'nothing went to the secondary while the primary was alive');

    const allIn = await waitFor(() => authorized(first) === FIRST_WAVE, 20_000);
    const m = await bed.metrics();
    t.diagnostic(`all ${FIRST_WAVE} authorized ${(performance.now() - killedAt).toFixed(0)} ms after the kill; eap ${JSON.stringify({ accept: metricSum(m, 'airlock_eap_authentications_total', { result: 'accept' }), reject: metricSum(m, 'airlock_eap_authentications_total', { result: 'reject' }), timeout: metricSum(m, 'airlock_eap_authentications_total', { result: 'timeout' }) })}`);
    assert.ok(allIn, `authorized ${authorized(first)} of ${FIRST_WAVE}; servers ${JSON.stringify(bed.auth.service.radiusServers())}`);
    assert.deepEqual(radio.sim.violations, []);

    // The primary answered nothing more; it timed out; the secondary authorized the rest.
    assert.equal(radiusCount(m, PRIMARY, 'Access-Accept'), radiusCount(mKill, PRIMARY, 'Access-Accept'), 'no answer from a dead server');
    assert.ok(radiusCount(m, PRIMARY, 'timeout') > 0, 'the primary timed out');
    assert.equal(bed.auth.service.radiusServers()[0].alive, false, 'the primary is marked dead');
    assert.equal(serverUp(m, PRIMARY), 0, 'airlock_radius_server_up: the primary marked dead');
    assert.equal(serverUp(m, SECONDARY), 1, 'airlock_radius_server_up: the secondary alive');
    const accepts = metricSum(m, 'airlock_eap_authentications_total', { result: 'accept' });
    assert.equal(accepts, FIRST_WAVE, 'one EAP success per station');
    assert.equal(radiusCount(m, PRIMARY, 'Access-Accept') + radiusCount(m, SECONDARY, 'Access-Accept'), accepts, 'every Access-Accept is an EAP success');
    // Only conversations orphaned by the kill failed: the secondary never saw their State and
    // rejected them. A Reject from a server that did not hold the conversation says nothing
    // about the credentials, so the authenticator ends it as a timeout (no quiet period); the
    // station is disconnected with reason 23 and joins again at once.
    const orphaned = metricSum(m, 'airlock_eap_authentications_total', { result: 'timeout' });
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'reject' }), 0, 'no credential was rejected');
    assert.ok(orphaned <= midEap.length, `${orphaned} orphaned, ${midEap.length} conversations in progress at the kill`);
    assert.ok(radiusCount(m, SECONDARY, 'Access-Reject') <= orphaned, 'every Reject of the secondary was an orphaned conversation');
    assert.deepEqual(disconnects.map((d) => d.reason), disconnects.map(() => 23), 'disconnects: 802.1X authentication failed');
    assert.equal(disconnects.length, orphaned);
    assert.ok(disconnects.every((d) => midEap.some((s) => formatMac(s) === d.sta)), 'only orphaned conversations failed');
    // Stations whose Access-Accept had arrived before the kill finished their 4-way handshake; all others went through the secondary.
    const viaPrimary = radiusCount(mKill, PRIMARY, 'Access-Accept');
    assert.ok(viaPrimary < FIRST_WAVE);
    assert.equal(radiusCount(m, SECONDARY, 'Access-Accept'), FIRST_WAVE - viaPrimary, `the secondary authorized the ${FIRST_WAVE - viaPrimary} stations left`);
    assert.equal(metricSum(m, 'airlock_stations', { state: 'authorized' }), FIRST_WAVE);
    for (const sta of first) {
      const hs = bed.auth.service.core.history(sta)[0];
      assert.equal(hs?.result, 'success', formatMac(sta));
      assert.equal(hs.pmkFp, fingerprint(radio.sim.lastMsk(sta)!.subarray(0, 32)), `${formatMac(sta)}: PMK = MSK[0..32]`);
    }
  });

  void it('the primary restarts: Status-Server probes find it and new authentications go to it again', async (t) => {
    const t0 = performance.now();
    await bed.radius[0].restart();
    assert.ok(await waitFor(() => bed.auth.service.radiusServers()[0].alive, 5000), 'the primary is alive again (Status-Server answered)');
    const up = await bed.metrics();
    assert.equal(serverUp(up, PRIMARY), 1, 'airlock_radius_server_up: the primary up again');
    assert.equal(serverUp(up, SECONDARY), 1);
    t.diagnostic(`primary restarted in ${bed.radius[0].startupMs.toFixed(0)} ms, seen alive ${(performance.now() - t0).toFixed(0)} ms after the restart began`);
    const before = await bed.metrics();

    second.forEach((sta, i) => radio.sim.join(sta, i % 4));
    assert.ok(await waitFor(() => authorized(second) === SECOND_WAVE, 10_000), `second wave authorized: ${authorized(second)} of ${SECOND_WAVE}`);
    const m = await bed.metrics();
    const delta = (server: string, code: string): number => radiusCount(m, server, code) - radiusCount(before, server, code);
    // Status-Server answers are Access-Accepts too: the challenges show where EAP ran.
    assert.ok(delta(PRIMARY, 'Access-Challenge') >= SECOND_WAVE * 3, `EAP ran through the primary (${delta(PRIMARY, 'Access-Challenge')} challenges)`);
    assert.ok(delta(PRIMARY, 'Access-Accept') >= SECOND_WAVE);
    assert.equal(delta(SECONDARY, 'Access-Challenge'), 0, 'nothing went to the secondary');
    assert.equal(delta(SECONDARY, 'Access-Accept'), 0);
    assert.equal(metricSum(m, 'airlock_eap_authentications_total', { result: 'accept' }) - metricSum(before, 'airlock_eap_authentications_total', { result: 'accept' }), SECOND_WAVE);
    assert.deepEqual(radio.sim.violations, []);
  });
});
