/**
 * The real Wi-Fi scenarios (issue 12 §3): real wpa_supplicant 2.10 stations on
 * mac80211_hwsim radios, through the nl80211 agent, gRPC and the authenticator (and
 * FreeRADIUS), all inside the VM test host. They run in this order on one world (see
 * world.ts); each asserts with node:assert and leaves the stations it connected as later
 * scenarios expect them (listed in each scenario's comment).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { formatMac } from '@airlock/rsn';
import { REPO_ROOT } from '../support/authenticator-process.js';
import { accessRequestCount, detailRecords, detailValue } from '../support/enterprise.js';
import { Injector } from './injector.js';
import { Nl80211Keys, type KernelKey } from './nl80211-keys.js';
import { EAP_SSID, inNs, MIX_PASSWORD, MIX_SSID, PEAP_USER, PSK_SSID, saeNetwork, sh, ping6, pskNetwork, TLS_STATION, until, waitConnected, type WifiStation, type WifiWorld } from './world.js';

/** One scenario: its id, what the host test calls it, and its body. */
export interface WifiScenario {
  name: string;
  title: string;
  run(w: WifiWorld, note: (key: string, value: unknown) => void): Promise<void>;
}

/** Connection timeout for one station under emulation. */
const JOIN_MS = 90_000;

/**
 * Connects `st` to `network` and waits for the 4-way handshake, CTRL-EVENT-CONNECTED and the
 * agent opening the station's port (the station may send before the AP has taken the
 * authenticator's SetPortAuthorized); returns the BSSID.
 */
async function join(w: WifiWorld, st: WifiStation, network: Record<string, string | number>, globals?: Record<string, string | number>): Promise<string> {
  const agentFrom = w.agent.log().length;
  const s = await w.connect(st, network, globals);
  await s.waitForLine('WPA: Key negotiation completed', JOIN_MS);
  const bssid = await waitConnected(s, JOIN_MS);
  const mac = formatMac(st.mac);
  const opened = await until(() => w.agent.log().slice(agentFrom).split('\n').some((l) => l.includes('"port authorized"') && l.includes(mac)), 30_000);
  assert.ok(opened, `the agent did not open the port of ${st.name}`);
  return bssid;
}

/** Unicast both ways between a station and the AP interface it joined. */
async function assertUnicast(w: WifiWorld, st: WifiStation, apIf: string, apLinkLocal: string, note: (k: string, v: unknown) => void): Promise<void> {
  // The station's address appears once it is up; its duplicate address detection takes a moment.
  const fromSta = await ping6(st.ns, apLinkLocal, st.ifname, 3, 30);
  note(`${st.name}->ap`, `${fromSta.received}/${fromSta.transmitted}`);
  assert.equal(fromSta.received, 3, `${st.name} -> AP ${apLinkLocal}%${st.ifname}: ${fromSta.out}`);
  const toSta = await ping6(undefined, st.linkLocal, apIf, 3, 30);
  note(`ap->${st.name}`, `${toSta.received}/${toSta.transmitted}`);
  assert.equal(toSta.received, 3, `AP -> ${st.name} ${st.linkLocal}%${apIf}: ${toSta.out}`);
}

/** A multicast ping from the AP (group-addressed, so protected with the GTK) answered by every station. */
async function assertBroadcast(apIf: string, stations: WifiStation[], note: (k: string, v: unknown) => void, label = 'ff02::1'): Promise<void> {
  const want = stations.map((s) => s.linkLocal);
  let seen = new Set<string>();
  // A few rounds: each station answers each request, but answers are not retransmitted.
  for (let round = 0; round < 3 && !want.every((a) => seen.has(a)); round++) {
    const r = await ping6(undefined, 'ff02::1', apIf, 3, 15);
    seen = new Set([...seen, ...r.responders]);
  }
  note(label, [...seen].sort());
  for (const s of stations) assert.ok(seen.has(s.linkLocal), `${s.name} (${s.linkLocal}) did not answer the AP's multicast ping on ${apIf}; answers from ${[...seen].join(', ')}`);
}

function stationsByName(w: WifiWorld, ...names: number[]): WifiStation[] {
  return names.map((n) => w.stations[n - 1]);
}

/** `wpa_cli status` as key -> value. */
async function wpaStatus(st: WifiStation): Promise<Record<string, string>> {
  const out = await st.supplicant!.command('status');
  const kv: Record<string, string> = {};
  for (const l of out.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) kv[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return kv;
}

/** What `airlock explain STA --json` returns (admin.proto ExplainStationResponse, the fields used here). */
interface Explained {
  station?: { sta: string; bssid: string; state: string; akm: string };
  handshakes: { startedUnixMs: number; bssid: string; akm: string; result: string; detail: string; stage: string; msg1Sent: number; eap?: { pmksaCached: boolean } }[];
}

async function explainJson(w: WifiWorld, st: WifiStation): Promise<Explained> {
  const r = await w.airlock('explain', formatMac(st.mac), '--json');
  assert.equal(r.code, 0, r.out);
  return JSON.parse(r.out.slice(r.out.indexOf('{'))) as Explained;
}

/** A counter from /metrics (0 when absent). */
function counter(m: Map<string, number>, name: string): number {
  return m.get(name) ?? 0;
}

/** Every handshake the authenticator counted, whatever its result. */
function handshakesCounted(m: Map<string, number>): number {
  let n = 0;
  for (const [k, v] of m) if (k.startsWith('airlock_handshakes_total{')) n += v;
  return n;
}

/** The authenticator's log lines with message `msg` about station `st` (pino JSON). */
function authenticatorLines(w: WifiWorld, msg: string, st: WifiStation): Record<string, unknown>[] {
  const mac = formatMac(st.mac);
  return readFileSync(w.auth.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"sta":"${mac}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The group keys a station's kernel holds (nl80211-keys.js run in its namespace). */
async function stationKeys(st: WifiStation, idx: number[]): Promise<Record<string, KernelKey | null>> {
  const r = await inNs(st.ns, process.execPath, [joinPath(REPO_ROOT, 'test/dist/wifi/nl80211-keys.js'), 'keys', st.ifname, ...idx.map(String)], 90_000);
  assert.equal(r.code, 0, `nl80211-keys in ${st.ns}: ${r.out}`);
  return JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, KernelKey | null>;
}

/** The key id of the last "WPA: IGTK keyid N" (or BIGTK) line of a supplicant at or after line `from`. */
function lastKeyId(st: WifiStation, kind: 'IGTK' | 'BIGTK', from = 0): number | undefined {
  const re = new RegExp(`WPA: ${kind} keyid (\\d+) pn`);
  const m = st
    .supplicant!.lines()
    .slice(from)
    .map((l) => re.exec(l))
    .filter((x) => x !== null)
    .at(-1);
  return m === undefined ? undefined : Number(m[1]);
}

/** BIP-CMAC-128 (00-0F-AC:6) as nl80211 reports a cipher. */
const CIPHER_BIP_CMAC_128 = 0x000fac06;
/** The Management MIC element (IEEE 802.11-2020 §9.4.2.54): id 76, key id, IPN, MIC. */
const MME_ID = 76;

/** Management frame subtypes (frame control octet 0) the hostile scenario sends and reads. */
const FC = { ASSOC_REQ: 0x00, ASSOC_RESP: 0x10, AUTH: 0xb0, DEAUTH: 0xc0 } as const;

let hostileSeq = 0;

/** An 802.11 management frame written out field by field (the test's own bytes). */
function mgmtFrame(subtype: number, da: Buffer, sa: Buffer, bssid: Buffer, body: Buffer): Buffer {
  const seq = Buffer.alloc(2);
  seq.writeUInt16LE((hostileSeq++ & 0xfff) << 4);
  return Buffer.concat([
    Buffer.from([subtype, 0x00]), // frame control: management, no flags
    Buffer.from([0x00, 0x00]), // duration
    da,
    sa,
    bssid,
    seq, // sequence control
    body,
  ]);
}

function le16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** Open System Authentication, transaction 1. */
function authRequest(bssid: Buffer, sta: Buffer): Buffer {
  return mgmtFrame(FC.AUTH, bssid, sta, bssid, Buffer.concat([le16(0), le16(1), le16(0)]));
}

/** An Association Request: capability ESS|Privacy|short slot, listen interval 10, then `elements`. */
function assocRequest(bssid: Buffer, sta: Buffer, elements: Buffer): Buffer {
  return mgmtFrame(FC.ASSOC_REQ, bssid, sta, bssid, Buffer.concat([le16(0x0411), le16(10), elements]));
}

const el = (id: number, data: number[] | Buffer): Buffer => Buffer.concat([Buffer.from([id, data.length]), Buffer.from(data)]);
const SSID_EL = el(0, Buffer.from(PSK_SSID));
const RATES_EL = el(1, [0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24]);
const EXT_RATES_EL = el(50, [0x30, 0x48, 0x60, 0x6c]);
const suite = (n: number): number[] => [0x00, 0x0f, 0xac, n];
/** An RSNE: version, group cipher, pairwise list, AKM list, capabilities (each a field). */
function rsne(o: { version?: number; group?: number; pairwise?: number[]; akm?: number[]; pairwiseCount?: number }): Buffer {
  const pairwise = o.pairwise ?? [4];
  const akm = o.akm ?? [2];
  return el(48, [
    ...le16(o.version ?? 1),
    ...suite(o.group ?? 4),
    ...le16(o.pairwiseCount ?? pairwise.length),
    ...pairwise.flatMap(suite),
    ...le16(akm.length),
    ...akm.flatMap(suite),
    0x00, 0x00, // RSN capabilities
  ]);
}

/** The status code of a captured (Re)Association Response, and its AID. */
function assocStatus(f: Buffer): { status: number; aid: number } {
  return { status: f.readUInt16LE(24 + 2), aid: f.readUInt16LE(24 + 4) & 0x3fff };
}

/** The last "radio counters" line the agent logged. */
interface BssCounters {
  dropped: Record<string, number>;
  refusedByStatus: Record<string, number>;
  saeRelayed?: number;
  saQueriesStarted?: number;
  saQueriesAnswered?: number;
  saQueryTimeouts?: number;
  saQueryResponses?: number;
}

function agentCounters(w: WifiWorld): { driver: Record<string, number>; bsses: Record<string, BssCounters> } | undefined {
  const lines = w.agent.log().split('\n').filter((l) => l.includes('"radio counters"'));
  const last = lines.at(-1);
  return last === undefined ? undefined : (JSON.parse(last) as { counters: ReturnType<typeof agentCounters> }).counters;
}

export const SCENARIOS: WifiScenario[] = [
  {
    // Leaves sta1..sta3 connected to psk[0].
    name: 'psk',
    title: 'WPA2-PSK: 3 real stations complete the 4-way handshake through the nl80211 agent and pass unicast and group traffic',
    async run(w, note) {
      const ap = w.psk[0];
      const stas = stationsByName(w, 1, 2, 3);
      for (const st of stas) {
        const bssid = await join(w, st, pskNetwork({ bssid: formatMac(ap.bssid) }));
        assert.equal(bssid, formatMac(ap.bssid));
        const s = st.supplicant!;
        // The PTK was derived with AA = the BSSID the agent announced (invariant 1).
        assert.ok(s.indexOf(new RegExp(`WPA: RX message 3 of 4-Way Handshake from ${formatMac(ap.bssid)}`)) >= 0, 'msg 3/4 came from the BSSID');
      }
      for (const st of stas) await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      await assertBroadcast(ap.ifname, stas, note);
      const m = await w.auth.metrics();
      note('handshakes_success', m.get('airlock_handshakes_total{result="success"}'));
      assert.ok((m.get('airlock_handshakes_total{result="success"}') ?? 0) >= 3);
    },
  },
  {
    // sta1..sta3 stay connected.
    name: 'group-rekey',
    title: 'Group rekeys on a short interval: every station takes two new GTKs and group traffic still flows',
    async run(w, note) {
      const ap = w.psk[0];
      const stas = stationsByName(w, 1, 2, 3);
      const from = stas.map((s) => s.supplicant!.lines().length);
      await w.reconfigure((c) => {
        (c['networks'] as Record<string, unknown>[])[0]['group_rekey_s'] = 6;
      });
      try {
        for (const [i, st] of stas.entries()) {
          const s = st.supplicant!;
          const first = await s.waitForLine('WPA: Group rekeying completed', 60_000, from[i]);
          await s.waitForLine('WPA: Group rekeying completed', 60_000, first + 1);
        }
      } finally {
        await w.reconfigure((c) => {
          (c['networks'] as Record<string, unknown>[])[0]['group_rekey_s'] = 0;
        });
      }
      for (const [i, st] of stas.entries()) {
        const s = st.supplicant!;
        const rekeys = s.lines().slice(from[i]).filter((l) => l.includes('WPA: Group rekeying completed')).length;
        note(`${st.name}_rekeys`, rekeys);
        assert.equal(s.indexOf('CTRL-EVENT-DISCONNECTED', from[i]), -1, `${st.name} was disconnected during the rekeys`);
      }
      await assertBroadcast(ap.ifname, stas, note, 'ff02::1 after rekeys');
    },
  },
  {
    // sta1 ends connected again without periodic rekeys.
    name: 'ptk-rekey',
    title: 'PTK rekey: the station asks for one (wpa_ptk_rekey), a new 4-way handshake runs under the old PTK, and traffic flows',
    async run(w, note) {
      const ap = w.psk[0];
      const [st] = stationsByName(w, 1);
      // Debian's wpa_supplicant has no KEY_REQUEST control command (a testing option); its
      // wpa_ptk_rekey timer sends the EAPOL-Key request (Request, Pairwise) itself.
      await join(w, st, pskNetwork({ bssid: formatMac(ap.bssid), wpa_ptk_rekey: 8 }));
      const s = st.supplicant!;
      const first = s.indexOf('WPA: Key negotiation completed');
      const request = await s.waitForLine(/WPA: Sending EAPOL-Key Request|EAPOL-Key Request \(error=0 pairwise=1/, 60_000, first + 1);
      note('request', s.lines()[request]);
      const m1 = await s.waitForLine(/WPA: RX message 1 of 4-Way Handshake/, 30_000, request + 1);
      const done = await s.waitForLine('WPA: Key negotiation completed', 30_000, m1 + 1);
      note('rekeyed', s.lines()[done]);
      assert.equal(s.indexOf('CTRL-EVENT-DISCONNECTED', first), -1, 'disconnected during the PTK rekey');
      await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      const m = await w.auth.metrics();
      note('handshakes_success', m.get('airlock_handshakes_total{result="success"}'));
      await join(w, st, pskNetwork({ bssid: formatMac(ap.bssid) }));
    },
  },
  {
    // sta1..sta3 stay connected.
    name: 'link-cut',
    title: "Link cut: the agent's stream is cut and restored within the grace period; stations stay connected and keep passing traffic",
    async run(w, note) {
      const ap = w.psk[0];
      const stas = stationsByName(w, 1, 2, 3);
      const from = stas.map((s) => s.supplicant!.lines().length);
      const welcomes = (): number => w.agent.log().split('welcomed by the authenticator').length - 1;
      const before = welcomes();
      w.proxy.refuse(true);
      w.proxy.cut();
      try {
        const down = await until(async () => ((await w.auth.metrics()).get('airlock_agents_connected') ?? 1) === 0, 30_000);
        assert.ok(down, 'the authenticator did not see the stream end');
        // Data keeps flowing while the link is down: the keys are in the AP's kernel.
        for (const st of stas) {
          const p = await ping6(st.ns, ap.linkLocal, st.ifname, 2, 20);
          note(`${st.name} during cut`, `${p.received}/${p.transmitted}`);
          assert.equal(p.received, 2, `${st.name} during the cut: ${p.out}`);
        }
      } finally {
        w.proxy.refuse(false);
      }
      const back = await until(() => welcomes() > before, 90_000, 250);
      assert.ok(back, 'the agent did not come back');
      await until(async () => ((await w.auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0) >= 3, 30_000);
      const m = await w.auth.metrics();
      note('authorized after', m.get('airlock_stations{state="authorized"}'));
      assert.ok((m.get('airlock_stations{state="authorized"}') ?? 0) >= 3, 'the authenticator kept the stations authorized');
      for (const [i, st] of stas.entries()) {
        assert.equal(st.supplicant!.indexOf('CTRL-EVENT-DISCONNECTED', from[i]), -1, `${st.name} was disconnected by the link cut`);
        await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      }
    },
  },
  {
    // sta3 is disconnected (and reconnects by itself).
    name: 'operator-disconnect',
    title: '`airlock disconnect STA --reason 5` reaches the real station as CTRL-EVENT-DISCONNECTED reason=5',
    async run(w, note) {
      const [st] = stationsByName(w, 3);
      const s = st.supplicant!;
      const from = s.lines().length;
      const r = await w.airlock('disconnect', formatMac(st.mac), '--reason', '5');
      note('cli', r.out.trim());
      assert.equal(r.code, 0, r.out);
      const i = await s.waitForLine('CTRL-EVENT-DISCONNECTED', 30_000, from);
      note('event', s.lines()[i]);
      assert.match(s.lines()[i], /reason=5\b/);
      assert.doesNotMatch(s.lines()[i], /locally_generated=1/);
    },
  },
  {
    name: 'wrong-passphrase',
    title: 'Wrong passphrase: 4 tries then reason 15, the diagnosis says "PSK mismatch", wpa_supplicant reports WRONG_KEY',
    async run(w, note) {
      const ap = w.psk[0];
      const [st] = stationsByName(w, 4);
      const s = await w.connect(st, pskNetwork({ bssid: formatMac(ap.bssid), psk: 'not the airlock passphrase' }));
      const disc = await s.waitForLine('CTRL-EVENT-DISCONNECTED', JOIN_MS);
      note('disconnected', s.lines()[disc]);
      assert.match(s.lines()[disc], /reason=15\b/);
      const msg1 = s.lines().slice(0, disc).filter((l) => /WPA: RX message 1 of 4-Way Handshake/.test(l)).length;
      note('msg 1/4 received', msg1);
      assert.equal(msg1, 4, 'the station saw msg 1/4 four times (dot11RSNAConfigPairwiseUpdateCount)');
      const t = await s.waitForLine(/CTRL-EVENT-SSID-TEMP-DISABLED .*reason=WRONG_KEY/, 30_000);
      note('temp-disabled', s.lines()[t]);
      const explain = await w.airlock('explain', formatMac(st.mac));
      note('explain', explain.out.trim().split('\n').slice(0, 12));
      assert.equal(explain.code, 0, explain.out);
      assert.match(explain.out, /PSK mismatch/);
      await w.disconnect(st);
    },
  },
  {
    // Leaves sta5 (PEAP) and sta6 (EAP-TLS) connected to eap[0].
    name: 'enterprise',
    title: 'WPA2-Enterprise with FreeRADIUS: PEAP/MSCHAPv2 and EAP-TLS stations connect and pass traffic; a wrong password is rejected',
    async run(w, note) {
      const ap = w.eap[0];
      const [peap, tls, wrong] = stationsByName(w, 5, 6, 4);
      // Pinned to eap[0] (bssid, not only bssid_hint: a hint is a preference, and a scan under
      // TCG that missed the hinted BSS made wpa_supplicant take the other radio); the roam
      // scenario lifts the pin before it moves sta5.
      const base = { ssid: EAP_SSID, key_mgmt: 'WPA-EAP', proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: formatMac(ap.bssid), proactive_key_caching: 1 };
      const pki = w.radius.pki;
      const bssid1 = await join(w, peap, { ...base, eap: 'PEAP', identity: PEAP_USER.name, password: PEAP_USER.password, phase2: 'auth=MSCHAPV2', ca_cert: pki.ca.cert });
      assert.ok(peap.supplicant!.indexOf('CTRL-EVENT-EAP-SUCCESS') >= 0);
      note('peap bssid', bssid1);
      const tlsCert = pki.stations[TLS_STATION];
      assert.ok(tlsCert !== undefined, 'the PKI has the EAP-TLS station certificate');
      const bssid2 = await join(w, tls, { ...base, bssid: formatMac(ap.bssid), eap: 'TLS', identity: TLS_STATION, ca_cert: pki.ca.cert, client_cert: tlsCert.cert, private_key: tlsCert.key });
      note('tls bssid', bssid2);
      for (const [st, b] of [[peap, bssid1], [tls, bssid2]] as const) {
        assert.equal(b, formatMac(ap.bssid), `${st.name} joined the BSS it was given`);
        await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      }
      await assertBroadcast(ap.ifname, [peap, tls], note);
      // Accounting carries the AP's counters of the station (StationCounters from GET_STATION).
      const calling = formatMac(peap.mac).replace(/:/g, '-');
      const interim = (): { in: number; out: number } | undefined => {
        const r = detailRecords(w.radius.radius)
          .filter((d) => detailValue(d, 'Acct-Status-Type') === 'Interim-Update' && (detailValue(d, 'Calling-Station-Id') ?? '').toLowerCase() === calling)
          .at(-1);
        return r === undefined ? undefined : { in: Number(detailValue(r, 'Acct-Input-Octets') ?? 0), out: Number(detailValue(r, 'Acct-Output-Octets') ?? 0) };
      };
      assert.ok(await until(() => (interim()?.in ?? 0) > 0 && (interim()?.out ?? 0) > 0, 30_000, 500), `no Interim-Update with the station's octets: ${JSON.stringify(interim())}`);
      note('interim octets', interim());
      const s = await w.connect(wrong, { ...base, eap: 'PEAP', identity: PEAP_USER.name, password: 'not alice password', phase2: 'auth=MSCHAPV2', ca_cert: pki.ca.cert });
      const f = await s.waitForLine('CTRL-EVENT-EAP-FAILURE', JOIN_MS);
      note('wrong password', s.lines()[f]);
      assert.equal(s.indexOf('CTRL-EVENT-CONNECTED'), -1, 'a station with a wrong password connected');
      await w.disconnect(wrong);
      const m = await w.auth.metrics();
      note('eap', { accept: m.get('airlock_eap_authentications_total{result="accept"}'), reject: m.get('airlock_eap_authentications_total{result="reject"}') });
      assert.ok((m.get('airlock_eap_authentications_total{result="reject"}') ?? 0) >= 1);
    },
  },
  {
    // sta5 ends on eap[1].
    name: 'roam',
    title: 'Roaming: `wpa_cli roam` to the other radio with PMKSA caching (OKC), no RADIUS Access-Request, traffic keeps flowing',
    async run(w, note) {
      const [st] = stationsByName(w, 5);
      const s = st.supplicant!;
      const target = w.eap[1];
      const requestsBefore = accessRequestCount(await w.auth.metrics());
      const from = s.lines().length;
      // The enterprise scenario pinned the network to eap[0]: lift the pin (the one network is id 0).
      assert.equal(await s.command('set_network', '0', 'bssid', 'any'), 'OK');
      // `roam` needs the target in wpa_supplicant's BSS table, and a scan under TCG can miss a
      // BSS ("CTRL_IFACE ROAM: Target AP not found from BSS table"): scan until it is there.
      for (let i = 0; i < 5 && !(await s.command('bss', formatMac(target.bssid))).includes('bssid='); i++) {
        const scanFrom = s.lines().length;
        await s.command('scan');
        await s.waitForLine('CTRL-EVENT-SCAN-RESULTS', 20_000, scanFrom).catch(() => undefined);
      }
      const r = await s.command('roam', formatMac(target.bssid));
      note('roam', r);
      assert.equal(r, 'OK');
      const bssid = await waitConnected(s, JOIN_MS, from);
      assert.equal(bssid, formatMac(target.bssid));
      const after = s.lines().slice(from);
      assert.ok(after.some((l) => /PMKSA caching|PMKID/.test(l)), 'the reassociation carried a PMKID');
      assert.equal(after.filter((l) => l.includes('CTRL-EVENT-EAP-STARTED')).length, 0, 'EAP ran again for the roam');
      const requestsAfter = accessRequestCount(await w.auth.metrics());
      note('access requests', { before: requestsBefore, after: requestsAfter });
      assert.equal(requestsAfter, requestsBefore, 'the roam sent a RADIUS Access-Request');
      await assertUnicast(w, st, target.ifname, target.linkLocal, note);
    },
  },
  {
    // sta2 is dropped by the kernel and reconnects by itself.
    name: 'kernel-drop',
    title: 'A station the kernel drops becomes a disassociation event; its next data frame gets Deauthentication reason 7 and it joins again',
    async run(w, note) {
      const ap = w.psk[0];
      const [st] = stationsByName(w, 2);
      const s = st.supplicant!;
      const from = s.lines().length;
      const agentFrom = w.agent.log().length;
      const authorized = async (): Promise<number> => (await w.auth.metrics()).get('airlock_stations{state="authorized"}') ?? 0;
      const before = await authorized();
      const r = await sh('iw', ['dev', ap.ifname, 'station', 'del', formatMac(st.mac)]);
      assert.equal(r.code, 0, r.out);
      // The authenticator hears a disassociation: one authorized station fewer (until it joins again).
      const dropped = await until(async () => (await authorized()) < before, 20_000, 50);
      note('authorized', { before, after: await authorized() });
      assert.ok(dropped, 'the authenticator did not hear that the station left');
      assert.ok(w.agent.log().slice(agentFrom).includes('the kernel removed a station'), 'the agent did not report the removal');
      // The station does not know: its next frame is a class 3 frame from a non-associated station.
      await ping6(st.ns, ap.linkLocal, st.ifname, 1, 5);
      const d = await s.waitForLine('CTRL-EVENT-DISCONNECTED', 30_000, from);
      note('station', s.lines()[d]);
      assert.match(s.lines()[d], /reason=7\b/);
      await waitConnected(s, JOIN_MS, d + 1);
      await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
    },
  },
  {
    // Leaves sta1 (hash-to-element) and sta2 (hunting-and-pecking) connected to the SAE BSS.
    name: 'sae',
    title: 'WPA3-Personal: SAE with hash-to-element (sae_pwe=1) and with hunting-and-pecking (sae_pwe=0), PMF required: both stations connect through the agent and pass unicast and group traffic',
    async run(w, note) {
      const ap = w.sae;
      const [h2e, hnp] = stationsByName(w, 1, 2);
      const before = await w.auth.metrics();
      for (const [st, pwe] of [[h2e, 1], [hnp, 0]] as const) {
        const bssid = await join(w, st, saeNetwork({ bssid: formatMac(ap.bssid), beacon_prot: 1 }), { sae_pwe: pwe });
        assert.equal(bssid, formatMac(ap.bssid));
        const status = await wpaStatus(st);
        note(`${st.name} (sae_pwe=${pwe})`, { key_mgmt: status.key_mgmt, pmf: status.pmf, sae_group: status.sae_group, sae_h2e: status.sae_h2e, mgmt_group_cipher: status.mgmt_group_cipher });
        assert.equal(status.key_mgmt, 'SAE');
        assert.equal(status.sae_group, '19');
        assert.equal(status.sae_h2e, pwe === 1 ? '1' : '0', `sae_pwe=${pwe} chose ${status.sae_h2e === '1' ? 'hash-to-element' : 'hunting-and-pecking'}`);
        assert.equal(status.pmf, '2');
        assert.equal(status.mgmt_group_cipher, 'BIP');
        const s = st.supplicant!;
        // SAE went through the agent to the authenticator and back: the AP's Confirm accepted.
        const confirm = s.indexOf(/SME: Authentication response: peer=\S+ auth_type=3 auth_transaction=2 status_code=0/);
        assert.ok(confirm >= 0, `${st.name}: no accepted SAE Confirm from the AP`);
        // msg 3/4 carried the IGTK (PMF) and the BIGTK (beacon protection).
        assert.ok(lastKeyId(st, 'IGTK') !== undefined, `${st.name}: no IGTK in msg 3/4`);
        assert.ok(lastKeyId(st, 'BIGTK') !== undefined, `${st.name}: no BIGTK in msg 3/4`);
      }
      for (const st of [h2e, hnp]) await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      await assertBroadcast(ap.ifname, [h2e, hnp], note);
      for (const st of [h2e, hnp]) assert.equal(st.supplicant!.indexOf('CTRL-EVENT-UNPROT-BEACON'), -1, `${st.name}: a Beacon failed its BIGTK check`);
      const after = await w.auth.metrics();
      const accepted = counter(after, 'airlock_sae_authentications_total{result="accepted"}') - counter(before, 'airlock_sae_authentications_total{result="accepted"}');
      const joins = counter(after, 'airlock_join_duration_seconds_count{akm="sae"}') - counter(before, 'airlock_join_duration_seconds_count{akm="sae"}');
      note('authenticator', { saeAccepted: accepted, saeJoins: joins });
      assert.equal(accepted, 2, 'two SAE exchanges accepted by the authenticator');
      assert.equal(joins, 2, 'two AKM 8 (SAE) joins');
    },
  },
  {
    // Leaves sta3 (WPA2-PSK) and sta4 (SAE) connected to the transition-mode BSS.
    name: 'sae-transition',
    title: 'WPA2/WPA3 transition mode (akm=psk+sae): a WPA2-PSK station and an SAE station join the same BSS and pass unicast and group traffic',
    async run(w, note) {
      const ap = w.mix;
      const [wpa2, wpa3] = stationsByName(w, 3, 4);
      await join(w, wpa2, { ssid: MIX_SSID, key_mgmt: 'WPA-PSK', psk: MIX_PASSWORD, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: formatMac(ap.bssid) });
      await join(w, wpa3, { ssid: MIX_SSID, key_mgmt: 'SAE', sae_password: MIX_PASSWORD, ieee80211w: 2, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: formatMac(ap.bssid) });
      for (const [st, keyMgmt, akm] of [[wpa2, 'WPA2-PSK', 'psk'], [wpa3, 'SAE', 'sae']] as const) {
        const status = await wpaStatus(st);
        note(`${st.name} status`, { bssid: status.bssid, key_mgmt: status.key_mgmt, pmf: status.pmf, mgmt_group_cipher: status.mgmt_group_cipher });
        assert.equal(status.bssid, formatMac(ap.bssid));
        assert.equal(status.key_mgmt, keyMgmt);
        const connected = authenticatorLines(w, 'station connected', st).at(-1);
        note(`${st.name} authenticator`, { akm: connected?.['akm'], bssid: connected?.['bssid'] });
        assert.equal(connected?.['akm'], akm, `the authenticator joined ${st.name} with AKM ${String(connected?.['akm'])}`);
        assert.equal(connected?.['bssid'], formatMac(ap.bssid));
      }
      // The SAE station protects management frames on this PMF-capable BSS.
      assert.equal((await wpaStatus(wpa3)).mgmt_group_cipher, 'BIP');
      for (const st of [wpa2, wpa3]) await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      await assertBroadcast(ap.ifname, [wpa2, wpa3], note);
    },
  },
  {
    name: 'sae-wrong-password',
    title: 'SAE with a wrong password: the AP refuses the Confirm (status 15), wpa_supplicant reports the SAE failure, no 4-way handshake starts, and `airlock explain` says "SAE failed (wrong password)"',
    async run(w, note) {
      const ap = w.sae;
      const [st] = stationsByName(w, 5);
      const before = await w.auth.metrics();
      const t0 = Date.now();
      const s = await w.connect(st, saeNetwork({ bssid: formatMac(ap.bssid), sae_password: 'not the airlock wpa3 password' }), { sae_pwe: 1 });
      const rejected = await s.waitForLine(/CTRL-EVENT-AUTH-REJECT \S+ auth_type=3 auth_transaction=2 status_code=15|CTRL-EVENT-SSID-TEMP-DISABLED .*reason=WRONG_KEY/, JOIN_MS);
      note('station', s.lines()[rejected].replace(/^\d+\.\d+: /, ''));
      const counted = await until(async () => counter(await w.auth.metrics(), 'airlock_sae_authentications_total{result="wrong_password"}') > counter(before, 'airlock_sae_authentications_total{result="wrong_password"}'), 20_000);
      await w.disconnect(st);
      const after = await w.auth.metrics();
      const wrong = counter(after, 'airlock_sae_authentications_total{result="wrong_password"}') - counter(before, 'airlock_sae_authentications_total{result="wrong_password"}');
      note('authenticator', { wrongPassword: wrong, handshakesBefore: handshakesCounted(before), handshakesAfter: handshakesCounted(after) });
      assert.ok(counted && wrong >= 1, 'airlock_sae_authentications_total{result="wrong_password"} did not grow');
      // No 4-way handshake: the station never saw msg 1/4, the authenticator counted no handshake.
      assert.equal(s.indexOf(/WPA: RX message 1 of 4-Way Handshake/), -1, 'the station got msg 1/4');
      assert.equal(s.indexOf('CTRL-EVENT-CONNECTED'), -1, 'the station connected');
      assert.equal(handshakesCounted(after), handshakesCounted(before), 'the authenticator counted a handshake');
      const ex = await explainJson(w, st);
      const recent = ex.handshakes.filter((h) => h.startedUnixMs >= t0 - 1000);
      note('explain', recent.slice(0, 3).map((h) => ({ stage: h.stage, detail: h.detail, msg1Sent: h.msg1Sent })));
      assert.ok(recent.length >= 1, 'explain has no record of the attempt');
      assert.ok(recent.every((h) => h.stage === 'sae' && h.msg1Sent === 0), `a handshake started: ${JSON.stringify(recent)}`);
      assert.match(recent[0].detail, /^SAE failed \(wrong password\)/);
      const text = await w.airlock('explain', formatMac(st.mac));
      assert.equal(text.code, 0, text.out);
      assert.match(text.out, /SAE failed \(wrong password\)/);
    },
  },
  {
    // sta1 and sta2 were joined fresh by 'sae' (their kernels hold the BIGTK: see the Beacon
    // check). Ends with both connected to the SAE BSS again (they rejoin after the
    // group-addressed Deauthentication).
    name: 'sae-rekey',
    title: 'Group rekey with PMF: `airlock rekey` gives the SAE BSS a new GTK, IGTK and BIGTK (new key ids at the AP and in the stations\' kernels; Beacons protected with the new BIGTK verify); group traffic flows, a station\'s SA Query is answered, a group-addressed Deauthentication protected with the new IGTK is accepted, and the stations return through the association comeback',
    async run(w, note) {
      const ap = w.sae;
      const stas = stationsByName(w, 1, 2);
      const bssid = formatMac(ap.bssid);
      const nl = await Nl80211Keys.open();
      const inj = await Injector.open(w.spare.injectorPhy, 'mon2', 2412);
      try {
        const apKeys = async (): Promise<Record<number, KernelKey | undefined>> => {
          const out: Record<number, KernelKey | undefined> = {};
          for (const i of [4, 5, 6, 7]) out[i] = await nl.groupKey(ap.ifname, i);
          return out;
        };
        const keysBefore = await apKeys();
        const igtkBefore = stas.map((st) => lastKeyId(st, 'IGTK'));
        const bigtkBefore = stas.map((st) => lastKeyId(st, 'BIGTK'));
        note('before', { apIgtk: [4, 5].filter((i) => keysBefore[i] !== undefined), apBigtk: [6, 7].filter((i) => keysBefore[i] !== undefined), stationIgtk: igtkBefore, stationBigtk: bigtkBefore });
        assert.ok(igtkBefore.every((id) => id !== undefined && keysBefore[id] !== undefined), 'the stations\' IGTK is not installed at the AP');

        const marks = stas.map((st) => st.supplicant!.lines().length);
        const r = await w.airlock('rekey', bssid);
        note('cli', r.out.trim());
        assert.equal(r.code, 0, r.out);
        for (const [i, st] of stas.entries()) await st.supplicant!.waitForLine('WPA: Group rekeying completed', 60_000, marks[i]);
        const igtkAfter = stas.map((st, i) => lastKeyId(st, 'IGTK', marks[i]));
        const bigtkAfter = stas.map((st, i) => lastKeyId(st, 'BIGTK', marks[i]));
        note('stations after', { igtk: igtkAfter, bigtk: bigtkAfter });
        const newIgtk = igtkAfter[0]!;
        const newBigtk = bigtkAfter[0]!;
        for (const [i, st] of stas.entries()) {
          assert.ok(igtkAfter[i] !== undefined && igtkAfter[i] !== igtkBefore[i], `${st.name}: the group key handshake gave no new IGTK (before ${igtkBefore[i]}, after ${igtkAfter[i]})`);
          assert.equal(igtkAfter[i], newIgtk);
          assert.ok(bigtkAfter[i] !== undefined && bigtkAfter[i] !== bigtkBefore[i], `${st.name}: no new BIGTK`);
          assert.equal(st.supplicant!.indexOf('CTRL-EVENT-DISCONNECTED', marks[i]), -1, `${st.name} was disconnected by the rekey`);
        }

        // At the AP (the keys the agent installed) and in each station's kernel: the new IGTK and
        // BIGTK ids (mac80211 does not report key material: that both ends hold the same keys
        // shows below, in Beacons that verify and in a group-addressed frame the stations accept).
        const keysAfter = await apKeys();
        const igtk = keysAfter[newIgtk];
        const bigtk = keysAfter[newBigtk];
        assert.ok(igtk !== undefined && bigtk !== undefined, `the AP has no IGTK ${newIgtk} / BIGTK ${newBigtk}`);
        assert.equal(igtk.cipher, CIPHER_BIP_CMAC_128);
        assert.equal(bigtk.cipher, CIPHER_BIP_CMAC_128);
        note('ap keys after', keysAfter);
        const stationKernelKeys = await Promise.all(stas.map((st) => stationKeys(st, [newIgtk, newBigtk])));
        for (const [i, st] of stas.entries()) {
          const k = stationKernelKeys[i];
          note(`${st.name} kernel keys`, k);
          assert.equal(k[newIgtk]?.cipher, CIPHER_BIP_CMAC_128, `${st.name}: its kernel has no IGTK ${newIgtk}`);
          assert.equal(k[newBigtk]?.cipher, CIPHER_BIP_CMAC_128, `${st.name}: its kernel has no BIGTK ${newBigtk}`);
        }
        // Beacons now carry the new BIGTK: its sequence counter (the BIPN) advances at the AP, the old one's stands still.
        const oldBigtk = bigtkBefore[0]!;
        const b0 = await apKeys();
        await new Promise((res) => setTimeout(res, 1500));
        const b1 = await apKeys();
        note('beacon BIPN over 1.5 s', { [newBigtk]: [b0[newBigtk]?.seq, b1[newBigtk]?.seq], [oldBigtk]: [b0[oldBigtk]?.seq, b1[oldBigtk]?.seq] });
        assert.ok((b1[newBigtk]?.seq ?? 0) > (b0[newBigtk]?.seq ?? 0), 'Beacons are not protected with the new BIGTK');
        assert.equal(b1[oldBigtk]?.seq, b0[oldBigtk]?.seq, 'Beacons are still protected with the old BIGTK');

        // Group traffic with the new GTK; and every Beacon since the rekey verified, at both
        // stations, first with the old BIGTK, then with the new one (mac80211 reports one that
        // fails as CTRL-EVENT-UNPROT-BEACON). This needs stations that hold the old BIGTK in
        // their kernel: wpa_supplicant 2.10 does not reinstall an in-use BIGTK when it
        // reconnects with PMKSA caching, and then mac80211 checks Beacons still signed with the
        // old BIGTK against the new one (its fallback to the other key index), which fails.
        await assertBroadcast(ap.ifname, stas, note, 'ff02::1 after the rekey');
        for (const [i, st] of stas.entries()) assert.equal(st.supplicant!.indexOf('CTRL-EVENT-UNPROT-BEACON', marks[i]), -1, `${st.name}: a Beacon failed its BIGTK check after the rekey`);

        // SA Query: an unprotected Deauthentication in the AP's name makes sta1 (PMF) drop it
        // and ask the AP with an SA Query Request (protected with the PTK); the agent's MLME
        // answers, and the station stays.
        const [sq] = stas;
        const sqFrom = sq.supplicant!.lines().length;
        const answeredBefore = agentCounters(w)?.bsses[bssid]?.saQueryResponses ?? 0;
        inj.send(mgmtFrame(FC.DEAUTH, sq.mac, ap.bssid, ap.bssid, le16(7)));
        const reply = await sq.supplicant!.waitForLine(/SME: Reply to pending SA Query received/, 20_000, sqFrom);
        note('sa query', sq.supplicant!.lines().slice(sqFrom, reply + 1).filter((l) => /SA Query|Unprotected/.test(l)).map((l) => l.replace(/^\d+\.\d+: /, '')));
        assert.equal(sq.supplicant!.indexOf('CTRL-EVENT-DISCONNECTED', sqFrom), -1, 'the station left on an unprotected Deauthentication');
        await until(() => (agentCounters(w)?.bsses[bssid]?.saQueryResponses ?? 0) > answeredBefore, 5000);
        assert.ok((agentCounters(w)?.bsses[bssid]?.saQueryResponses ?? 0) > answeredBefore, 'the agent counted no SA Query Response');

        // The new IGTK in use: a Deauthentication to the broadcast address sent through the AP's
        // kernel (as hostapd sends one when it stops) leaves with BIP under the AP's transmit
        // IGTK; the stations verify it with the IGTK they got in the rekey and leave.
        const deauthFrom = stas.map((st) => st.supplicant!.lines().length);
        const comebackBefore = agentCounters(w)?.bsses[bssid];
        const seqBefore = await apKeys();
        const sentAt = Date.now();
        await nl.sendFrame(ap.ifname, mgmtFrame(FC.DEAUTH, Buffer.alloc(6, 0xff), ap.bssid, ap.bssid, le16(3)));
        const onAir = await inj.waitFor(Buffer.alloc(6, 0xff), FC.DEAUTH, sentAt, 10_000);
        assert.ok(onAir !== undefined, 'the group-addressed Deauthentication was not seen on the air');
        const body = onAir.frame.subarray(24);
        const mme = body.length >= 2 + 18 && body[2] === MME_ID ? { keyId: body.readUInt16LE(4), ipn: body.readUIntLE(6, 6) } : undefined;
        note('group deauth on the air', { length: onAir.frame.length, mme });
        assert.ok(mme !== undefined, `the group-addressed Deauthentication carries no MME: ${body.toString('hex')}`);
        assert.equal(mme.keyId, newIgtk, 'it was protected with another IGTK than the new one');
        const seqAfter = await apKeys();
        note('IGTK IPN at the AP', { [newIgtk]: [seqBefore[newIgtk]?.seq, seqAfter[newIgtk]?.seq], [igtkBefore[0]!]: [seqBefore[igtkBefore[0]!]?.seq, seqAfter[igtkBefore[0]!]?.seq] });
        assert.ok((seqAfter[newIgtk]?.seq ?? 0) > (seqBefore[newIgtk]?.seq ?? 0), `the AP's IGTK ${newIgtk} did not protect the frame`);
        assert.equal(seqAfter[igtkBefore[0]!]?.seq, seqBefore[igtkBefore[0]!]?.seq, 'the old IGTK is still the transmit key');
        for (const [i, st] of stas.entries()) {
          const d = await st.supplicant!.waitForLine('CTRL-EVENT-DISCONNECTED', 20_000, deauthFrom[i]);
          note(`${st.name} deauthenticated`, st.supplicant!.lines()[d].replace(/^\d+\.\d+: /, ''));
          assert.match(st.supplicant!.lines()[d], new RegExp(`bssid=${bssid} reason=3(?! locally_generated)`));
        }
        // They come back on their own. The AP still has them (a Deauthentication does not remove
        // a station from the AP's kernel), with PMF: the agent answers each new Association
        // Request with status 30 and a comeback time, and its SA Query to the old association
        // goes unanswered (the station dropped its keys); the old association ends and the next
        // request is accepted.
        for (const [i, st] of stas.entries()) await waitConnected(st.supplicant!, JOIN_MS, deauthFrom[i]);
        const timeouts = (c: BssCounters | undefined): number => c?.saQueryTimeouts ?? 0;
        const refused30 = (c: BssCounters | undefined): number => c?.refusedByStatus['30'] ?? 0;
        await until(() => timeouts(agentCounters(w)?.bsses[bssid]) >= timeouts(comebackBefore) + stas.length, 10_000);
        const c = agentCounters(w)?.bsses[bssid];
        note('association comeback at the agent', { status30: [refused30(comebackBefore), refused30(c)], saQueryTimeouts: [timeouts(comebackBefore), timeouts(c)], saQueriesStarted: c?.saQueriesStarted });
        assert.ok(refused30(c) >= refused30(comebackBefore) + stas.length, 'the agent did not answer the returning stations with status 30 (association comeback)');
        assert.ok(timeouts(c) >= timeouts(comebackBefore) + stas.length, "the agent's SA Queries to the old associations did not time out");
        for (const st of stas) await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
      } finally {
        nl.close();
        inj.close();
      }
    },
  },
  {
    // sta1 ends connected to the SAE BSS again.
    name: 'sae-pmksa',
    title: 'SAE PMKSA caching: a station that reconnects names its PMKID and skips SAE (Open System, no SAE frame reaches the authenticator), and traffic flows',
    async run(w, note) {
      const ap = w.sae;
      const [st] = stationsByName(w, 1);
      const s = st.supplicant!;
      const bssid = formatMac(ap.bssid);
      const relayed = (): number | undefined => agentCounters(w)?.bsses[bssid]?.saeRelayed;
      const before = await w.auth.metrics();
      const relayedBefore = relayed();
      const mark = s.lines().length;
      assert.equal(await s.command('disconnect'), 'OK');
      await s.waitForLine('CTRL-EVENT-DISCONNECTED', 30_000, mark);
      assert.equal(await s.command('reconnect'), 'OK');
      await waitConnected(s, JOIN_MS, mark);
      const lines = s.lines().slice(mark);
      note('station', lines.filter((l) => /PMKSA caching|auth_type=|CTRL-EVENT-CONNECTED/.test(l)).map((l) => l.replace(/^\d+\.\d+: /, '')).slice(0, 8));
      assert.ok(lines.some((l) => l.includes('try to use PMKSA caching instead of new SAE authentication')), 'wpa_supplicant did not try its SAE PMKSA');
      assert.ok(lines.some((l) => l.includes('PMKSA caching was used')), 'wpa_supplicant did not use PMKSA caching');
      assert.ok(lines.some((l) => /SME: Authentication response: peer=\S+ auth_type=0 auth_transaction=2 status_code=0/.test(l)), 'no Open System Authentication');
      assert.ok(!lines.some((l) => /auth_type=3/.test(l)), 'SAE ran again');
      // The authenticator: no SAE exchange, a handshake from the cached PMKSA.
      await until(() => w.agent.log().split('\n').some((l) => l.includes('"port authorized"') && l.includes(formatMac(st.mac))), 10_000);
      await new Promise((r) => setTimeout(r, 2500)); // the agent's next counters line (every second)
      const after = await w.auth.metrics();
      const sae = (m: Map<string, number>): number => [...m].filter(([k]) => k.startsWith('airlock_sae_authentications_total{')).reduce((a, [, v]) => a + v, 0);
      note('authenticator', { saeExchanges: sae(after) - sae(before), agentSaeRelayed: { before: relayedBefore, after: relayed() } });
      assert.equal(sae(after), sae(before), 'an SAE exchange ran at the authenticator');
      assert.ok(relayedBefore !== undefined, 'the agent logged no counters for the SAE BSS');
      assert.equal(relayed(), relayedBefore, 'the agent relayed SAE Authentication frames');
      const ex = await explainJson(w, st);
      note('explain', { akm: ex.station?.akm, latest: { result: ex.handshakes[0]?.result, pmksaCached: ex.handshakes[0]?.eap?.pmksaCached } });
      assert.equal(ex.station?.state, 'authorized');
      assert.equal(ex.handshakes[0]?.result, 'success');
      assert.equal(ex.handshakes[0]?.eap?.pmksaCached, true, 'explain does not show the PMKSA cache hit');
      const connected = authenticatorLines(w, 'station connected', st).at(-1);
      assert.equal(connected?.['pmksaCached'], true);
      await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
    },
  },
  {
    // Last: its Authentication flood is the heaviest load the agent meets in the suite.
    name: 'hostile-frames',
    title: 'Hostile frames: truncated elements, bogus RSNEs, a duplicated association and an Authentication flood get a status code or a counted drop; the agent never crashes and a real station still joins',
    async run(w, note) {
      const ap = w.psk[0];
      const bssid = ap.bssid;
      const inj = await Injector.open(w.spare.injectorPhy, 'mon0', 2412);
      // The acker: a monitor (the radio is not idle) and its managed interface up (hwsim
      // acknowledges frames to its address).
      const acker = await Injector.open(w.spare.ackerPhy, 'mon1', 2412);
      const up = await sh('ip', ['link', 'set', w.spare.ackerIf, 'up']);
      assert.equal(up.code, 0, up.out);
      try {
        let n = 0;
        const fakeMac = (): Buffer => Buffer.from([0x02, 0x66, 0x00, 0x00, 0x00, ++n]);
        /** Authenticates `sta` and sends the association request `elements`; the response's status. */
        const refusal = async (sta: Buffer, elements: Buffer, label: string): Promise<number> => {
          const t0 = Date.now();
          inj.send(authRequest(bssid, sta));
          const auth = await inj.waitFor(sta, FC.AUTH, t0, 15_000);
          assert.ok(auth !== undefined, `${label}: no Authentication response (captured ${inj.captured.length} frames, subtypes ${[...new Set(inj.captured.map((f) => f.frame[0].toString(16)))].join(' ')})`);
          assert.equal(auth.frame.readUInt16LE(24 + 4), 0, `${label}: authentication refused`);
          const t1 = Date.now();
          inj.send(assocRequest(bssid, sta, elements));
          const resp = await inj.waitFor(sta, FC.ASSOC_RESP, t1, 15_000);
          assert.ok(resp !== undefined, `${label}: no Association Response`);
          const { status } = assocStatus(resp.frame);
          note(label, status);
          return status;
        };
        const valid = (r: Buffer): Buffer => Buffer.concat([SSID_EL, RATES_EL, r, EXT_RATES_EL]);
        assert.equal(await refusal(fakeMac(), Buffer.concat([SSID_EL, Buffer.from([1, 8, 0x82, 0x84, 0x8b])]), 'truncated element'), 1);
        assert.equal(await refusal(fakeMac(), Buffer.concat([SSID_EL, RATES_EL, EXT_RATES_EL]), 'no RSNE'), 40);
        assert.equal(await refusal(fakeMac(), valid(rsne({ version: 2 })), 'RSNE version 2'), 44);
        assert.equal(await refusal(fakeMac(), valid(rsne({ group: 2 })), 'RSNE group TKIP'), 41);
        assert.equal(await refusal(fakeMac(), valid(rsne({ pairwise: [2] })), 'RSNE pairwise TKIP'), 42);
        assert.equal(await refusal(fakeMac(), valid(rsne({ akm: [1] })), 'RSNE AKM 802.1X on a PSK BSS'), 43);
        assert.equal(await refusal(fakeMac(), valid(rsne({ pairwiseCount: 9 })), 'RSNE count past its end'), 40);
        assert.equal(await refusal(fakeMac(), Buffer.concat([SSID_EL, RATES_EL, rsne({}), rsne({}), EXT_RATES_EL]), 'two RSNEs'), 40);
        assert.equal(await refusal(fakeMac(), Buffer.concat([el(0, Buffer.from('another-ssid')), RATES_EL, rsne({}), EXT_RATES_EL]), 'wrong SSID'), 1);

        // A duplicated association from a station that acknowledges (the acker's address):
        // two answers with one AID, one event upstream.
        const dup = w.spare.ackerMac;
        const t0 = Date.now();
        inj.send(authRequest(bssid, dup));
        assert.ok((await inj.waitFor(dup, FC.AUTH, t0, 15_000)) !== undefined, 'duplicate: no Authentication response');
        const req = valid(rsne({}));
        const t1 = Date.now();
        inj.send(assocRequest(bssid, dup, req));
        await inj.waitFor(dup, FC.ASSOC_RESP, t1, 15_000);
        inj.send(assocRequest(bssid, dup, req));
        await until(() => inj.framesTo(dup, FC.ASSOC_RESP, t1).length >= 2, 15_000, 50);
        const answers = inj.framesTo(dup, FC.ASSOC_RESP, t1).map((f) => assocStatus(f.frame));
        note('duplicate answers', answers);
        assert.ok(answers.length >= 2, 'the duplicate was not answered');
        assert.ok(answers.every((a) => a.status === 0 && a.aid === answers[0].aid), 'both answers accept with the same AID');
        await new Promise((r) => setTimeout(r, 2000));
        const associatedLines = w.agent.log().split('\n').filter((l) => l.includes('"station associated"') && l.includes(formatMac(dup))).length;
        note('associated events', associatedLines);
        assert.equal(associatedLines, 1, 'the duplicate was reported to the authenticator');

        // An Authentication frame whose body is cut short (mac80211 passes it up: the header
        // is whole), and an Authentication flood from spoofed MACs.
        inj.send(mgmtFrame(FC.AUTH, bssid, fakeMac(), bssid, Buffer.from([0x00, 0x00])));
        const flood = 3000;
        for (let i = 0; i < flood; i++) {
          inj.send(authRequest(bssid, Buffer.from([0x02, 0x77, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x01])));
          if (i % 200 === 199) await new Promise((r) => setImmediate(r));
        }
        // A real station joins right after the flood.
        const [st] = stationsByName(w, 4);
        const bssidJoined = await join(w, st, pskNetwork({ bssid: formatMac(bssid) }));
        assert.equal(bssidJoined, formatMac(bssid));
        await assertUnicast(w, st, ap.ifname, ap.linkLocal, note);
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(w.agent.child.exitCode, null, 'the agent exited');
        const c = agentCounters(w);
        assert.ok(c !== undefined, 'the agent logged no counters');
        const b = c.bsses[formatMac(bssid)];
        note('agent counters', b);
        assert.ok((b.dropped['malformed'] ?? 0) >= 1, 'the cut-short frame was not counted');
        assert.ok((b.dropped['auth-evicted'] ?? 0) + (b.dropped['response-budget'] ?? 0) > 0, 'the flood left no counted drop');
        for (const code of ['1', '40', '41', '42', '43', '44']) assert.ok((b.refusedByStatus[code] ?? 0) >= 1, `status ${code} not counted`);
        // The flood may overflow the agent's netlink receive queue: the kernel then drops
        // notifications and says so (counted, the agent goes on). An exception in the agent's
        // netlink callbacks is a bug (caught and counted, never the end of the process).
        note('netlink', { overruns: c.driver.netlinkOverruns, callbackErrors: c.driver.netlinkCallbackErrors });
        assert.equal(c.driver.netlinkCallbackErrors, 0, 'exceptions were caught in the agent\'s netlink callbacks (see "exception in a netlink socket callback" in its log)');
        await w.disconnect(st);
      } finally {
        inj.close();
        acker.close();
      }
    },
  },
];
