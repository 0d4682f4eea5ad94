/**
 * The nl80211 agent's --radio syntax, one BSS per value:
 *
 *   IFACE:ssid=NAME[,akm=psk|psk-sha256|sae|8021x|8021x-sha256[+...]][,channel=N][,bssid=MAC]
 *         [,cipher=ccmp|gcmp|ccmp-256|gcmp-256][,max_sta=N][,beacon_int=TU][,dtim=N]
 *         [,max_inactivity=S][,ieee80211w=0|1|2][,sae_pwe=0|1|2][,beacon_prot=0|1]
 *
 * WPA3 (IEEE 802.11-2020 §12.4 SAE, §11.13 management frame protection), with hostapd's
 * meanings and defaults: `akm=sae` is WPA3-Personal, `akm=psk+sae` transition mode (AKMs 2
 * and 8 on one BSS); `ieee80211w` 0 = no PMF, 1 = PMF capable (MFPC), 2 = PMF required
 * (MFPC and MFPR), by default 2 with SAE alone, 1 in transition mode, 0 otherwise (SAE
 * without PMF is refused); `sae_pwe` 0 = hunting-and-pecking only, 1 = hash-to-element
 * only, 2 = both (1 and 2 announce H2E in the RSNXE), by default 2 (DESIGN.md: H2E
 * required, hunting-and-pecking kept for old stations; hostapd's default is 0);
 * `beacon_prot=1` protects Beacons with a BIGTK (needs PMF and a driver with beacon
 * protection).
 *
 * The first value naming an interface makes that interface the BSS (its MAC is the BSSID);
 * each further value on the same interface adds a BSS on the same radio (a new AP
 * interface IFACE-1, IFACE-2, ... on its phy, with `bssid` or a derived locally
 * administered address). Every BSS of one radio uses the first one's channel.
 */
import { AKM, CIPHER, encodeRsne, parseMac } from '@airlock/rsn';
import { EXT_CAPAB_BIT, extendedCapabilitiesElement, RSNX_CAPAB_BIT, rsnxeElement } from './ieee80211.js';

/** AKM 00-0F-AC:8, SAE with SHA-256 (§9.4.2.24.3 Table 9-151). */
export const AKM_SAE = 0x000fac08;

/** RSN Capabilities bits of management frame protection (§9.4.2.24.4). */
export const RSN_CAPAB = { MFPR: 0x0040, MFPC: 0x0080 } as const;

/** One BSS the agent serves with nl80211. */
export interface RadioBssSpec {
  /** The interface named on the command line (the radio). */
  interfaceName: string;
  ssid: string;
  akms: number[];
  cipher: number;
  channel: number;
  bssid?: Buffer;
  /** Associated stations at most (status 17 beyond). */
  maxStations?: number;
  beaconIntervalTu: number;
  dtimPeriod: number;
  /** Seconds of inactivity after which a station is polled and, if silent, deauthenticated (0 = never). */
  maxInactivityS: number;
  /** Management frame protection: 0 none, 1 capable (MFPC), 2 required (MFPC and MFPR). */
  ieee80211w: 0 | 1 | 2;
  /** SAE's password element derivation: 0 hunting-and-pecking, 1 hash-to-element, 2 both. */
  saePwe: 0 | 1 | 2;
  /** Beacons protected with a BIGTK (key IDs 6 and 7). */
  beaconProtection: boolean;
}

const AKMS: Record<string, number> = { psk: AKM.PSK, 'psk-sha256': AKM.PSK_SHA256, sae: AKM_SAE, '8021x': AKM.IEEE8021X, '8021x-sha256': AKM.IEEE8021X_SHA256 };
const CIPHERS: Record<string, number> = { ccmp: CIPHER.CCMP_128, gcmp: CIPHER.GCMP_128, 'ccmp-256': CIPHER.CCMP_256, 'gcmp-256': CIPHER.GCMP_256 };

function int(key: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`${key}: expected an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses one --radio value; throws Error with what is wrong. */
export function parseRadioSpec(text: string): RadioBssSpec {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new Error(`expected IFACE:ssid=...[,key=value...], got ${JSON.stringify(text)}`);
  const interfaceName = text.slice(0, colon);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(interfaceName)) throw new Error(`not an interface name: ${JSON.stringify(interfaceName)}`);
  const spec: RadioBssSpec = { interfaceName, ssid: '', akms: [AKM.PSK], cipher: CIPHER.CCMP_128, channel: 1, beaconIntervalTu: 100, dtimPeriod: 2, maxInactivityS: 300, ieee80211w: 0, saePwe: 2, beaconProtection: false };
  let ieee80211w: 0 | 1 | 2 | undefined;
  let saePwe: 0 | 1 | 2 | undefined;
  for (const kv of text.slice(colon + 1).split(',')) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    const value = eq < 0 ? '' : kv.slice(eq + 1);
    switch (key) {
      case 'ssid':
        spec.ssid = value;
        break;
      case 'akm':
        spec.akms = value.split('+').map((a) => {
          const v = AKMS[a];
          if (v === undefined) throw new Error(`akm: expected one or more of ${Object.keys(AKMS).join(', ')} joined by +, got ${JSON.stringify(value)}`);
          return v;
        });
        break;
      case 'cipher': {
        const c = CIPHERS[value];
        if (c === undefined) throw new Error(`cipher: expected one of ${Object.keys(CIPHERS).join(', ')}, got ${JSON.stringify(value)}`);
        spec.cipher = c;
        break;
      }
      case 'channel':
        spec.channel = int(key, value, 1, 177);
        break;
      case 'bssid': {
        const mac = parseMac(value);
        if (mac === undefined || (mac[0] & 1) !== 0) throw new Error(`bssid: not a unicast MAC address: ${JSON.stringify(value)}`);
        spec.bssid = mac;
        break;
      }
      case 'max_sta':
        spec.maxStations = int(key, value, 1, 2007);
        break;
      case 'beacon_int':
        spec.beaconIntervalTu = int(key, value, 15, 65535);
        break;
      case 'dtim':
        spec.dtimPeriod = int(key, value, 1, 255);
        break;
      case 'max_inactivity':
        spec.maxInactivityS = int(key, value, 0, 86400);
        break;
      case 'ieee80211w':
        ieee80211w = int(key, value, 0, 2) as 0 | 1 | 2;
        break;
      case 'sae_pwe':
        saePwe = int(key, value, 0, 2) as 0 | 1 | 2;
        break;
      case 'beacon_prot':
        spec.beaconProtection = int(key, value, 0, 1) === 1;
        break;
      default:
        throw new Error(`unknown radio option ${JSON.stringify(key)} (ssid, akm, cipher, channel, bssid, max_sta, beacon_int, dtim, max_inactivity, ieee80211w, sae_pwe, beacon_prot)`);
    }
  }
  const ssidLength = Buffer.byteLength(spec.ssid);
  if (ssidLength < 1 || ssidLength > 32) throw new Error(`radio ${interfaceName}: ssid is required (1..32 octets)`);
  const sae = spec.akms.includes(AKM_SAE);
  // hostapd's defaults: WPA3-Personal requires PMF, transition mode offers it.
  spec.ieee80211w = ieee80211w ?? (sae ? (spec.akms.every((a) => a === AKM_SAE) ? 2 : 1) : 0);
  if (sae && spec.ieee80211w === 0) throw new Error(`radio ${interfaceName}: akm=sae needs management frame protection (ieee80211w=1 or 2)`);
  if (saePwe !== undefined && !sae) throw new Error(`radio ${interfaceName}: sae_pwe applies to SAE only (akm=sae or akm=psk+sae)`);
  spec.saePwe = saePwe ?? 2;
  if (spec.beaconProtection && spec.ieee80211w === 0) throw new Error(`radio ${interfaceName}: beacon_prot=1 needs management frame protection (ieee80211w=1 or 2)`);
  return spec;
}

/**
 * The RSNE a BSS announces: RSN v1, its cipher as group and pairwise, its AKMs, and RSN
 * Capabilities 0; with PMF, MFPC (and MFPR when required), then PMKID Count 0 and the Group
 * Management Cipher Suite BIP-CMAC-128 (written out although it is the default, so the
 * element says what the BSS uses).
 */
export function radioRsne(spec: RadioBssSpec): Buffer {
  const base = { version: 1, groupCipher: spec.cipher, pairwiseCiphers: [spec.cipher], akms: spec.akms };
  if (spec.ieee80211w === 0) return encodeRsne({ ...base, capabilities: 0 });
  const capabilities = RSN_CAPAB.MFPC | (spec.ieee80211w === 2 ? RSN_CAPAB.MFPR : 0);
  return encodeRsne({ ...base, capabilities, pmkids: [], groupMgmtCipher: CIPHER.BIP_CMAC_128 });
}

/** The RSNXE a BSS announces: SAE hash-to-element when it offers SAE with sae_pwe 1 or 2; empty otherwise. */
export function radioRsnxe(spec: RadioBssSpec): Buffer {
  const h2e = spec.akms.includes(AKM_SAE) && spec.saePwe !== 0;
  return rsnxeElement(h2e ? [RSNX_CAPAB_BIT.SAE_HASH_TO_ELEMENT] : []);
}

/** The Extended Capabilities element a BSS announces: bit 84 with beacon protection; empty otherwise. */
export function radioExtendedCapabilities(spec: RadioBssSpec): Buffer {
  return spec.beaconProtection ? extendedCapabilitiesElement([EXT_CAPAB_BIT.BEACON_PROTECTION]) : Buffer.alloc(0);
}

/**
 * The BSSID of the n-th extra BSS on a radio whose own address is `base`: locally
 * administered, differing from `base` in the last octet.
 */
export function derivedBssid(base: Buffer, n: number): Buffer {
  const mac = Buffer.from(base);
  mac[0] = (mac[0] | 0x02) & 0xfe;
  mac[5] = (mac[5] + n) & 0xff;
  return mac;
}
