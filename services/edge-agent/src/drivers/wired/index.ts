/** The wired driver: EAPOL over raw Ethernet (libpcap through the optional `cap` package). */
export * from './ethernet.js';
export * from './pcap-link.js';
export * from './port-spec.js';
export * from './wired-driver.js';
