/**
 * The part of `cap` 0.2.x (libpcap bindings, CommonJS, no types of its own) that the
 * wired driver uses; see node_modules/cap/README.md. Internal to the wired driver: no
 * exported signature mentions these types (this file is not emitted to dist/).
 */
declare module 'cap' {
  import type { EventEmitter } from 'node:events';

  /** One libpcap capture handle (pcap_create + pcap_activate on open()). */
  interface CapHandle extends EventEmitter {
    /**
     * Opens `device` in promiscuous, immediate mode with a BPF `filter`; `bufSize` is the
     * kernel buffer, `buffer` receives each packet before 'packet' is emitted. Returns the
     * link type ('ETHERNET', ...). Throws with pcap_geterr()'s text.
     */
    open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
    /** Stops capturing and releases the handle. */
    close(): void;
    /** pcap_sendpacket() of the first `nBytes` of `buffer`; throws with pcap_geterr()'s text. */
    send(buffer: Buffer, nBytes?: number): void;
    /** Emitted synchronously for each packet: `nbytes` of it are in the open() buffer. */
    on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
  }

  /** module.exports of cap (the native addon). */
  const cap: { Cap: new () => CapHandle };
  export default cap;
}
