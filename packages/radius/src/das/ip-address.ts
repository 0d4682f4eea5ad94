/**
 * IP addresses as text and octets, for matching a datagram's source against the clients a
 * Dynamic Authorization Server allows (RFC 5176 §2.3: the source address chooses the shared
 * secret) and NAS-IP-Address / NAS-IPv6-Address (RFC 2865 §5.4, RFC 3162 §2.1) against the
 * NAS's own. Text forms: dotted-quad IPv4 (decimal, no leading zeros) and RFC 4291 §2.2
 * IPv6 (with "::" and a trailing dotted quad); canonical output as RFC 5952 §4 (lower case,
 * the longest run of two or more zero groups as "::"). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 peers) is its IPv4 address. Pure
 * functions; parsing returns undefined on anything else and never throws.
 */

function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseGroups(text: string, out: number[]): boolean {
  if (text === '') return true;
  for (const g of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    out.push(parseInt(g, 16));
  }
  return true;
}

function parseIpv6(text: string): Buffer | undefined {
  let body = text;
  let tail: Buffer | undefined;
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.indexOf('.', lastColon) >= 0) {
    tail = parseIpv4(body.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    // Keep the colon before the dotted quad when it is half of a "::".
    body = body.slice(0, body[lastColon - 1] === ':' ? lastColon + 1 : lastColon);
  }
  const want = tail === undefined ? 8 : 6;
  const head: number[] = [];
  const rest: number[] = [];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    if (body.indexOf('::', gap + 1) >= 0) return undefined;
    if (!parseGroups(body.slice(0, gap), head) || !parseGroups(body.slice(gap + 2), rest)) return undefined;
    if (head.length + rest.length > want - 1) return undefined;
  } else {
    if (!parseGroups(body, head) || head.length !== want) return undefined;
  }
  const groups = [...head, ...new Array<number>(want - head.length - rest.length).fill(0), ...rest];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  tail?.copy(out, 12);
  return out;
}

/** Whether 16 octets are an IPv4-mapped IPv6 address (::ffff:0:0/96). */
function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * The octets of an IP address written as text: 4 for IPv4 (and for an IPv4-mapped IPv6
 * address), 16 for IPv6; undefined when the text is neither. A zone ("%eth0") is refused.
 */
export function parseIpAddress(text: string): Buffer | undefined {
  if (text.includes(':')) {
    const v6 = parseIpv6(text);
    return v6 !== undefined && isV4Mapped(v6) ? Buffer.from(v6.subarray(12)) : v6;
  }
  return parseIpv4(text);
}

/** The canonical text of 4 or 16 address octets (RFC 5952 §4 for IPv6; IPv4-mapped as IPv4); undefined for other lengths. */
export function formatIpAddress(b: Uint8Array): string | undefined {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return undefined;
  if (isV4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[2 * i] << 8) | b[2 * i + 1]);
  // The longest run of zero groups (the first of equal ones), if at least two long.
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

/** The canonical text of an address written as text (formatIpAddress of parseIpAddress); undefined when it is not one. */
export function canonicalIpAddress(text: string): string | undefined {
  const b = parseIpAddress(text);
  return b === undefined ? undefined : formatIpAddress(b);
}
