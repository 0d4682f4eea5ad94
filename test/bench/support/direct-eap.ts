/**
 * The direct path: the station's EAP peer (packages/supplicant EapPeer) acting as its own
 * RADIUS client (packages/radius RadiusClient) against FreeRADIUS, without airlock: each
 * EAP-Response goes in an Access-Request (EAP-Message split per RFC 3579 §3.1, State
 * echoed per RFC 2865 §5.24) until Access-Accept, whose MS-MPPE keys (RFC 2548) must equal
 * the peer's MSK. The attributes are the ones airlock sends (radius-attributes.ts), so
 * FreeRADIUS does the same work on both paths.
 */
import { performance } from 'node:perf_hooks';
import { AKM, CIPHER, EapCode, EapType, encodeEap, formatMac } from '@airlock/rsn';
import { Attr, RadiusCode, attrInt, attrString, getAttribute, joinEapMessage, splitEapMessage, wlanSuiteValue, type RadiusAttribute, type RadiusClient } from '@airlock/radius';
import { EapPeer, type EapPeerOptions } from '@airlock/supplicant';

/** One Access-Request and its answer, as sent and received. */
export interface RoundTrip {
  request: RadiusAttribute[];
  code: number;
  response: RadiusAttribute[];
}

/** How one authentication ended. */
export interface DirectAuthentication {
  ok: boolean;
  error?: string;
  roundTrips: RoundTrip[];
  tlsVersion?: string;
}

const MAX_ROUND_TRIPS = 64;
/** The Called-Station-Id BSSID of the direct path (no AP: any fixed value). */
const DIRECT_BSSID = Buffer.from([0x02, 0xd1, 0x00, 0x00, 0x00, 0x01]);

function stationId(mac: Buffer): string {
  return formatMac(mac).toUpperCase().replaceAll(':', '-');
}

/** The attributes airlock's authenticator puts in an Access-Request (radius-attributes.ts), for one EAP-Response. */
export function accessRequestAttributes(identity: string, sta: Buffer, ssid: string, eap: Buffer, state: Buffer | undefined): RadiusAttribute[] {
  const out: RadiusAttribute[] = [
    { type: Attr.UserName, value: attrString(identity) },
    { type: Attr.NasIdentifier, value: attrString('airlock-bench-direct') },
    { type: Attr.NasPortType, value: attrInt(19) }, // Wireless - IEEE 802.11
    { type: Attr.CalledStationId, value: attrString(`${stationId(DIRECT_BSSID)}:${ssid}`) },
    { type: Attr.CallingStationId, value: attrString(stationId(sta)) },
    { type: Attr.ServiceType, value: attrInt(2) }, // Framed
    { type: Attr.FramedMtu, value: attrInt(1400) },
    { type: Attr.ConnectInfo, value: attrString('CONNECT IEEE 802.11 RSN') },
    { type: Attr.AcctSessionId, value: attrString(`direct-${sta.toString('hex')}`) },
    { type: Attr.WlanPairwiseCipher, value: wlanSuiteValue(CIPHER.CCMP_128) },
    { type: Attr.WlanGroupCipher, value: wlanSuiteValue(CIPHER.CCMP_128) },
    { type: Attr.WlanAkmSuite, value: wlanSuiteValue(AKM.IEEE8021X) },
    ...splitEapMessage(eap),
  ];
  if (state !== undefined) out.push({ type: Attr.State, value: state });
  return out;
}

/** One EAP authentication of `peerOptions` through `client`, from Request/Identity to Access-Accept. */
export async function authenticateDirect(client: RadiusClient, peerOptions: EapPeerOptions, sta: Buffer, ssid: string): Promise<DirectAuthentication> {
  const peer = new EapPeer(peerOptions);
  const roundTrips: RoundTrip[] = [];
  const fail = (error: string): DirectAuthentication => ({ ok: false, error, roundTrips });
  // What an authenticator sends first on association (IEEE 802.1X-2004 §8.2.4.1.2 REQUEST).
  let eap = await peer.receive(encodeEap({ code: EapCode.Request, identifier: 0, type: EapType.Identity, data: Buffer.alloc(0) }));
  let state: Buffer | undefined;
  while (eap !== undefined) {
    if (roundTrips.length >= MAX_ROUND_TRIPS) return fail(`no decision after ${MAX_ROUND_TRIPS} round trips`);
    const request = accessRequestAttributes(peerOptions.identity, sta, ssid, eap, state);
    const res = await client.accessRequest(request);
    roundTrips.push({ request, code: res.code, response: res.attributes });
    const reply = joinEapMessage(res.attributes);
    switch (res.code) {
      case RadiusCode.AccessChallenge:
        if (reply === undefined) return fail('Access-Challenge without EAP-Message');
        state = getAttribute(res.attributes, Attr.State);
        eap = await peer.receive(reply);
        if (eap === undefined) return fail(`peer gave no response (${peer.error ?? peer.lastDropReason ?? peer.state})`);
        break;
      case RadiusCode.AccessAccept: {
        if (reply !== undefined) await peer.receive(reply);
        const msk = peer.msk;
        if (peer.state !== 'success' || msk === undefined) return fail(`Access-Accept but the peer is in state ${peer.state} (${peer.error ?? ''})`);
        if (res.mppe === undefined) return fail(`Access-Accept without MS-MPPE keys (${res.mppeError ?? 'absent'})`);
        if (!msk.subarray(0, 32).equals(res.mppe.recv) || !msk.subarray(32, 64).equals(res.mppe.send)) return fail('MS-MPPE keys differ from the peer MSK');
        return { ok: true, roundTrips, tlsVersion: peer.tlsVersion };
      }
      case RadiusCode.AccessReject:
        return fail(`Access-Reject (peer: ${peer.error ?? peer.state})`);
      default:
        return fail(`unexpected RADIUS code ${res.code}`);
    }
  }
  return fail(`peer stopped answering (${peer.error ?? peer.lastDropReason ?? peer.state})`);
}

/** What a run of many authentications measured. */
export interface DirectRun {
  ok: number;
  failed: number;
  errors: string[];
  wallMs: number;
  latenciesMs: number[];
  /** CPU time (user + system) of this process over the run, in microseconds. */
  clientCpuUs: number;
  roundTrips: number;
  tlsVersion: string | undefined;
}

/** Runs `count` authentications, `concurrency` at a time; station `i` uses `peerOptions(i)`. */
export async function runDirect(client: RadiusClient, count: number, concurrency: number, peerOptions: (i: number) => EapPeerOptions, ssid: string): Promise<DirectRun> {
  const run: DirectRun = { ok: 0, failed: 0, errors: [], wallMs: 0, latenciesMs: [], clientCpuUs: 0, roundTrips: 0, tlsVersion: undefined };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const sta = Buffer.from([0x02, 0xd5, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x01]);
      const t0 = performance.now();
      let r: DirectAuthentication;
      try {
        r = await authenticateDirect(client, peerOptions(i), sta, ssid);
      } catch (err) {
        r = { ok: false, error: err instanceof Error ? err.message : String(err), roundTrips: [] };
      }
      run.roundTrips += r.roundTrips.length;
      if (r.ok) {
        run.ok++;
        run.latenciesMs.push(performance.now() - t0);
        run.tlsVersion ??= r.tlsVersion;
      } else {
        run.failed++;
        if (run.errors.length < 5) run.errors.push(r.error ?? 'failed');
      }
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  run.wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  run.clientCpuUs = cpu.user + cpu.system;
  return run;
}
