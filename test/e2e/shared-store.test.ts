/**
 * Several authenticators on Redis (issue 16, DESIGN.md "Several authenticators"): three
 * real authenticator processes share one real redis-server; simulated agents know every
 * instance's address, spread over them. Each test prints its figures.
 *
 * - instance killed: kill -9 the instance holding 1,000 authorized stations; its agents
 *   move to the others, no station is disconnected or joins again, and the next GTK rekey
 *   (asked of the new instance) reaches every station;
 * - secrets: Redis holds no key in clear (PMK, KCK, KEK, TK, GTK), in any encoding tried;
 * - split brain: SIGSTOP an instance until its agent's BSS is taken over, then SIGCONT: it
 *   writes nothing, disconnects nobody and lets the BSS go;
 * - a pause longer than the lease that nobody used: the instance keeps its BSS (the fence
 *   counter shows nobody took it) and goes on;
 * - rolling restart of the three, one by one: no station disconnected;
 * - Redis down: the instances keep serving their agents (airlock_store_up 0), refuse a
 *   takeover they cannot fence; Redis back empty: they publish their state again, and a
 *   kill -9 after that still moves every station without a disconnect;
 * - accounting across a failover: an EAP station's session keeps its Acct-Session-Id through
 *   kill -9 of its instance; FreeRADIUS records one Start and one Stop, nothing else;
 * - roam: a station authenticated by EAP (real FreeRADIUS) at an agent of one instance
 *   moves to an agent of another: no EAP, no Access-Request, and the first lets it go.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { readFileSync } from 'node:fs';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { runCli } from '@airlock/authenticator/cli';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { accessRequestCount, CORP_SSID, detailRecords, detailValue, metricSum, RADIUS_SECRET, startRadio, stationMac, ttlsStationSpec, type Radio } from '../support/enterprise.js';
import { freeUdpPorts, startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { serverTlsYaml, testPki } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { radclient, signed } from '../support/radclient.js';

const DAS_SECRET = 'airlock shared-store das secret';


const KEK = randomBytes(32).toString('hex');
const PSK_NETWORK = { ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 };

interface Sim {
  id: string;
  agent: EdgeAgent;
  driver: SimDriver;
  stations: number;
}

function instanceConfig(redis: RedisServer): Record<string, unknown> {
  return {
    log: { level: 'info' },
    agents: { reconnect_grace_s: 30 },
    redis: { url: redis.url, kek: KEK, lease_ms: 3000 },
    networks: [PSK_NETWORK],
  };
}

function simAgent(id: string, n: number, targets: string[], stationsPerBss: number, o: { keepaliveMs?: number } = {}): Sim {
  const t = { agentNumber: n, bsses: 2, stations: stationsPerBss * 2, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
  const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 300 }, seed: n });
  const [target, ...alternates] = targets;
  const agent = new EdgeAgent({ agentId: id, target: target, alternates, driver, logger: pino({ level: 'silent' }), backoffInitialMs: 100, backoffMaxMs: 500, keepaliveTimeMs: o.keepaliveMs, keepaliveTimeoutMs: o.keepaliveMs });
  return { id, agent, driver, stations: stationsPerBss * 2 };
}

const authorized = (sims: Sim[]): number => sims.reduce((n, s) => n + s.driver.authorizedCount(), 0);
const disconnects = (sims: Sim[]): number => sims.reduce((n, s) => n + s.driver.stats.disconnects, 0);
const joins = (sims: Sim[]): number => sims.reduce((n, s) => n + s.driver.stats.joins, 0);

async function metric(a: AuthenticatorProcess, name: string): Promise<number> {
  return (await a.metrics()).get(name) ?? 0;
}

/** Station security associations written to Redis (fields s:<sta> of the BSS hashes). */
async function storedStations(redis: RedisServer): Promise<number> {
  let n = 0;
  for (const [k, v] of await redis.dump()) if (k.startsWith('airlock:bss:')) n += (v.toString('latin1').match(/\r\ns:[0-9a-f]{12}\r\n/g) ?? []).length;
  return n;
}

async function rekey(a: AuthenticatorProcess, bssid: string): Promise<void> {
  const out: string[] = [];
  const code = await runCli(['rekey', bssid, '--socket', a.adminSocket], { out: (l) => out.push(l), err: (l) => out.push(l) });
  assert.equal(code, 0, out.join('\n'));
}

void describe('several authenticators on Redis', () => {
  let dir: string;
  let redis: RedisServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-shared-'));
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('kill -9 of the instance holding 1,000 authorized stations: its agents move, no station is disconnected, no EAP or handshake is repeated, the next GTK rekey reaches all; Redis holds no key in clear', async () => {
    await redis.command('FLUSHALL');
    const inst: AuthenticatorProcess[] = [];
    for (let i = 0; i < 3; i++) inst.push(await startAuthenticatorProcess(`kill-${i}`, dir, instanceConfig(redis)));
    const targets = (first: number): string[] => [0, 1, 2].map((j) => inst[(first + j) % 3].grpcTarget);
    // 10 agents x 100 stations on instance 0; one agent on each of the others.
    const moved: Sim[] = [];
    for (let i = 0; i < 10; i++) moved.push(simAgent(`ap-k${i}`, 40 + i, targets(0), 50));
    const others = [simAgent('ap-k-b', 60, targets(1), 10), simAgent('ap-k-c', 61, targets(2), 10)];
    const all = [...moved, ...others];
    try {
      for (const s of all) await s.agent.start();
      const total = all.reduce((n, s) => n + s.stations, 0);
      assert.ok(await waitFor(() => authorized(all) === total, 60_000), `authorized ${authorized(all)} of ${total}`);
      const onFirst = await waitFor(async () => (await metric(inst[0], 'airlock_stations{state="authorized"}')) === 1000, 10_000);
      if (!onFirst) {
        const held = await Promise.all(inst.map((x) => metric(x, 'airlock_stations{state="authorized"}')));
        const why = readFileSync(inst[0].logFile, 'utf8').split('\n').filter((l) => /disconnected|refused|let go|lost/.test(l)).slice(-10).join('\n');
        assert.fail(`instance 0 should hold the 1,000 stations of its 10 agents: held per instance ${JSON.stringify(held)}; reconnects ${JSON.stringify(moved.map((s) => s.agent.counters.reconnects))}; instance 0 log:\n${why}`);
      }
      assert.ok(await waitFor(async () => (await storedStations(redis)) === total, 10_000), `${await storedStations(redis)} of ${total} security associations in Redis`);

      // Secrets: no key in clear in Redis (raw octets, hex, base64).
      const secrets: Buffer[] = [pbkdf2Sync(TEST_PASSPHRASE, TEST_SSID, 4096, 32, 'sha1')];
      for (const s of all) {
        for (const v of s.driver.keyViews()) {
          for (const k of [v.stationTk, v.stationKck, v.stationKek, v.stationGtk?.gtk]) if (k !== undefined) secrets.push(k);
        }
      }
      const dump = [...(await redis.dump()).values()].map((v) => v.toString('latin1')).join('\n');
      let found = 0;
      for (const k of secrets) for (const enc of [k.toString('latin1'), k.toString('hex'), k.toString('base64')]) if (dump.includes(enc)) found++;
      assert.equal(found, 0, 'no key material in Redis in clear');
      console.log(JSON.stringify({ test: 'shared-store secrets', keys_checked: secrets.length, redis_keys: (await redis.dump()).size, found_in_clear: found }));

      const disconnectsBefore = disconnects(all);
      const joinsBefore = joins(all);
      const successBefore = (await metric(inst[1], 'airlock_handshakes_total{result="success"}')) + (await metric(inst[2], 'airlock_handshakes_total{result="success"}'));
      const t0 = performance.now();
      inst[0].signal('SIGKILL');
      await inst[0].stop();
      // Its agents reconnect to the next address: instance 1 takes their BSSes over.
      const restored = await waitFor(async () => moved.every((s) => s.agent.connected) && (await metric(inst[1], 'airlock_stations{state="authorized"}')) === 1000 + others[0].stations, 20_000);
      const failoverMs = performance.now() - t0;
      assert.ok(restored, `instance 1 holds ${await metric(inst[1], 'airlock_stations{state="authorized"}')} authorized stations`);
      assert.equal(disconnects(all), disconnectsBefore, 'no station was disconnected');
      assert.equal(joins(all), joinsBefore, 'no station joined again');
      assert.equal(authorized(all), total);
      const successAfter = (await metric(inst[1], 'airlock_handshakes_total{result="success"}')) + (await metric(inst[2], 'airlock_handshakes_total{result="success"}'));
      assert.equal(successAfter, successBefore, 'no 4-way handshake ran again');
      assert.equal(await metric(inst[1], 'airlock_store_takeovers_total{result="ok"}'), 11, 'one takeover at its own agent\'s Hello, one per agent moved');

      // The next GTK rekey, asked of the instance that took over, reaches every station.
      for (const s of moved) for (const b of s.driver.bsses()) await rekey(inst[1], b.bssid.toString('hex').replace(/(..)(?!$)/g, '$1:'));
      const rekeyed = (): number => moved.reduce((n, s) => n + s.driver.keyViews().filter((v) => v.stationGtk?.keyId === 2 && v.apGtk !== undefined && v.stationGtk.gtk.equals(v.apGtk)).length, 0);
      assert.ok(await waitFor(() => rekeyed() === 1000, 20_000), `${rekeyed()} of 1000 stations hold the new GTK`);
      assert.equal(disconnects(all), disconnectsBefore, 'still no station disconnected after the rekey');
      console.log(JSON.stringify({ test: 'shared-store kill -9', stations: 1000, agents_moved: moved.length, failover_ms: Math.round(failoverMs), stations_disconnected: disconnects(all) - disconnectsBefore, rejoins: joins(all) - joinsBefore, gtk_rekey_reached: rekeyed() }));
    } finally {
      for (const s of all) await s.agent.stop();
      for (const a of inst) await a.stop();
    }
  });

  void it('split brain: an instance stopped (SIGSTOP) until its agent moved, then continued, writes nothing, disconnects nobody and lets the BSS go', async () => {
    await redis.command('FLUSHALL');
    const a = await startAuthenticatorProcess('split-a', dir, instanceConfig(redis));
    const b = await startAuthenticatorProcess('split-b', dir, instanceConfig(redis));
    const c = await startAuthenticatorProcess('split-c', dir, instanceConfig(redis));
    // Short keepalive: the agent finds its stopped instance dead within about 2 s.
    const sim = simAgent('ap-split', 70, [a.grpcTarget, b.grpcTarget, c.grpcTarget], 20, { keepaliveMs: 1000 });
    // Another agent on the third instance: untouched throughout.
    const other = simAgent('ap-split-c', 71, [c.grpcTarget, a.grpcTarget, b.grpcTarget], 5);
    try {
      await sim.agent.start();
      await other.agent.start();
      assert.ok(await waitFor(() => authorized([sim, other]) === sim.stations + other.stations, 30_000));
      assert.ok(await waitFor(async () => (await storedStations(redis)) === sim.stations + other.stations, 10_000));
      const writesOk = await metric(a, 'airlock_store_operations_total{op="write",result="ok"}');
      a.signal('SIGSTOP');
      const moved = await waitFor(async () => sim.agent.connected && (await metric(b, 'airlock_stations{state="authorized"}')) === sim.stations, 30_000);
      assert.ok(moved, 'the agent moved to the other instance, which took its stations over');
      a.signal('SIGCONT');
      assert.ok(await waitFor(async () => (await metric(a, 'airlock_stations{state="authorized"}')) === 0, 10_000), 'the continued instance let the stations go');
      assert.equal(await metric(a, 'airlock_store_operations_total{op="write",result="ok"}'), writesOk, 'it wrote nothing');
      assert.equal(sim.driver.stats.disconnects, 0, 'nobody was disconnected');
      assert.equal(await metric(b, 'airlock_stations{state="authorized"}'), sim.stations);
      // The stations still work with the instance that holds them: a rekey reaches them.
      for (const bss of sim.driver.bsses()) await rekey(b, bss.bssid.toString('hex').replace(/(..)(?!$)/g, '$1:'));
      assert.ok(await waitFor(() => sim.driver.keyViews().every((v) => v.stationGtk?.keyId === 2), 10_000));
      assert.equal(sim.driver.stats.disconnects, 0);
      assert.equal(other.driver.stats.disconnects, 0);
      assert.equal(await metric(c, 'airlock_stations{state="authorized"}'), other.stations, 'the third instance kept its own');
      console.log(JSON.stringify({ test: 'shared-store split brain', stations: sim.stations, writes_after_continue: (await metric(a, 'airlock_store_operations_total{op="write",result="ok"}')) - writesOk, stations_disconnected: sim.driver.stats.disconnects }));
    } finally {
      a.signal('SIGCONT');
      await sim.agent.stop();
      await other.agent.stop();
      await a.stop();
      await b.stop();
      await c.stop();
    }
  });

  void it('a pause longer than the lease, with the agent still there: nobody took the BSS (the fence counter says so), so the instance keeps it and goes on', async () => {
    await redis.command('FLUSHALL');
    const a = await startAuthenticatorProcess('pause-a', dir, instanceConfig(redis));
    const b = await startAuthenticatorProcess('pause-b', dir, instanceConfig(redis));
    // The default keepalive (20 s): the agent does not notice a 4 s pause.
    const sim = simAgent('ap-pause', 75, [a.grpcTarget, b.grpcTarget], 10);
    try {
      await sim.agent.start();
      assert.ok(await waitFor(() => authorized([sim]) === sim.stations, 30_000));
      assert.ok(await waitFor(async () => (await storedStations(redis)) === sim.stations, 10_000));
      a.signal('SIGSTOP');
      await new Promise((r) => setTimeout(r, 4000)); // lease_ms 3000: its lease expired in Redis
      a.signal('SIGCONT');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await metric(a, 'airlock_stations{state="authorized"}'), sim.stations, 'the instance still holds its stations');
      assert.equal(await metric(a, 'airlock_store_operations_total{op="write",result="fenced"}'), 0, 'no write was refused');
      assert.ok(sim.agent.connected);
      assert.equal(sim.driver.stats.disconnects, 0);
      // It still acts for them: a rekey reaches every station, and its writes are accepted.
      for (const bss of sim.driver.bsses()) await rekey(a, bss.bssid.toString('hex').replace(/(..)(?!$)/g, '$1:'));
      assert.ok(await waitFor(() => sim.driver.keyViews().every((v) => v.stationGtk?.keyId === 2), 10_000));
      assert.ok(await waitFor(async () => (await metric(a, 'airlock_store_operations_total{op="write",result="ok"}')) > 0, 5000));
      assert.equal(sim.driver.stats.disconnects, 0);
    } finally {
      a.signal('SIGCONT');
      await sim.agent.stop();
      await a.stop();
      await b.stop();
    }
  });

  void it('Dynamic Authorization: a Disconnect-Request sent to an instance that does not hold the session reaches the one that does; an unknown session is 503 from both', async () => {
    await redis.command('FLUSHALL');
    const ports = await freeUdpPorts(2);
    const das = (port: number) => ({ listen: `127.0.0.1:${port}`, clients: [{ name: 'radclient', address: '127.0.0.1', secret: DAS_SECRET }] });
    const a = await startAuthenticatorProcess('das-a', dir, { ...instanceConfig(redis), das: das(ports[0]) });
    const b = await startAuthenticatorProcess('das-b', dir, { ...instanceConfig(redis), das: das(ports[1]) });
    const sim = simAgent('ap-das', 70, [a.grpcTarget], 1);
    try {
      await sim.agent.start();
      assert.ok(await waitFor(() => authorized([sim]) === sim.stations, 15_000));
      const sta = sim.driver.stations()[0].sta;
      const calling = `Calling-Station-Id = "${formatMac(sta).replaceAll(':', '-')}"`;
      // To b, which does not hold it: b asks a over Redis, a disconnects it.
      const r = await radclient(ports[1], 'disconnect', signed([calling]), { secret: DAS_SECRET, timeoutSec: 3, retries: 1 });
      assert.equal(r.code, 'Disconnect-ACK', r.out);
      assert.ok(await waitFor(() => disconnects([sim]) === 1, 5000), 'the station was not disconnected');
      assert.equal(await metric(b, 'airlock_das_requests_total{kind="disconnect",result="ack",error_cause=""}'), 1);
      for (const port of ports) {
        const nak = await radclient(port, 'disconnect', signed(['Calling-Station-Id = "02-00-00-99-99-98"']), { secret: DAS_SECRET, timeoutSec: 3, retries: 1 });
        assert.equal(nak.code, 'Disconnect-NAK', nak.out);
        assert.deepEqual(nak.attrs.get('Error-Cause'), ['Session-Context-Not-Found']);
      }
    } finally {
      await sim.agent.stop();
      await a.stop();
      await b.stop();
    }
  });

  void it('rolling restart of three instances, one by one: no station disconnected, none joins again', async () => {
    await redis.command('FLUSHALL');
    const inst: AuthenticatorProcess[] = [];
    for (let i = 0; i < 3; i++) inst.push(await startAuthenticatorProcess(`roll-${i}`, dir, instanceConfig(redis)));
    const targets = inst.map((x) => x.grpcTarget);
    const sims = [0, 1, 2].map((i) => simAgent(`ap-r${i}`, 80 + i, [...targets.slice(i), ...targets.slice(0, i)], 25));
    try {
      for (const s of sims) await s.agent.start();
      const total = sims.reduce((n, s) => n + s.stations, 0);
      assert.ok(await waitFor(() => authorized(sims) === total, 30_000));
      assert.ok(await waitFor(async () => (await storedStations(redis)) === total, 10_000));
      const joinsBefore = joins(sims);
      for (let i = 0; i < 3; i++) {
        const old = inst[i];
        await old.stop(); // SIGTERM: its agents are handed over
        inst[i] = await startAuthenticatorProcess(`roll-${i}-again`, dir, instanceConfig(redis), { grpcPort: old.grpcPort });
        assert.ok(await waitFor(() => sims.every((s) => s.agent.connected), 20_000), `restart ${i}: every agent connected again`);
        let held = 0;
        assert.ok(await waitFor(async () => {
          held = 0;
          for (const x of inst) held += await metric(x, 'airlock_stations{state="authorized"}');
          return held === total;
        }, 20_000), `restart ${i}: ${held} of ${total} stations held`);
      }
      assert.equal(disconnects(sims), 0, 'no station disconnected');
      assert.equal(joins(sims), joinsBefore, 'none joined again');
      console.log(JSON.stringify({ test: 'shared-store rolling restart', instances: 3, stations: total, stations_disconnected: disconnects(sims), rejoins: joins(sims) - joinsBefore }));
    } finally {
      for (const s of sims) await s.agent.stop();
      for (const a of inst) await a.stop();
    }
  });
  void it('roam: a station authenticated by EAP at an agent of one instance moves to an agent of another: no EAP, no Access-Request; the first instance lets it go', async () => {
    await redis.command('FLUSHALL');
    const pki = testPki();
    const radius: FreeRadius = await startFreeRadius({ secret: RADIUS_SECRET, users: [{ name: 'alice', password: 'alice-pw' }], pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key } });
    const config = {
      ...instanceConfig(redis),
      grpc: { plaintext: false, tls: serverTlsYaml() },
      networks: [{ ssid: CORP_SSID, akms: ['8021x'], passphrases: [] }],
      radius: { servers: [{ name: 'primary', host: '127.0.0.1', auth_port: radius.authPort, acct_port: radius.acctPort, secret: RADIUS_SECRET }], interim_interval_s: 0 },
    };
    const a = await startAuthenticatorProcess('roam-a', dir, config);
    const b = await startAuthenticatorProcess('roam-b', dir, config);
    const c = await startAuthenticatorProcess('roam-c', dir, config);
    let radio: Radio | undefined;
    try {
      const caPem = readFileSync(pki.ca.cert, 'utf8');
      const sta = stationMac(61, 1);
      // Three agents, one per instance; the station starts at the first and roams to the second.
      radio = await startRadio(a, { agents: 3, stations: [ttlsStationSpec(sta, 'alice', 'alice-pw', caPem, { home: 0 })], behaviour: { rejoinAfterDisconnect: false }, target: (i) => [a, b, c][i].grpcTarget }, 7);
      assert.ok(await waitFor(() => radio!.sim.authorizedCount() === 1, 15_000), 'EAP-TTLS through FreeRADIUS at the agent of instance a');
      const beforeA = await a.metrics();
      const beforeB = await b.metrics();
      assert.equal(metricSum(beforeA, 'airlock_eap_authentications_total', { result: 'accept' }), 1);
      // The PMKSA reached instance b through Redis.
      const to = radio.bssids[radio.bssIndex(1, 0)];
      radio.sim.join(sta, radio.bssIndex(1, 0));
      assert.ok(await waitFor(() => radio!.sim.keyViews().some((k) => k.sta === formatMac(sta) && k.state === 'authorized' && k.bssid === formatMac(to)), 5000), 'authorized at the agent of instance b');
      const mb = await b.metrics();
      assert.equal(metricSum(mb, 'airlock_eap_authentications_total'), metricSum(beforeB, 'airlock_eap_authentications_total'), 'no EAP authentication for the roam');
      assert.equal(accessRequestCount(mb), 0, 'instance b sent no Access-Request');
      assert.equal(accessRequestCount(await a.metrics()), accessRequestCount(beforeA), 'nor did instance a');
      assert.deepEqual(radio.views[1].eapTo(sta), [], 'the second agent sent the station no EAP packet');
      assert.ok(await waitFor(async () => metricSum(await a.metrics(), 'airlock_stations') === 0, 5000), 'instance a let the station go');
      const view = radio.sim.keyViews().find((k) => k.sta === formatMac(sta))!;
      assert.ok(view.apTk && view.stationTk?.equals(view.apTk), 'TK equal after the roam');
      assert.equal(accessRequestCount(await c.metrics()), 0, 'nor the third');
      console.log(JSON.stringify({ test: 'shared-store roam', eap_for_roam: 0, access_requests_for_roam: accessRequestCount(mb) }));
    } finally {
      await radio?.stop();
      await a.stop();
      await b.stop();
      await c.stop();
      await radius.stop();
    }
  });
  void it('Redis down: instances serve what they hold and refuse takeovers; Redis back empty: they publish their state again, enough for a failover without a disconnect', async () => {
    await redis.command('FLUSHALL');
    const a = await startAuthenticatorProcess('down-a', dir, instanceConfig(redis));
    const b = await startAuthenticatorProcess('down-b', dir, instanceConfig(redis));
    const held = simAgent('ap-d1', 90, [a.grpcTarget, b.grpcTarget], 10);
    const late = simAgent('ap-d2', 91, [b.grpcTarget], 10);
    try {
      await held.agent.start();
      assert.ok(await waitFor(() => authorized([held]) === held.stations, 30_000));
      assert.ok(await waitFor(async () => (await storedStations(redis)) === held.stations, 10_000));
      assert.equal(await metric(a, 'airlock_store_up'), 1);

      await redis.kill();
      assert.ok(await waitFor(async () => (await metric(a, 'airlock_store_up')) === 0 && (await metric(b, 'airlock_store_up')) === 0, 10_000), 'the alarm: airlock_store_up 0');
      // A station that joins now is served from memory.
      const sta = held.driver.keyViews()[0];
      assert.equal(sta.state, 'authorized');
      // An agent new to b: b cannot fence its BSSes, so it is refused (and retries).
      await late.agent.start();
      assert.ok(await waitFor(async () => (await metric(b, 'airlock_store_takeovers_total{result="down"}')) >= 1, 10_000), 'takeover refused while Redis is away');
      assert.equal(late.agent.connected, false);
      assert.equal(authorized([held]), held.stations, 'the held agent keeps its stations');

      await redis.restart(); // empty: no persistence
      assert.ok(await waitFor(async () => (await metric(a, 'airlock_store_up')) === 1, 10_000));
      assert.ok(await waitFor(async () => (await storedStations(redis)) === held.stations + late.stations, 20_000), `state published again: ${await storedStations(redis)} security associations in Redis`);
      assert.ok(late.agent.connected, 'the new agent was taken over once Redis was back');
      assert.ok(await waitFor(() => authorized([late]) === late.stations, 30_000));
      // (Its stations that associated while it was refused were disconnected at its Hello, as
      // stations the authenticator held no keys for, and joined again: counted from here.)
      const lateDisconnects = late.driver.stats.disconnects;

      // The republished state is enough: kill -9 a, its agent moves to b without a disconnect.
      a.signal('SIGKILL');
      await a.stop();
      assert.ok(await waitFor(async () => held.agent.connected && (await metric(b, 'airlock_stations{state="authorized"}')) === held.stations + late.stations, 20_000));
      assert.equal(held.driver.stats.disconnects, 0, 'no station of the held agent was ever disconnected');
      assert.equal(late.driver.stats.disconnects, lateDisconnects, 'none of the other agent after its join');
      console.log(JSON.stringify({ test: 'shared-store redis down and back empty', republished: held.stations, refused_takeovers: await metric(b, 'airlock_store_takeovers_total{result="down"}'), stations_disconnected: 0 }));
    } finally {
      await held.agent.stop();
      await late.agent.stop();
      await a.stop();
      await b.stop();
    }
  });
  void it('accounting across a failover: the EAP station\'s session keeps its Acct-Session-Id through kill -9 of its instance; FreeRADIUS records one Start and one Stop', async () => {
    await redis.command('FLUSHALL');
    const pki = testPki();
    const radius: FreeRadius = await startFreeRadius({ secret: RADIUS_SECRET, users: [{ name: 'dave', password: 'dave-pw-1' }], pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key } });
    const config = {
      ...instanceConfig(redis),
      grpc: { plaintext: false, tls: serverTlsYaml() },
      networks: [{ ssid: CORP_SSID, akms: ['8021x'], passphrases: [] }],
      radius: { servers: [{ name: 'primary', host: '127.0.0.1', auth_port: radius.authPort, acct_port: radius.acctPort, secret: RADIUS_SECRET }], interim_interval_s: 0 },
    };
    const a = await startAuthenticatorProcess('acct-a', dir, config);
    const b = await startAuthenticatorProcess('acct-b', dir, config);
    let radio: Radio | undefined;
    try {
      const caPem = readFileSync(pki.ca.cert, 'utf8');
      const sta = stationMac(62, 1);
      radio = await startRadio(a, { agents: 1, stations: [ttlsStationSpec(sta, 'dave', 'dave-pw-1', caPem, { home: 0 })], behaviour: { rejoinAfterDisconnect: false }, target: () => a.grpcTarget, alternates: () => [b.grpcTarget] }, 7);
      assert.ok(await waitFor(() => radio!.sim.authorizedCount() === 1, 15_000), 'EAP-TTLS through FreeRADIUS at instance a');
      const mine = (): ReturnType<typeof detailRecords> => detailRecords(radius).filter((r) => detailValue(r, 'Calling-Station-Id')?.toLowerCase().replace(/-/g, ':') === formatMac(sta));
      assert.ok(await waitFor(() => mine().length === 1, 5000), 'the Accounting-Start reached FreeRADIUS');
      const sessionId = detailValue(mine()[0], 'Acct-Session-Id');
      assert.equal(detailValue(mine()[0], 'Acct-Status-Type'), 'Start');
      assert.ok(await waitFor(async () => (await storedStations(redis)) === 1, 10_000), 'its security association is in Redis');
      a.signal('SIGKILL');
      await a.stop();
      assert.ok(await waitFor(async () => radio!.agents[0].connected && (await metric(b, 'airlock_stations{state="authorized"}')) === 1, 20_000), 'instance b took the station over');
      assert.equal(radio.sim.stats.disconnects, 0, 'not disconnected');
      assert.equal(metricSum(await b.metrics(), 'airlock_eap_authentications_total'), 0, 'no EAP at instance b');
      radio.sim.leave(sta);
      assert.ok(await waitFor(() => mine().length === 2, 10_000), `the Accounting-Stop reached FreeRADIUS: ${mine().length} records`);
      const [start, stop] = mine();
      assert.equal(detailValue(stop, 'Acct-Status-Type'), 'Stop');
      assert.equal(detailValue(stop, 'Acct-Session-Id'), sessionId, 'the same Acct-Session-Id from the instance that took over');
      assert.equal(detailValue(start, 'Acct-Session-Id'), sessionId);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(mine().length, 2, 'one Start and one Stop, nothing else');
      console.log(JSON.stringify({ test: 'shared-store accounting', acct_session_id_kept: true, records: mine().map((r) => detailValue(r, 'Acct-Status-Type')) }));
    } finally {
      await radio?.stop();
      await a.stop();
      await b.stop();
      await radius.stop();
    }
  });
});
