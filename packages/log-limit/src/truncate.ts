// Strings that come from remote input (an agent's id, software version or error text, a
// RADIUS server's attributes, anything a station sent) are kept and logged only up to a
// bound, with a marker saying how much was left out (DESIGN.md "Security", "Fairness").

/** Longest string from remote input kept or logged as it is (UTF-16 code units). */
export const MAX_REMOTE_STRING = 200;

/**
 * `s` when it has at most `max` characters; else its first `max` characters and a marker
 * with the UTF-8 octets left out: "abc…(+61234 bytes)". A surrogate pair is never split.
 */
export function truncateText(s: string, max: number = MAX_REMOTE_STRING): string {
  if (s.length <= max) return s;
  let cut = Math.max(0, Math.floor(max));
  const last = s.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut--; // a high surrogate: its pair goes too
  return `${s.slice(0, cut)}…(+${Buffer.byteLength(s.slice(cut), 'utf8')} bytes)`;
}
