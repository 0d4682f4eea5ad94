/** The MAC address of a Linux network interface, for the drivers that serve one (wired, nl80211). */
import { readFileSync } from 'node:fs';
import { parseMac } from '@airlock/rsn';

/** The MAC address of a Linux interface (/sys/class/net/IF/address); throws when there is none. */
export function interfaceMac(interfaceName: string): Buffer {
  if (!/^[^\s/]{1,15}$/.test(interfaceName) || interfaceName === '.' || interfaceName === '..') {
    throw new Error(`invalid interface name ${JSON.stringify(interfaceName)}`);
  }
  let text: string;
  try {
    text = readFileSync(`/sys/class/net/${interfaceName}/address`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `no network interface ${JSON.stringify(interfaceName)} here` : `cannot read the MAC address of ${interfaceName}: ${String(err)}`);
  }
  const mac = parseMac(text);
  if (mac === undefined) throw new Error(`interface ${interfaceName} has no Ethernet MAC address (${JSON.stringify(text.trim())})`);
  return mac;
}
