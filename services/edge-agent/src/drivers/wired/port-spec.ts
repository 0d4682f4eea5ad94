/**
 * The wired agent's --port syntax: `IFACE:ssid=NAME[,akm=...][,bssid=MAC][,destination=...][,static=MAC+MAC]`.
 */
import { AKM, parseMac } from '@airlock/rsn';
import type { WiredDestination, WiredPortSpec } from './wired-driver.js';

/** AKM names, as in the authenticator's configuration. */
const AKMS: Record<string, number> = { psk: AKM.PSK, 'psk-sha256': AKM.PSK_SHA256, '8021x': AKM.IEEE8021X, '8021x-sha256': AKM.IEEE8021X_SHA256 };

/** Parses one --port value; throws Error with what is wrong. */
export function parsePortSpec(text: string): WiredPortSpec {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new Error(`expected IFACE:ssid=...[,key=value...], got ${JSON.stringify(text)}`);
  const spec: Partial<WiredPortSpec> & { interfaceName: string } = { interfaceName: text.slice(0, colon) };
  for (const kv of text.slice(colon + 1).split(',')) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    const value = eq < 0 ? '' : kv.slice(eq + 1);
    switch (key) {
      case 'ssid':
        spec.ssid = value;
        break;
      case 'akm': {
        if (value === 'none') {
          // IEEE 802.1X without key management (hostapd ieee8021x=1, wpa=0): no RSNE.
          spec.rsne = Buffer.alloc(0);
          break;
        }
        const akm = AKMS[value];
        if (akm === undefined) throw new Error(`akm: expected one of ${Object.keys(AKMS).join(', ')}, none, got ${JSON.stringify(value)}`);
        spec.akm = akm;
        break;
      }
      case 'bssid': {
        const mac = parseMac(value);
        if (mac === undefined) throw new Error(`bssid: not a MAC address: ${JSON.stringify(value)}`);
        spec.bssid = mac;
        break;
      }
      case 'destination':
        if (value !== 'station' && value !== 'pae-group') throw new Error(`destination: expected station or pae-group, got ${JSON.stringify(value)}`);
        spec.destination = value satisfies WiredDestination;
        break;
      case 'static':
        spec.staticStations = value.split('+').map((m) => {
          const mac = parseMac(m);
          if (mac === undefined) throw new Error(`static: not a MAC address: ${JSON.stringify(m)}`);
          return mac;
        });
        break;
      default:
        throw new Error(`unknown port option ${JSON.stringify(key)} (ssid, akm, bssid, destination, static)`);
    }
  }
  if (spec.ssid === undefined || spec.ssid === '') throw new Error(`port ${spec.interfaceName}: ssid is required`);
  return { ...spec, ssid: spec.ssid };
}

