/**
 * The RADIUS codec (sans-I/O): packets (RFC 2865 §3), attribute values (RFC 2865 §5,
 * RFC 7268), vendor-specific attributes (RFC 2865 §5.26, RFC 2548), tagged tunnel
 * attributes and VLAN assignment (RFC 2868, RFC 3580), EAP-Message (RFC 3579 §3.1),
 * hidden values (User-Password, MS-MPPE keys), and signing and verification with the
 * BlastRADIUS (CVE-2024-3596) hardening.
 */
export * from './constants.js';
export * from './packet.js';
export * from './attributes.js';
export * from './vendor.js';
export * from './tunnel.js';
export * from './eap-message.js';
export * from './hiding.js';
export * from './authenticator.js';
