/**
 * docker-compose.yml on a real Docker engine (issue 14 item 1; `npm run test:compose`):
 *
 * a. the file is valid for compose (schema, anchors and merges, interpolation, depends_on
 *    conditions, profiles), and the same file with an unknown key is not;
 * b. the deployment runs: the engine the environment names or a private dockerd
 *    (support/docker/engine.ts); the real deploy/Dockerfile built on its pinned base or on
 *    a local stand-in of the same Node.js release, FreeRADIUS's and Redis's images or
 *    stand-ins from Debian's packages (support/docker/images.ts); `compose up`. Then:
 *    - every station of both agents is authorized, PSK and EAP-TTLS through FreeRADIUS, read
 *      from the metrics published on the host's loopback;
 *    - `airlock stations` answers through the published Admin endpoint, with the operator
 *      credentials the setup service wrote into AIRLOCK_SECRETS_DIR;
 *    - each running container holds only its own secrets, no running container mounts the
 *      CA volume, and each runs hardened (no capabilities beyond its own, no privilege gain,
 *      read-only root, memory and process limits, the HTTP and Admin ports on loopback,
 *      Redis published nowhere and out of the agents' reach);
 *    - the authenticator keeps its state in Redis (airlock_store_up 1, airlock: keys there),
 *      which answers nobody without the password;
 *    - the image runs a real agent's native modules (libpcap's `cap`, `@airlock/raw-netlink`);
 *    - `restart authenticator`: it hands its agents over through Redis; every station is
 *      authorized again, and stays so: no 4-way handshake or EAP runs again;
 *    - the real-AP agent (profile real-ap: host network, NET_RAW and NET_ADMIN) serves a
 *      wired 802.1X port on a veth pair; the real wpa_supplicant on the other end, in a
 *      network namespace, authenticates with EAP-TTLS as the EAP test user, through the
 *      containers' authenticator and FreeRADIUS;
 *    - `down -v`.
 *    It prints one JSON line: {"compose":"ok","stations_authorized":N,"eap_accepts":M,
 *    "recovered_after_restart_s":S,"stayed_authorized_over_restart":K}.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parsePrometheusText } from '@airlock/authenticator';
import { freeTcpPort, REPO_ROOT } from '../support/authenticator-process.js';
import { COMPOSE_FILE, findCompose, type Compose } from '../support/docker/compose.js';
import { dockerEngine, run, type DockerEngine } from '../support/docker/engine.js';
import { buildProjectImage, freeradiusImage, nodeBaseImage, redisImage } from '../support/docker/images.js';
import { createVethNamespace } from '../support/netns.js';
import { startWpaSupplicant } from '../support/wpa-supplicant.js';

interface Service {
  command?: string[];
  image?: string;
  volumes?: (string | { source?: string; target?: string })[];
  healthcheck?: { test?: string[]; disable?: boolean };
  network_mode?: string;
  networks?: Record<string, unknown> | string[];
  cap_add?: string[];
  cap_drop?: string[];
  read_only?: boolean;
  security_opt?: string[];
  profiles?: string[];
}

const CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'airlock');
const CLI = join(REPO_ROOT, 'services', 'authenticator', 'dist', 'cli', 'airlock.js');

function dockerComposeConfig(args: string[], file = COMPOSE_FILE): { status: number | null; stdout: string; stderr: string } {
  // The compose file's own defaults, not whatever this machine's environment sets.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK')));
  const r = spawnSync('docker-compose', ['-f', file, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`cannot run docker-compose (${r.error.message}): install the Debian package \`docker-compose\` (apt-get install -y docker-compose)`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The `--stations N` of a service's command. */
function stationsOf(s: Service): number {
  const c = s.command ?? [];
  const i = c.indexOf('--stations');
  assert.ok(i >= 0, 'a simulated agent says how many stations it has');
  return Number(c[i + 1]);
}

void describe('docker-compose.yml', () => {
  void it('a. is valid for compose (schema, interpolation, depends_on conditions, profiles), and an invalid one is not', () => {
    const r = dockerComposeConfig(['config', '-q']);
    assert.equal(r.status, 0, r.stderr);
    // The check is real: the same file with an unknown key in a service fails.
    const dir = mkdtempSync(join(tmpdir(), 'airlock-compose-bad-'));
    try {
      const bad = join(dir, 'docker-compose.yml');
      writeFileSync(bad, readFileSync(COMPOSE_FILE, 'utf8').replace('  authenticator:\n', '  authenticator:\n    restartt: always\n'));
      const b = dockerComposeConfig(['config', '-q'], bad);
      assert.notEqual(b.status, 0);
      assert.match(b.stderr, /restartt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const services = (parse(dockerComposeConfig(['--profile', 'real-ap', 'config']).stdout) as { services: Record<string, Service> }).services;
    assert.deepEqual(Object.keys(services).sort(), ['agent-1', 'agent-2', 'agent-real', 'authenticator', 'freeradius', 'redis', 'setup']);
    assert.match(services.freeradius.image ?? '', /^freeradius\/freeradius-server:/);
    assert.match(services.redis.image ?? '', /^redis:\d+\.\d+\.\d+-bookworm$/, 'the official Redis image, pinned to a release');
    // Redis: on the internal `store` network alone, which only the authenticator shares.
    const networksOf = (s: Service): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {})).sort();
    assert.deepEqual(networksOf(services.redis), ['store']);
    for (const [name, s] of Object.entries(services)) if (name !== 'redis' && name !== 'authenticator') assert.ok(!networksOf(s).includes('store'), `${name} is not on Redis's network`);
    const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8');
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER node$/m, 'runs as non-root');
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m, 'a maintained Node.js LTS, pinned by digest');
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
    for (const name of ['freeradius', 'redis', 'authenticator', 'agent-1', 'agent-2']) assert.ok(services[name].healthcheck?.test !== undefined, `${name} has a health check`);
    // The real-AP agent: host network, exactly NET_RAW and NET_ADMIN, only with its profile.
    const real = services['agent-real'];
    assert.equal(real.network_mode, 'host');
    assert.deepEqual([...(real.cap_add ?? [])].sort(), ['NET_ADMIN', 'NET_RAW']);
    assert.deepEqual(real.profiles, ['real-ap']);
  });

  void describe('b. the deployment on a real Docker engine', () => {
    const log = (line: string): void => console.log(`# compose: ${line}`);
    const project = `airlocktest${process.pid}`;
    let engine: DockerEngine | undefined;
    let compose: Compose;
    let env: NodeJS.ProcessEnv;
    let secretsDir: string;
    let httpPort = 0;
    let adminPort = 0;
    let services: Record<string, Service>;
    let expected = 0;
    let authorizedAtStart = 0;
    let eapAccepts = 0;
    let image = '';

    const metrics = async (): Promise<Map<string, number>> => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(3000) });
      return parsePrometheusText(await res.text());
    };
    const authorized = (m: Map<string, number>): number => m.get('airlock_stations{state="authorized"}') ?? 0;
    /** Polls the published metrics until every station is authorized and both agents are connected; the seconds it took. */
    const untilAllAuthorized = async (timeoutMs: number): Promise<number> => {
      const t0 = Date.now();
      let last = 'no answer';
      while (Date.now() - t0 < timeoutMs) {
        try {
          const m = await metrics();
          last = `${authorized(m)} of ${expected} authorized, ${m.get('airlock_agents_connected') ?? 0} agents`;
          if (authorized(m) === expected && m.get('airlock_agents_connected') === 2) return (Date.now() - t0) / 1000;
        } catch (e) {
          last = `metrics: ${e instanceof Error ? e.message : String(e)}`;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`not every station was authorized within ${timeoutMs / 1000} s (${last}); the services' logs are in ${join(CACHE, 'compose-last.log')}`);
    };
    const composeRun = async (args: string[], what: string, timeoutMs = 300_000): Promise<string> => {
      const r = await compose.run(args, { env, timeoutMs });
      assert.equal(r.status, 0, `${what}: ${r.stderr.trim().split('\n').slice(-10).join('\n')}`);
      return r.stdout;
    };

    before(async () => {
      mkdirSync(CACHE, { recursive: true });
      engine = await dockerEngine(log);
      compose = await findCompose(project);
      log(`compose ${compose.version}`);
      const base = await nodeBaseImage(engine, log);
      image = `airlock:test-${process.pid}`;
      const seconds = await buildProjectImage(engine, image, base, join(CACHE, 'docker-build.log'));
      log(`deploy/Dockerfile built on ${base} in ${seconds.toFixed(0)} s`);
      const named = /\$\{AIRLOCK_FREERADIUS_IMAGE:-([^}]+)\}/.exec(readFileSync(COMPOSE_FILE, 'utf8'))?.[1];
      assert.ok(named !== undefined, 'the compose file names its FreeRADIUS image');
      const radiusImage = await freeradiusImage(engine, named, log);
      const namedRedis = /\$\{AIRLOCK_REDIS_IMAGE:-([^}]+)\}/.exec(readFileSync(COMPOSE_FILE, 'utf8'))?.[1];
      assert.ok(namedRedis !== undefined, 'the compose file names its Redis image');
      const storeImage = await redisImage(engine, namedRedis, log);
      secretsDir = mkdtempSync(join(tmpdir(), 'airlock-compose-secrets-'));
      httpPort = await freeTcpPort();
      adminPort = await freeTcpPort();
      env = {
        ...Object.fromEntries(Object.entries(engine.env).filter(([k]) => !k.startsWith('AIRLOCK'))),
        AIRLOCK_IMAGE: image,
        AIRLOCK_FREERADIUS_IMAGE: radiusImage,
        AIRLOCK_REDIS_IMAGE: storeImage,
        AIRLOCK_SECRETS_DIR: secretsDir,
        AIRLOCK_GRPC_PORT: String(await freeTcpPort()),
        AIRLOCK_HTTP_PORT: String(httpPort),
        AIRLOCK_ADMIN_PORT: String(adminPort),
      };
      services = (parse(await composeRun(['config'], 'compose config')) as { services: Record<string, Service> }).services;
      expected = stationsOf(services['agent-1']) + stationsOf(services['agent-2']);
      const t0 = Date.now();
      await composeRun(['up', '-d', '--no-build'], 'compose up', 600_000);
      log(`compose up returned in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    after(async () => {
      if (compose !== undefined && env !== undefined) {
        const logs = await compose.run(['--profile', 'real-ap', 'logs', '--no-color'], { env, timeoutMs: 60_000 }).catch(() => undefined);
        if (logs !== undefined) writeFileSync(join(CACHE, 'compose-last.log'), logs.stdout);
        const down = await compose.run(['--profile', 'real-ap', 'down', '-v', '--remove-orphans'], { env, timeoutMs: 180_000 });
        if (down.status !== 0) log(`compose down -v failed: ${down.stderr.trim()}`);
      }
      if (engine !== undefined && image !== '') {
        await run('docker', ['image', 'rm', image], { env: engine.env, timeoutMs: 60_000 });
        // The private engine's cache keeps the bases; earlier builds' leftovers go.
        if (engine.private) await run('docker', ['image', 'prune', '-f'], { env: engine.env, timeoutMs: 120_000 });
      }
      if (secretsDir !== undefined) rmSync(secretsDir, { recursive: true, force: true });
      await engine?.stop();
    });

    void it('every station is authorized, PSK and EAP-TTLS through FreeRADIUS, read from the published metrics', async () => {
      const s = await untilAllAuthorized(240_000);
      const m = await metrics();
      authorizedAtStart = authorized(m);
      eapAccepts = m.get('airlock_eap_authentications_total{result="accept"}') ?? 0;
      log(`${authorizedAtStart} stations authorized ${s.toFixed(1)} s after up returned; ${eapAccepts} EAP accepts`);
      assert.equal(authorizedAtStart, expected);
      assert.equal(eapAccepts, stationsOf(services['agent-2']), 'each EAP-TTLS station: one Access-Accept');
      // Counted here, so that none counted after the restart means none ran.
      assert.equal(m.get('airlock_handshakes_total{result="success"}'), expected, 'each station: one 4-way handshake');
      assert.equal(m.get('airlock_radius_server_up{server="freeradius"}'), 1);
    });

    /** redis-cli in the redis container, with the password from its secret file (REDISCLI_AUTH) or without any. */
    const redisCli = (args: string, auth = true): Promise<string> =>
      composeRun(['exec', '-T', 'redis', 'sh', '-c', `${auth ? 'REDISCLI_AUTH="$(cat /etc/airlock/secrets/redis_password)" ' : ''}redis-cli ${args}`], `redis-cli ${args}`);

    void it('the authenticator keeps its state in Redis, which answers nobody without the password', async () => {
      const m = await metrics();
      assert.equal(m.get('airlock_store_up'), 1, 'airlock_store_up');
      const keys = (await redisCli("--scan --pattern 'airlock:*'")).trim().split('\n').filter((k) => k !== '');
      assert.ok(keys.some((k) => k.startsWith('airlock:lease:')), `BSS leases in Redis (keys: ${keys.slice(0, 5).join(' ')})`);
      assert.match(await redisCli('ping', false), /NOAUTH/, 'no password, no answer');
      log(`${keys.length} airlock: keys in Redis`);
    });

    void it('`airlock stations` answers through the published Admin endpoint with the operator credentials setup wrote', async () => {
      const r = await run(process.execPath, [CLI, 'stations', '--server', `localhost:${adminPort}`, '--pki-dir', join(secretsDir, 'operator'), '--json'], { timeoutMs: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      const stations = JSON.parse(r.stdout) as { state: string; agentId: string; akm: string }[];
      assert.equal(stations.filter((s) => s.state === 'authorized').length, expected);
      assert.deepEqual([...new Set(stations.map((s) => s.agentId))].sort(), ['ap-1', 'ap-2']);
      // The same table, as an operator reads it.
      const table = await run(process.execPath, [CLI, 'stations', '--server', `localhost:${adminPort}`, '--pki-dir', join(secretsDir, 'operator')], { timeoutMs: 30_000 });
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout.split('\n')[0], /^STATION\s+STATE\s+BSSID/);
    });

    void it('each container holds only its own secrets, none mounts the CA volume, and each runs hardened', async () => {
      const own: Record<string, string[]> = {
        freeradius: ['ca.pem', 'eap_test_password', 'radius-server.key', 'radius-server.pem', 'radius_secret'],
        redis: ['redis_password'],
        authenticator: ['authenticator.key', 'authenticator.pem', 'ca-agent.pem', 'ca-operator.pem', 'ca.pem', 'psk_passphrase', 'radius_secret', 'redis_kek', 'redis_kek_previous', 'redis_password'],
        'agent-1': ['agent-ap-1.key', 'agent-ap-1.pem', 'ca.pem', 'psk_passphrase'],
        'agent-2': ['agent-ap-2.key', 'agent-ap-2.pem', 'ca.pem', 'eap_test_password'],
      };
      for (const [name, files] of Object.entries(own)) {
        const ls = await composeRun(['exec', '-T', name, 'ls', '-A', '/etc/airlock/secrets'], `ls in ${name}`);
        assert.deepEqual(ls.trim().split('\n').sort(), files, `${name}'s secrets`);
        const id = (await composeRun(['ps', '-q', name], `ps ${name}`)).trim();
        const [info] = JSON.parse((await run('docker', ['inspect', id], { env, timeoutMs: 30_000 })).stdout) as {
          Mounts: { Name?: string; Destination: string }[];
          HostConfig: { CapDrop: string[] | null; CapAdd: string[] | null; ReadonlyRootfs: boolean; SecurityOpt: string[] | null; Memory: number; PidsLimit: number | null; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null };
        }[];
        assert.ok(!info.Mounts.some((m) => m.Name === `${project}_ca`), `${name} does not mount the CA volume`);
        assert.ok(info.HostConfig.CapDrop?.includes('ALL'), `${name}: cap_drop ALL`);
        assert.equal(info.HostConfig.ReadonlyRootfs, true, `${name}: read-only root`);
        assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges:true'), `${name}: no-new-privileges`);
        assert.ok(info.HostConfig.Memory > 0 && (info.HostConfig.PidsLimit ?? 0) > 0, `${name}: memory and process limits`);
        if (name === 'redis') assert.deepEqual(info.HostConfig.PortBindings ?? {}, {}, 'Redis is published nowhere');
        // The process itself: not root (FreeRADIUS drops it in its entrypoint), no capabilities.
        const status = await composeRun(['exec', '-T', name, 'cat', '/proc/1/status'], `status in ${name}`);
        assert.notEqual(/^Uid:\s+(\d+)/m.exec(status)?.[1], '0', `${name} runs as a user`);
        assert.equal(/^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1], '0000000000000000', `${name} has no capabilities`);
        if (name === 'authenticator') {
          const bindings = info.HostConfig.PortBindings ?? {};
          assert.equal(bindings['9464/tcp']?.[0]?.HostIp, '127.0.0.1', 'the status page is on loopback');
          assert.equal(bindings['50052/tcp']?.[0]?.HostIp, '127.0.0.1', 'the Admin API is on loopback');
        }
      }
      // What runs: the four services, not the real-AP agent (its profile is not enabled).
      const running = (await composeRun(['ps', '--services', '--filter', 'status=running'], 'ps --services')).trim().split('\n').sort();
      assert.deepEqual(running, ['agent-1', 'agent-2', 'authenticator', 'freeradius', 'redis']);
      // An agent cannot even resolve Redis's name: it is on the authenticator's network only.
      const lookup = await compose.run(['exec', '-T', 'agent-1', 'node', '-e', "require('node:dns').lookup('redis', (e) => { console.log(e ? e.code : 'resolved'); })"], { env, timeoutMs: 30_000 });
      assert.match(lookup.stdout, /ENOTFOUND|EAI_AGAIN/, `agent-1 looks redis up: ${lookup.stdout.trim()}`);
      // The CA and its keys: only in the setup job's volume.
      const setupId = (await composeRun(['ps', '-a', '-q', 'setup'], 'ps setup')).trim();
      const [setup] = JSON.parse((await run('docker', ['inspect', setupId], { env, timeoutMs: 30_000 })).stdout) as { Mounts: { Name?: string }[]; State: { Status: string; ExitCode: number } }[];
      assert.ok(setup.Mounts.some((m) => m.Name === `${project}_ca`));
      assert.equal(setup.State.Status, 'exited');
      assert.equal(setup.State.ExitCode, 0);
      // The operator's credentials and the generated shared secrets, on the host, for the host's user.
      assert.deepEqual((await run('ls', ['-A', secretsDir])).stdout.trim().split('\n').sort(), ['eap_test_password', 'operator', 'psk_passphrase', 'radius_secret', 'redis_kek', 'redis_password']);
      assert.match(readFileSync(join(secretsDir, 'redis_kek'), 'utf8'), /^[0-9a-f]{64}\n$/, 'a generated KEK: 64 hex digits');
    });

    void it('the image runs a real agent\'s native modules (libpcap\'s cap, @airlock/raw-netlink)', async () => {
      const r = await run('docker', ['run', '--rm', '--network', 'none', image, 'node', '-e', "require('cap'); require('@airlock/raw-netlink'); console.log('native modules load')"], { env, timeoutMs: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /native modules load/);
    });

    void it('restart authenticator: it hands its agents over through Redis, every station stays authorized (no handshake or EAP again); prints the summary line', async () => {
      const t0 = Date.now();
      await composeRun(['restart', 'authenticator'], 'compose restart authenticator');
      await untilAllAuthorized(240_000);
      const recovered = (Date.now() - t0) / 1000;
      const m = await metrics();
      assert.equal(authorized(m), expected);
      // The counters are the new process's: a station that had to join again shows up as a
      // successful 4-way handshake (and, on the Enterprise network, an EAP accept).
      const joinedAgain = m.get('airlock_handshakes_total{result="success"}') ?? 0;
      const eapAgain = m.get('airlock_eap_authentications_total{result="accept"}') ?? 0;
      const stayed = Math.max(0, authorized(m) - joinedAgain);
      log(`restart: ${stayed} of ${expected} stations stayed authorized; ${joinedAgain} handshakes and ${eapAgain} EAP accepts after it; takeovers ${m.get('airlock_store_takeovers_total{result="ok"}') ?? 0}`);
      assert.equal(m.get('airlock_store_up'), 1);
      assert.equal(joinedAgain, 0, 'no station joined again after the restart');
      assert.equal(eapAgain, 0, 'no EAP ran again after the restart');
      assert.equal(stayed, expected);
      console.log(JSON.stringify({ compose: 'ok', stations_authorized: authorizedAtStart, eap_accepts: eapAccepts, recovered_after_restart_s: Math.round(recovered * 10) / 10, stayed_authorized_over_restart: stayed }));
    });

    void it('the real-AP agent (host network, NET_RAW + NET_ADMIN) serves a wired 802.1X port: the real wpa_supplicant authenticates with EAP-TTLS as the EAP test user', async () => {
      const ns = await createVethNamespace();
      try {
        const password = readFileSync(join(secretsDir, 'eap_test_password'), 'utf8').replace(/\r?\n$/, '');
        const supplicant = await startWpaSupplicant({
          namespace: ns.namespace,
          interfaceName: ns.nsInterface,
          network: { key_mgmt: 'IEEE8021X', eapol_flags: 0, eap: 'TTLS', identity: 'guest', password, phase2: 'auth=PAP', ca_cert: join(secretsDir, 'operator', 'ca.pem') },
        });
        try {
          const before = await metrics();
          const realEnv = { ...env, AIRLOCK_AUTHENTICATOR: `localhost:${env.AIRLOCK_GRPC_PORT}`, AIRLOCK_AGENT_DRIVER_ARGS: `--driver wired --port ${ns.hostInterface}:ssid=airlock-corp,akm=none` };
          const up = await compose.run(['--profile', 'real-ap', 'up', '-d', '--no-build', '--no-deps', 'agent-real'], { env: realEnv, timeoutMs: 120_000 });
          assert.equal(up.status, 0, up.stderr);
          await supplicant.waitForLine('CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully', 60_000);
          await supplicant.waitForLine('EAPOL: Supplicant port status: Authorized', 10_000);
          const t0 = Date.now();
          let m = await metrics();
          while (authorized(m) !== expected + 1 && Date.now() - t0 < 10_000) {
            await new Promise((r) => setTimeout(r, 200));
            m = await metrics();
          }
          assert.equal(authorized(m), expected + 1, 'the wired station is authorized at the authenticator too');
          assert.equal((m.get('airlock_eap_authentications_total{result="accept"}') ?? 0) - (before.get('airlock_eap_authentications_total{result="accept"}') ?? 0), 1);
          assert.equal(m.get('airlock_agents_connected'), 3);
          const id = (await composeRun(['--profile', 'real-ap', 'ps', '-q', 'agent-real'], 'ps agent-real')).trim();
          const [info] = JSON.parse((await run('docker', ['inspect', id], { env, timeoutMs: 30_000 })).stdout) as { HostConfig: { NetworkMode: string; CapAdd: string[] | null; CapDrop: string[] | null; SecurityOpt: string[] | null } }[];
          assert.equal(info.HostConfig.NetworkMode, 'host');
          assert.deepEqual([...(info.HostConfig.CapAdd ?? [])].sort(), ['NET_ADMIN', 'NET_RAW']);
          assert.ok(info.HostConfig.CapDrop?.includes('ALL'));
          assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges:true'));
        } finally {
          await supplicant.stop();
          const logs = await compose.run(['--profile', 'real-ap', 'logs', '--no-color', 'agent-real'], { env, timeoutMs: 60_000 });
          writeFileSync(join(CACHE, 'compose-agent-real.log'), logs.stdout);
          await compose.run(['--profile', 'real-ap', 'rm', '-s', '-f', 'agent-real'], { env, timeoutMs: 60_000 });
        }
      } finally {
        await ns.remove();
      }
    });
  });
});
