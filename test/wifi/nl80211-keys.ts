/**
 * What the kernels hold, for the Wi-Fi scenarios' evidence: the group keys mac80211 has on an
 * interface (NL80211_CMD_GET_KEY: which key ids exist, their cipher and sequence counter;
 * mac80211 does not report key material), and a Deauthentication sent through an AP
 * interface's own kernel (NL80211_CMD_FRAME), which mac80211 protects as it protects
 * hostapd's: a group-addressed robust management frame gets BIP with the interface's default
 * management key (the IGTK the agent made the transmit key).
 *
 * Runs in the test's process (the AP's interfaces) or, for a station, as a command inside its
 * network namespace (nl80211 sees only the namespace's own wiphys):
 *
 *   ip netns exec NS node test/dist/wifi/nl80211-keys.js keys IFNAME IDX...   (one JSON line)
 *
 * It borrows the nl80211 agent's own netlink socket and codec (services/edge-agent's dist), so
 * it speaks exactly the nl80211 the agent speaks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as NetlinkCodec from '../../services/edge-agent/src/drivers/nl80211/netlink.js';
import type * as NetlinkSocketModule from '../../services/edge-agent/src/drivers/nl80211/netlink-socket.js';
import { REPO_ROOT } from '../support/authenticator-process.js';

/** nl80211 numbers used here and not by the agent (linux/nl80211.h). */
const NL80211 = { CMD_GET_KEY: 9, CMD_FRAME: 59, ATTR_IFINDEX: 3, ATTR_KEY_IDX: 8, ATTR_KEY_CIPHER: 9, ATTR_KEY_SEQ: 10, ATTR_FRAME: 51, ATTR_DONT_WAIT_FOR_ACK: 142 } as const;

/** One key as mac80211 reports it. */
export interface KernelKey {
  /** Cipher suite selector, e.g. 0x000fac06 (BIP-CMAC-128). */
  cipher: number;
  /** The key's sequence counter (PN / IPN) as a number: for an AP's BIP key, frames it protected. */
  seq: number;
}

const agentDist = (f: string): string => pathToFileURL(join(REPO_ROOT, 'services/edge-agent/dist/drivers/nl80211', f)).href;

/** An nl80211 socket of this namespace. */
export class Nl80211Keys {
  private constructor(
    private readonly sock: NetlinkSocketModule.NetlinkSocket,
    private readonly family: number,
    private readonly codec: typeof NetlinkCodec,
  ) {}

  /** Opens a socket and resolves the nl80211 family. */
  static async open(): Promise<Nl80211Keys> {
    const { NetlinkSocket, NETLINK_PROTOCOL } = (await import(agentDist('netlink-socket.js'))) as typeof NetlinkSocketModule;
    const codec = (await import(agentDist('netlink.js'))) as typeof NetlinkCodec;
    const sock = NetlinkSocket.open(NETLINK_PROTOCOL.GENERIC, () => undefined, () => undefined);
    try {
      const fam = await sock.family('nl80211');
      return new Nl80211Keys(sock, fam.id, codec);
    } catch (err) {
      sock.close();
      throw err;
    }
  }

  /** The group key `idx` of interface `ifname` (1-3 GTK, 4-5 IGTK, 6-7 BIGTK), or undefined when there is none. */
  async groupKey(ifname: string, idx: number): Promise<KernelKey | undefined> {
    const { attr } = this.codec;
    try {
      const [r] = await this.sock.genl(this.family, NL80211.CMD_GET_KEY, [attr.u32(NL80211.ATTR_IFINDEX, ifindex(ifname)), attr.u8(NL80211.ATTR_KEY_IDX, idx)], { what: `read key ${idx} of ${ifname}` });
      const seq = r?.attrs.bytes(NL80211.ATTR_KEY_SEQ) ?? Buffer.alloc(0);
      let n = 0;
      for (let i = seq.length - 1; i >= 0; i--) n = n * 256 + seq[i];
      return { cipher: r?.attrs.u32(NL80211.ATTR_KEY_CIPHER) ?? 0, seq: n };
    } catch (err) {
      // ENOENT: no such key.
      if ((err as { errno?: number }).errno === 2) return undefined;
      throw err;
    }
  }

  /** Sends an 802.11 management frame through interface `ifname`'s kernel (as hostapd sends its own). */
  async sendFrame(ifname: string, frame: Buffer): Promise<void> {
    const { attr } = this.codec;
    await this.sock.genl(this.family, NL80211.CMD_FRAME, [attr.u32(NL80211.ATTR_IFINDEX, ifindex(ifname)), attr.bytes(NL80211.ATTR_FRAME, frame), attr.flag(NL80211.ATTR_DONT_WAIT_FOR_ACK)], { what: `send a frame on ${ifname}` });
  }

  close(): void {
    this.sock.close();
  }
}

function ifindex(ifname: string): number {
  return Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8').trim());
}

/** `keys IFNAME IDX...`: one JSON line, key index -> KernelKey or null. */
async function main(args: string[]): Promise<number> {
  const [what, ifname, ...idx] = args;
  if (what !== 'keys' || ifname === undefined || idx.length === 0) {
    console.error('usage: nl80211-keys.js keys IFNAME IDX...');
    return 2;
  }
  const nl = await Nl80211Keys.open();
  try {
    const out: Record<string, KernelKey | null> = {};
    for (const i of idx) out[i] = (await nl.groupKey(ifname, Number(i))) ?? null;
    console.log(JSON.stringify(out));
    return 0;
  } finally {
    nl.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
