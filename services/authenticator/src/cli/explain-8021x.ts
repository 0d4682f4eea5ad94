/**
 * The 802.1X part of `airlock explain` (issue 14): who authenticated (EAP identity, and the
 * Access-Accept's User-Name), with which EAP method, against which RADIUS server, the round
 * trip of each round (the first ones: the authenticator keeps a bounded number per
 * station), and what it granted (VLAN, Session-Timeout); or that the PMK came from the
 * PMKSA cache.
 */
import type { EapAuthInfo } from '@airlock/proto';
import { line } from './terminal-text.js';

/** "1.2/0.8/0.9 ms (+3 more rounds)". */
function rtts(a: EapAuthInfo): string {
  if (a.rounds.length === 0) return '';
  const more = a.roundsTotal - a.rounds.length;
  return `RTT per round ${a.rounds.map((r) => r.rttMs).join('/')} ms${more > 0 ? ` (+${more} more round${more === 1 ? '' : 's'} not kept)` : ''}`;
}

/** The line under a handshake of explain (indented like the handshake's detail lines). */
export function eapExplainLine(a: EapAuthInfo): string {
  const id = a.identity === '' ? 'no identity yet' : `identity ${JSON.stringify(a.identity)}`;
  const user = a.userName !== '' && a.userName !== a.identity ? `, User-Name ${JSON.stringify(a.userName)}` : '';
  const grants = [a.vlanId > 0 ? `VLAN ${a.vlanId}` : 'no VLAN', a.sessionTimeoutS > 0 ? `session timeout ${a.sessionTimeoutS} s` : 'no session timeout'].join(', ');
  if (a.pmksaCached) return line`       802.1X: PMKSA cache hit (${id}, no EAP); ${grants}`;
  const servers = [...new Set(a.rounds.map((r) => r.server))];
  const result = a.result === '' ? 'running' : a.result;
  const via = servers.length === 0 ? 'no RADIUS answer' : `RADIUS server ${servers.join(' then ')}, ${a.roundsTotal} round${a.roundsTotal === 1 ? '' : 's'}`;
  const r = rtts(a);
  return line`       802.1X: ${id}${user}, ${a.method === '' ? 'no EAP method yet' : a.method}, ${result}; ${via}${r === '' ? '' : `, ${r}`}; ${grants}`;
}
