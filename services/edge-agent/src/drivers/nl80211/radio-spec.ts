/**
 * The nl80211 agent's --radio syntax, one BSS per value:
 *
 *   IFACE:ssid=NAME[,akm=psk|psk-sha256|8021x|8021x-sha256[+...]][,channel=N][,bssid=MAC]
 *         [,cipher=ccmp|gcmp|ccmp-256|gcmp-256][,max_sta=N][,beacon_int=TU][,dtim=N]
 *         [,max_inactivity=S]
 *
 * The first value naming an interface makes that interface the BSS (its MAC is the BSSID);
 * each further value on the same interface adds a BSS on the same radio (a new AP
 * interface IFACE-1, IFACE-2, ... on its phy, with `bssid` or a derived locally
 * administered address). Every BSS of one radio uses the first one's channel.
 */
import { AKM, CIPHER, encodeRsne, parseMac } from '@airlock/rsn';

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
}

const AKMS: Record<string, number> = { psk: AKM.PSK, 'psk-sha256': AKM.PSK_SHA256, '8021x': AKM.IEEE8021X, '8021x-sha256': AKM.IEEE8021X_SHA256 };
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
  const spec: RadioBssSpec = { interfaceName, ssid: '', akms: [AKM.PSK], cipher: CIPHER.CCMP_128, channel: 1, beaconIntervalTu: 100, dtimPeriod: 2, maxInactivityS: 300 };
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
      default:
        throw new Error(`unknown radio option ${JSON.stringify(key)} (ssid, akm, cipher, channel, bssid, max_sta, beacon_int, dtim, max_inactivity)`);
    }
  }
  const ssidLength = Buffer.byteLength(spec.ssid);
  if (ssidLength < 1 || ssidLength > 32) throw new Error(`radio ${interfaceName}: ssid is required (1..32 octets)`);
  return spec;
}

/** The RSNE a BSS announces: RSN v1, its cipher as group and pairwise, its AKMs, no capabilities. */
export function radioRsne(spec: RadioBssSpec): Buffer {
  return encodeRsne({ version: 1, groupCipher: spec.cipher, pairwiseCiphers: [spec.cipher], akms: spec.akms, capabilities: 0 });
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
