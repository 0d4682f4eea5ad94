/**
 * A raw Ethernet link for the wired driver: EAPOL frames (EtherType 0x888E) sent and
 * received on a Linux interface through libpcap, by way of the optional `cap` package.
 *
 * `cap` is an optional dependency built with node-gyp against Debian's libpcap-dev; where
 * it could not build, `npm install` still succeeds and this module fails only when a link
 * is opened, with {@link WiredDriverUnavailableError} naming the package to install.
 * libpcap-dev is also what lets cap put the capture in immediate mode (it dlopen()s the
 * unversioned libpcap.so, which only -dev ships); without it, frames can wait for the
 * 1000 ms capture timeout.
 *
 * Known limit of cap 0.2.1: when an open interface disappears (veth deleted, NIC
 * unplugged), its poll callback fails `assert(status == 0)` and the process aborts. Close
 * the link (stop the driver) before removing the interface.
 */
import { formatMac } from '@airlock/rsn';

/** What an operator must do when the wired driver cannot use libpcap. */
export const LIBPCAP_REMEDY = 'install the Debian package libpcap-dev (`apt-get install -y libpcap-dev`), then run `npm install` again so the optional dependency `cap` (libpcap bindings) builds';

/** The wired driver cannot run here: `cap` or libpcap is missing. */
export class WiredDriverUnavailableError extends Error {
  override readonly name = 'WiredDriverUnavailableError';
}

/** A raw Ethernet link on one interface. */
export interface EthernetLink {
  /** Sends one whole frame (header included); throws when the interface refuses it. */
  send(frame: Buffer): void;
  /** Stops receiving and releases the interface; idempotent. */
  close(): void;
}

/** What a link is opened with. */
export interface EthernetLinkOptions {
  /** Linux interface name. */
  interfaceName: string;
  /** The interface's MAC: frames from it (our own transmissions, seen by the capture) are not delivered. */
  ownMac: Buffer;
  /** Each received EAPOL frame, from the Ethernet header on; the buffer is the receiver's to keep. */
  onFrame(frame: Buffer): void;
}

/** Opens a link (the driver's seam: tests pass an in-memory one). */
export type EthernetLinkOpener = (o: EthernetLinkOptions) => Promise<EthernetLink>;

/** Kernel capture buffer per interface. */
const PCAP_BUFFER_BYTES = 1 << 20;
/** Largest frame cap copies out (snaplen is 65535). */
const FRAME_BUFFER_BYTES = 65535;

type CapModule = (typeof import('cap'))['default'];
let capModule: Promise<CapModule> | undefined;

/**
 * Closed cap handles, kept alive for the life of the process. cap 0.2.1 on Linux stops its
 * libuv poll handle on close() but never uv_close()s it; the handle lives inside the
 * native object, so when the garbage collector frees a closed Cap the loop's handle queue
 * keeps a dangling entry, and the process later dies of SIGSEGV (seen here after a few
 * open/close cycles). A closed handle holds no descriptor; keeping it costs a few hundred
 * bytes per open().
 */
const retiredHandles: object[] = [];

/** Loads `cap` once; rejects with WiredDriverUnavailableError naming the Debian package. */
function loadCap(): Promise<CapModule> {
  capModule ??= import('cap').then(
    (m) => m.default,
    (err: unknown) => {
      capModule = undefined;
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new WiredDriverUnavailableError(`the wired driver needs libpcap through the optional package \`cap\`, which cannot be loaded (${why}): ${LIBPCAP_REMEDY}`);
    },
  );
  return capModule;
}

/** Why the wired driver cannot run here (cap or libpcap missing), or undefined when it can. */
export async function wiredDriverUnavailable(): Promise<string | undefined> {
  try {
    await loadCap();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Opens `interfaceName` with libpcap: promiscuous, immediate mode, BPF filter on the PAE
 * EtherType excluding frames from our own MAC (libpcap on Linux also captures what we send).
 */
export const openPcapLink: EthernetLinkOpener = async (o) => {
  const cap = await loadCap();
  const handle = new cap.Cap();
  const buffer = Buffer.alloc(FRAME_BUFFER_BYTES);
  const filter = `ether proto 0x888e and not ether src ${formatMac(o.ownMac)}`;
  let linkType: string;
  try {
    linkType = handle.open(o.interfaceName, filter, PCAP_BUFFER_BYTES, buffer);
  } catch (err) {
    retiredHandles.push(handle);
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot open ${o.interfaceName} with libpcap: ${why} (capturing needs root or CAP_NET_RAW and CAP_NET_ADMIN)`);
  }
  if (linkType !== 'ETHERNET') {
    handle.close();
    retiredHandles.push(handle);
    throw new Error(`${o.interfaceName} is not an Ethernet interface (libpcap link type ${linkType})`);
  }
  let open = true;
  // cap emits synchronously from its libuv poll callback, reusing `buffer`: copy the
  // frame out, and never let an exception escape into the native loop.
  handle.on('packet', (nbytes: number) => {
    if (!open) return;
    const frame = Buffer.from(buffer.subarray(0, nbytes));
    try {
      o.onFrame(frame);
    } catch (err) {
      process.emitWarning(`wired driver: frame handler threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return {
    send(frame: Buffer): void {
      if (!open) throw new Error(`${o.interfaceName}: link closed`);
      handle.send(frame, frame.length);
    },
    close(): void {
      if (!open) return;
      open = false;
      handle.close();
      retiredHandles.push(handle);
    },
  };
};
