/**
 * RADIUS in-flight slots are shared out per agent and per BSS (DESIGN.md "Security",
 * "Fairness"; issue 13 item 1's rule applied to radius.max_in_flight). A real FreeRADIUS
 * sits behind a UDP relay that delays each datagram by 100 ms (a slow RADIUS path), and
 * radius.max_in_flight is 8, so the path carries about 40 Access-Requests per second. A
 * hostile agent (a raw AgentLink client with a valid agent certificate) associates 802.1X
 * stations at 200 per second and answers each EAP-Request/Identity, so each of its
 * stations costs an Access-Request: several times what the path carries. A healthy agent's
 * 4 EAP-TTLS stations join once without the flood and once under it; under it they must
 * still all join, within 2x the unloaded time (a first-come queue put them behind
 * hundreds of the flood's requests, or refused them past the client's queue).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { simBssRsne } from '@airlock/edge-agent';
import { AKM, decodeEap, decodeEapol, EapCode, EapolType, encodeEap, encodeEapol } from '@airlock/rsn';
import { CORP_SSID, startEnterpriseBed, stationMac, type EnterpriseBed } from '../support/enterprise.js';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { agentCredentials } from '../support/test-pki.js';
import { waitFor } from '../support/topology.js';

const DELAY_MS = 100;
const MAX_IN_FLIGHT = 8;
const ALICE = { name: 'alice', password: 'alice-password' };
const HEALTHY = 4;

/** A UDP relay in front of one RADIUS server that delays every datagram, both ways, by `delayMs`. */
class DelayRelay {
  readonly socket: Socket = createSocket('udp4');
  upstreamPort = 0;
  /** Datagrams from the client so far (Access-Requests, their retransmissions, accounting). */
  forwarded = 0;
  /** One upstream socket per client address and port (the client checks the answer's source). */
  private readonly upstream = new Map<string, Socket>();
  private closed = false;
  constructor(private readonly delayMs: number) {}

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.socket.on('message', (msg: Buffer, from: RemoteInfo) => {
      const key = `${from.address}:${from.port}`;
      let up = this.upstream.get(key);
      if (up === undefined) {
        const s = createSocket('udp4');
        s.bind(0, '127.0.0.1');
        s.on('message', (answer: Buffer) => setTimeout(() => this.closed || this.socket.send(answer, from.port, from.address), this.delayMs));
        this.upstream.set(key, (up = s));
      }
      const to = up;
      this.forwarded++;
      setTimeout(() => this.closed || to.send(msg, this.upstreamPort, '127.0.0.1'), this.delayMs);
    });
    return (this.socket.address()).port;
  }

  close(): void {
    this.closed = true;
    this.socket.close();
    for (const s of this.upstream.values()) s.close();
  }
}

/**
 * The flood: 4 BSSes of the 802.1X network (so that limits.max_pending_stations_per_bss
 * does not stop it first), a new station every 5 ms, and an EAP-Response/Identity to every
 * EAP-Request/Identity (nothing else is answered).
 */
function startFlood(target: string): { raw: RawAgent; stop: () => void; leaveAll: () => void; stations: () => number; identities: () => number } {
  const raw = new RawAgent(target, { credentials: agentCredentials('raw-12') });
  const bssids = [1, 2, 3, 4].map((i) => Buffer.from([0x02, 0xf1, 0, 0, 0, i]));
  const rsne = simBssRsne(AKM.IEEE8021X);
  raw.hello({ agentId: 'raw-12', bsses: bssids.map((bssid) => bssInfo({ bssid, ssid: Buffer.from(CORP_SSID), rsne })) });
  let n = 0;
  let answered = 0;
  let seen = 0;
  const timer = setInterval(() => {
    if (!raw.open) return;
    n++;
    const sta = Buffer.from([0x02, 0xf2, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 1]);
    raw.send({ $case: 'stationAssociated', value: { bssid: bssids[n % bssids.length], sta, rsne, reassociation: false, previousBssid: Buffer.alloc(0), rsnxe: Buffer.alloc(0) } });
    // Answer the Identity requests that came since the last tick.
    for (; seen < raw.received.length; seen++) {
      const body = raw.received[seen].body;
      if (body?.$case !== 'transmitEapol') continue;
      const eapol = decodeEapol(body.value.frame);
      if (!eapol.ok || eapol.value.type !== EapolType.EapPacket) continue;
      const eap = decodeEap(eapol.value.body);
      if (!eap.ok || eap.value.code !== EapCode.Request || eap.value.type !== 1) continue;
      const frame = encodeEapol({ version: 2, type: EapolType.EapPacket, body: encodeEap({ code: EapCode.Response, identifier: eap.value.identifier, type: 1, data: Buffer.from(`mallory-${answered}`) }) });
      raw.send({ $case: 'eapolReceived', value: { bssid: body.value.bssid, sta: body.value.sta, frame } });
      answered++;
    }
  }, 5);
  /** Every flood station leaves (Disassociation, reason 8), the flood stops associating. */
  const leaveAll = (): void => {
    clearInterval(timer);
    for (let i = 1; i <= n; i++) {
      const sta = Buffer.from([0x02, 0xf2, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 1]);
      raw.send({ $case: 'stationDisassociated', value: { bssid: bssids[i % bssids.length], sta, reason: 8, deauthentication: false, locallyGenerated: false } });
    }
  };
  return { raw, stop: () => { clearInterval(timer); raw.close(); }, leaveAll, stations: () => n, identities: () => answered };
}

void describe('RADIUS in-flight slots shared out per agent', () => {
  let bed: EnterpriseBed;
  let relay: DelayRelay;
  const joins: Record<'unloaded' | 'flooded', number> = { unloaded: 0, flooded: 0 };
  let flood: { stations: number; identities: number; requests: number; seconds: number } | undefined;
  /** Datagrams to the RADIUS path in the 1.5 s after the flood's stations left (and 0.5 s for those in flight). */
  let afterLeaving = -1;

  before(async () => {
    relay = new DelayRelay(DELAY_MS);
    const relayPort = await relay.start();
    bed = await startEnterpriseBed({
      certificates: [],
      passwords: [ALICE],
      tweak: (c) => {
        relay.upstreamPort = c.radius.servers[0].authPort;
        c.radius.servers[0].authPort = relayPort;
        c.radius.maxInFlight = MAX_IN_FLIGHT;
        c.radius.timeoutMs = 2000;
        c.radius.deadAfterMs = 30_000;
        c.eap.retransmitMs = 3000;
        c.eap.maxTransmissions = 2;
      },
    });
    const join = async (group: number): Promise<number> => {
      const stations = Array.from({ length: HEALTHY }, (_v, i) => bed.ttlsStation(stationMac(group, i + 1), ALICE.name, ALICE.password));
      const t0 = performance.now();
      const radio = await bed.startRadio({ agents: 1, stations, behaviour: { joinSpreadMs: 200, rejoinAfterDisconnect: false } });
      try {
        assert.ok(await waitFor(() => radio.sim.authorizedCount() === HEALTHY, 60_000), `authorized ${radio.sim.authorizedCount()} of ${HEALTHY}`);
        return performance.now() - t0;
      } finally {
        await radio.stop();
      }
    };
    joins.unloaded = await join(0x71);
    const requests = async (): Promise<number> => {
      let n = 0;
      for (const [k, v] of await bed.metrics()) if (k.startsWith('airlock_radius_requests_total{')) n += v;
      return n;
    };
    const f = startFlood(`localhost:${bed.auth.grpcPort}`);
    try {
      // Two seconds of flood first: its requests wait for the path.
      await new Promise((r) => setTimeout(r, 2000));
      const r0 = await requests();
      const t0 = performance.now();
      joins.flooded = await join(0x72);
      flood = { stations: f.stations(), identities: f.identities(), requests: (await requests()) - r0, seconds: (performance.now() - t0) / 1000 };
      // The flood's stations leave while hundreds of their Access-Requests still wait their turn.
      f.leaveAll();
      await new Promise((r) => setTimeout(r, 500));
      const before = relay.forwarded;
      await new Promise((r) => setTimeout(r, 1500));
      afterLeaving = relay.forwarded - before;
    } finally {
      f.stop();
    }
    console.log(`healthy EAP-TTLS joins (${HEALTHY} stations): ${joins.unloaded.toFixed(0)} ms unloaded, ${joins.flooded.toFixed(0)} ms under the flood (ratio ${(joins.flooded / joins.unloaded).toFixed(2)}); flood: ${flood.stations} stations associated, ${flood.identities} identities answered; ${flood.requests} RADIUS answers in ${flood.seconds.toFixed(1)} s with max_in_flight ${MAX_IN_FLIGHT} and ${2 * DELAY_MS} ms round trips`);
  });
  after(async () => {
    await bed?.close();
    relay?.close();
  });

  void it('the flood offered the RADIUS path more than it carries', () => {
    const capacityPerS = (MAX_IN_FLIGHT * 1000) / (2 * DELAY_MS);
    assert.ok(flood !== undefined);
    assert.ok(flood.identities / (flood.seconds + 2) > 2 * capacityPerS, `${flood.identities} identities in ${(flood.seconds + 2).toFixed(1)} s against ${capacityPerS}/s`);
  });

  void it('the waiting Access-Requests of stations that left go with them: the RADIUS path falls quiet', () => {
    // Without it, every waiting turn of a gone station would still go out, 40 a second.
    assert.equal(afterLeaving, 0, `${afterLeaving} datagrams to the RADIUS path after the flood's stations left`);
  });

  void it("the healthy agent's stations all join within 2x their unloaded time", () => {
    assert.ok(joins.flooded <= 2 * joins.unloaded, `${joins.flooded.toFixed(0)} ms under the flood > 2 x ${joins.unloaded.toFixed(0)} ms`);
  });
});
