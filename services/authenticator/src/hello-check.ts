/**
 * The checks of an agent's Hello (DESIGN "Wire protocol": one stream per agent, its BSSes
 * announced first), as pure functions of the Hello and what they are checked against: no
 * table is changed here. The service (service.ts) runs them, then registers what passed.
 * Every refusal is a gRPC status and a message a person can act on.
 */
import { status } from '@grpc/grpc-js';
import type { AgentHello } from '@airlock/link';
import { decodeRsne, decodeRsnxe, formatMac, macKey, type BssConfig, type NetworkPolicy } from '@airlock/rsn';

/** Longest agent id accepted. */
export const MAX_AGENT_ID = 128;
/** Longest RSN element accepted (its length octet allows 255 + 2). */
export const MAX_RSNE = 257;
/** Largest Authentication frame body relayed (an SAE Commit with a token, a password identifier and rejected groups is well below). */
export const MAX_AUTHENTICATION_BODY = 2048;

/** A Hello refused: the status the stream ends with and why. */
export interface HelloRefusal {
  ok: false;
  code: status;
  message: string;
}

const refuse = (code: status, message: string): HelloRefusal => ({ ok: false, code, message });

function isMac(b: Uint8Array): boolean {
  return b.length === 6;
}

/**
 * The agent's id and the size of its announcement: checked before anything else (and before
 * a cluster sends the agent to the worker holding its stations).
 */
export function checkHelloAgent(hello: AgentHello, o: { peerIdentity: string | undefined; maxBssesPerHello: number }): { ok: true } | HelloRefusal {
  const id = hello.agentId;
  if (id.length === 0 || id.length > MAX_AGENT_ID) return refuse(status.INVALID_ARGUMENT, `bad Hello: agent_id must be 1..${MAX_AGENT_ID} characters`);
  // With mTLS the certificate is the identity; the Hello must say the same.
  if (o.peerIdentity !== undefined && id !== o.peerIdentity) {
    return refuse(status.PERMISSION_DENIED, `agent_id ${JSON.stringify(id)} does not match the agent's certificate (CN ${JSON.stringify(o.peerIdentity)})`);
  }
  if (hello.bsses.length === 0) return refuse(status.INVALID_ARGUMENT, 'bad Hello: the agent announces no BSS');
  if (hello.bsses.length > o.maxBssesPerHello) return refuse(status.INVALID_ARGUMENT, `bad Hello: ${hello.bsses.length} BSSes announced, at most ${o.maxBssesPerHello} (agents.max_bsses_per_hello)`);
  return { ok: true };
}

/** What the BSS checks read. */
export interface HelloBssContext {
  /** The network served under an SSID (hex of its octets), if any. */
  network(ssidHex: string): NetworkPolicy | undefined;
  /** Why the BSS policy refuses this agent a BSSID (key, printed form), or undefined. */
  refuses(agentId: string, key: string, bssid: string): string | undefined;
  /** Whether the agent's claims of these BSSIDs fit the claim table's bounds. */
  claimsFit(agentId: string, keys: string[]): { ok: true } | { ok: false; reason: string };
}

/** Each announced BSS as the core takes it, or the first reason to refuse the Hello. */
export function checkHelloBsses(hello: AgentHello, ctx: HelloBssContext): { ok: true; bsses: BssConfig[]; keys: string[] } | HelloRefusal {
  const id = hello.agentId;
  const cfgs: BssConfig[] = [];
  const seen = new Set<string>();
  for (const [i, b] of hello.bsses.entries()) {
    const where = `bad Hello: bsses[${i}]`;
    if (!isMac(b.bssid)) return refuse(status.INVALID_ARGUMENT, `${where}.bssid must be 6 bytes, got ${b.bssid.length}`);
    const bssid = formatMac(b.bssid);
    if (b.ssid.length === 0 || b.ssid.length > 32) return refuse(status.INVALID_ARGUMENT, `${where} (${bssid}): ssid must be 1..32 octets`);
    if (b.interfaceMac !== undefined && !isMac(b.interfaceMac)) return refuse(status.INVALID_ARGUMENT, `${where} (${bssid}): interface_mac must be 6 bytes`);
    // A wired port may announce no RSNE: IEEE 802.1X without key management.
    if (b.rsne.length > MAX_RSNE || (!(b.wired && b.rsne.length === 0) && !decodeRsne(b.rsne).ok)) return refuse(status.INVALID_ARGUMENT, `${where} (${bssid}): rsne is not a valid RSN element`);
    const k = macKey(b.bssid);
    if (seen.has(k)) return refuse(status.INVALID_ARGUMENT, `${where}: BSSID ${bssid} announced twice`);
    seen.add(k);
    const refused = ctx.refuses(id, k, bssid);
    if (refused !== undefined) return refuse(status.PERMISSION_DENIED, refused);
    const network = ctx.network(b.ssid.toString('hex'));
    if (network === undefined) return refuse(status.INVALID_ARGUMENT, `${where} (${bssid}): SSID ${JSON.stringify(b.ssid.toString('utf8'))} is not served by this authenticator`);
    const rsnxe = b.rsnxe !== undefined && b.rsnxe.length > 0 ? decodeRsnxe(b.rsnxe) : undefined;
    if (rsnxe !== undefined && (b.rsnxe!.length > MAX_RSNE || !rsnxe.ok)) return refuse(status.INVALID_ARGUMENT, `${where} (${bssid}): rsnxe is not a valid RSN Extension element`);
    // A network that offers only hash-to-element must say so in its RSNXE, or stations use hunting-and-pecking and are refused.
    if (network.sae?.pwe === 1 && !(rsnxe?.ok === true && rsnxe.value.h2e)) return refuse(status.INVALID_ARGUMENT, `${where} (${bssid}): the network's SAE is hash-to-element only, but the BSS advertises no RSNXE with the SAE Hash-to-Element bit`);
    cfgs.push({
      bssid: Buffer.from(b.bssid),
      agentId: id,
      rsne: Buffer.from(b.rsne),
      wired: b.wired,
      interfaceMac: b.interfaceMac && Buffer.from(b.interfaceMac),
      rsnxe: rsnxe !== undefined ? Buffer.from(b.rsnxe!) : undefined,
      beaconProtection: b.beaconProtection === true,
      reportsTxStatus: hello.reportsTxStatus,
      network,
    });
  }
  // The first-claim table is bounded (per agent, in total): a Hello that does not fit is refused.
  const keys = [...seen];
  const fits = ctx.claimsFit(id, keys);
  if (!fits.ok) return refuse(status.RESOURCE_EXHAUSTED, fits.reason);
  return { ok: true, bsses: cfgs, keys };
}
