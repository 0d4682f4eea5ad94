/**
 * The SAE password element of one exchange, IEEE 802.11-2020 §12.4.4.2, in the form the
 * commit and the key derivation use it (commit.ts):
 *
 *   H2E (§12.4.4.2.3):               PWE = val * PT, val public (from the two MAC addresses)
 *   hunting-and-pecking (§12.4.4.2.2): PWE found by the loop, different for every pair
 *
 * For H2E the PWE point is never computed: mask * PWE = ((mask * val) mod r) * PT and
 * peer-scalar * PWE = ((peer-scalar * val) mod r) * PT, so an exchange only multiplies PT,
 * which SaePasswordElement holds once per password. See pwe-base.ts for how the
 * multiplications are done (OpenSSL through node:crypto's ECDH) and their timing properties.
 */
import * as nodeCrypto from 'node:crypto';
import { derivePt, h2ePweScalar } from './h2e.js';
import { huntAndPeck } from './hunt-and-peck.js';
import { PweBase } from './pwe-base.js';
import type { SaeElement, SaeRandom } from './sae-group.js';

/** How the PWE was derived: hash-to-element (sae_pwe 1) or hunting-and-pecking (sae_pwe 0). */
export type SaePweMethod = 'h2e' | 'hunt-and-peck';

/**
 * PT for one SSID, password and password identifier (§12.4.4.2.3), prepared for the
 * multiplications of every exchange that uses it. Derive it once per configured password
 * (about a millisecond) and keep it: it holds PT's coordinates and 1 / (2 y) and nothing
 * else, well under a kilobyte. Secret: it lets its holder test password guesses offline.
 */
export class SaePasswordElement {
  /** PT, prepared for multiplication. */
  readonly base: PweBase;

  private constructor(base: PweBase) {
    this.base = base;
  }

  /** PT of (SSID, password [, identifier]), all octet strings as configured. */
  static derive(ssid: Uint8Array, password: Uint8Array, identifier?: Uint8Array): SaePasswordElement {
    return new SaePasswordElement(new PweBase(derivePt(ssid, password, identifier)));
  }

  /** From a PT computed elsewhere (published test vectors); RangeError for an invalid point. */
  static fromPt(pt: SaeElement): SaePasswordElement {
    return new SaePasswordElement(new PweBase(pt));
  }

  /** PT itself. */
  get pt(): SaeElement {
    return this.base.point;
  }
}

/**
 * The password element of one exchange, opaque to callers: PWE = factor * base, with base PT
 * and factor val for H2E, base the PWE and factor 1 for hunting-and-pecking. Get one from
 * h2ePwe or huntAndPeckPwe and pass it to generateCommit.
 */
export interface SaePwe {
  /** How it was derived: processPeerCommit salts keyseed with rejected groups for H2E only. */
  readonly method: SaePweMethod;
  /** The point multiplied (PT, or the PWE itself). */
  readonly base: PweBase;
  /** val (H2E, in [1, r - 1]) or 1. */
  readonly factor: bigint;
}

/**
 * The H2E password element of the exchange between two stations (the order of the addresses
 * does not matter): val = H(0^32, MAX(macA, macB) || MIN(macA, macB)) mod (r - 1) + 1, one
 * HMAC. Throws RangeError for addresses that are not 6 octets.
 */
export function h2ePwe(pt: SaePasswordElement, macA: Uint8Array, macB: Uint8Array): SaePwe {
  return { method: 'h2e', base: pt.base, factor: h2ePweScalar(macA, macB) };
}

/**
 * The hunting-and-pecking password element of the exchange between two stations (§12.4.4.2.2,
 * 40 iterations, see hunt-and-peck.ts). `identifier` is appended to the password as the
 * pre-2020 drafts did (HuntAndPeckInput.identifier). `random` feeds only the blinding of the
 * quadratic-residue tests and the dummy base after the find: the PWE does not depend on it.
 * Pass the core's injected source; without one, node:crypto's is used, as OpenSSL and
 * @noble/curves draw their own blinding internally. Throws when no counter up to 255 gives a
 * PWE (probability about 2^-255) and RangeError for addresses that are not 6 octets.
 */
export function huntAndPeckPwe(
  password: Uint8Array,
  macA: Uint8Array,
  macB: Uint8Array,
  identifier?: Uint8Array,
  random: SaeRandom = blindingRandom,
): SaePwe {
  const pwe = huntAndPeck({ password, identifier, mac1: macA, mac2: macB, random });
  if (pwe === undefined) throw new Error('SAE: hunting-and-pecking found no password element');
  return { method: 'hunt-and-peck', base: new PweBase(pwe), factor: 1n };
}

/** The PWE point of an exchange (for tests and diagnostics: the exchange itself never needs it). */
export function pweElement(pwe: SaePwe): SaeElement {
  return pwe.base.multiple(pwe.factor);
}

/** The default blinding source of huntAndPeckPwe: the output never depends on these octets. */
function blindingRandom(length: number): Uint8Array {
  // eslint-disable-next-line no-restricted-syntax -- blinding only (see huntAndPeckPwe): no protocol value depends on it.
  return nodeCrypto.randomBytes(length);
}
