/**
 * Hunting-and-pecking password element for SAE group 19, IEEE 802.11-2020 §12.4.4.2.2 (the
 * "looping" PWE of sae_pwe 0):
 *
 *   for counter = 1, 2, ...:
 *     pwd-seed  = H(MAX(STA-A-MAC, STA-B-MAC) || MIN(...), base || counter)
 *     pwd-value = KDF-SHA-256-256(pwd-seed, "SAE Hunting and Pecking", p)
 *     if pwd-value < p and x^3 + ax + b (x = pwd-value) is a quadratic residue mod p, and no
 *     earlier counter was: keep x and save = pwd-seed, and hash a random base from then on
 *   until counter > k and one was found;  y = sqrt(x^3 + ax + b), taken with LSB(y) = LSB(save)
 *
 * base is the password (password || identifier in pre-2020 drafts, see HuntAndPeckInput);
 * counter is one octet; H is HMAC-SHA-256 keyed with the addresses.
 *
 * Side channels (the Dragonblood timing and cache attacks on this loop): the number of
 * iterations, which one finds x, and the quadratic-residue test must not show through timing.
 * So:
 *   - the loop always runs k = 40 iterations (the standard's do-while with counter <= k), and
 *     keeps going past 40 only in the (about 2^-40) case that none of the 40 found an x;
 *   - every iteration does the same work: the HMAC, the KDF, the range test, y^2 and a
 *     blinded quadratic-residue test, whether or not an x was already found; what an
 *     iteration found is kept with masked selects (no branch on it), and after the find the
 *     base is a random string of the password's length;
 *   - the quadratic-residue test is blinded as in RFC 7664 §3.2.1 (y^2 * r^2 times a random
 *     residue or non-residue chosen by r's parity, then the Legendre symbol), so the symbol is
 *     never computed on a value derived from the password alone. The blinded value is
 *     uniformly distributed over GF(p)* whatever y^2 is (each residue has exactly one odd and
 *     one even square root, so r^2 * qr over odd r and r^2 * qnr over even r cover the
 *     residues and the non-residues once each), and its symbol is y^2's flipped by r's
 *     secret parity. So the symbol is computed with the binary Jacobi algorithm (Cohen,
 *     "A Course in Computational Algebraic Number Theory", Algorithm 1.4.10), whose running
 *     time depends on its input: that input tells nothing about the password. It is about four
 *     times faster than the exponentiation v^((p-1)/2) it replaces, which was the cost of the
 *     loop. (hostapd exponentiates in constant time instead; the blinding is what makes the
 *     cheaper algorithm safe here.)
 * What is not constant-time: the field arithmetic is JavaScript BigInt (V8's BigInt
 * multiplication and reduction time can depend on operand sizes); the masked selects are
 * ordinary JavaScript, which a JIT may compile to branches. The algorithm is built to leak
 * nothing; the runtime may leak a little. Prefer H2E (h2e.ts), which has no password-dependent loop.
 */
import { createHmac } from 'node:crypto';
import { kdfSha256 } from '../crypto/kdf.js';
import { GROUP_19, P256, PRIME_OCTETS, bigIntToOctets, octetsToBigInt, randomInRange, type SaeElement, type SaeRandom } from './sae-group.js';
import { macsMaxMin } from './sae-hash.js';

/** The KDF label of §12.4.4.2.2. */
export const HUNT_AND_PECK_LABEL = 'SAE Hunting and Pecking';

/** k: iterations the loop always runs (40: the standard's guidance for ECC groups, hostapd's too). */
export const HUNT_AND_PECK_ITERATIONS = 40;

/** counter is one octet: the loop gives up after 255 (never reached in practice). */
const MAX_COUNTER = 255;

const Fp = P256.Fp;

/** What the looping PWE is derived from. */
export interface HuntAndPeckInput {
  /** The password, as configured (octets, no terminator). */
  password: Uint8Array;
  /**
   * A password identifier appended to the password (base = password || identifier), as
   * IEEE P802.11-REVmd drafts and 802.11-18/1104r0 did. IEEE 802.11-2020 requires H2E whenever
   * a password identifier is used, so current peers never do this: leave it undefined unless
   * interoperating with such a draft implementation.
   */
  identifier?: Uint8Array;
  /** One station's address (6 octets); the order of mac1 and mac2 does not matter. */
  mac1: Uint8Array;
  /** The other station's address (6 octets). */
  mac2: Uint8Array;
  /** Randomness for the blinding values and the post-find base. */
  random: SaeRandom;
}

/** pwd-seed for one counter value: HMAC-SHA-256(MAX || MIN of the addresses, base || counter). */
export function huntAndPeckSeed(base: Uint8Array, mac1: Uint8Array, mac2: Uint8Array, counter: number): Buffer {
  if (!Number.isInteger(counter) || counter < 1 || counter > MAX_COUNTER) throw new RangeError('counter must be 1..255');
  return createHmac('sha256', macsMaxMin(mac1, mac2)).update(base).update(Uint8Array.of(counter)).digest();
}

/** pwd-value = KDF-SHA-256-Length(pwd-seed, "SAE Hunting and Pecking", p) with Length = len(p) bits. */
export function huntAndPeckValue(pwdSeed: Uint8Array): Buffer {
  return kdfSha256(pwdSeed, HUNT_AND_PECK_LABEL, PRIME_OCTETS, 8 * GROUP_19.primeLength);
}

/**
 * The PWE by hunting and pecking, or undefined in the (about 2^-255) case that no counter up
 * to 255 gives one. Intermediate octets are wiped before returning.
 */
export function huntAndPeck(input: HuntAndPeckInput): SaeElement | undefined {
  const { password, identifier, mac1, mac2, random } = input;
  const key = macsMaxMin(mac1, mac2);
  const base = identifier === undefined ? Buffer.from(password) : Buffer.concat([password, identifier]);
  const stub = Buffer.from(random(base.length));
  if (stub.length !== base.length) throw new RangeError('random source returned the wrong length');
  const blinding = blindingResidues(random);
  // base || counter, rewritten in place each iteration.
  const hashed = Buffer.alloc(base.length + 1);
  const hashedBase = hashed.subarray(0, base.length);
  const x = Buffer.alloc(GROUP_19.primeLength);
  let found = 0;
  let saveOdd = 0;
  let counter = 1;
  for (; counter <= MAX_COUNTER; counter++) {
    // The standard's loop condition (counter <= k || !found). Past k this branches on
    // `found`, which by then only says that 40 iterations found nothing (public, ~2^-40).
    if (counter > HUNT_AND_PECK_ITERATIONS && found === 1) break;
    selectBytes(found, stub, base, hashedBase);
    hashed[base.length] = counter;
    const pwdSeed = createHmac('sha256', key).update(hashed).digest();
    const pwdValue = huntAndPeckValue(pwdSeed);
    const inRange = lessThan(pwdValue, PRIME_OCTETS);
    // When pwd-value >= p the test below runs on pwd-value mod p and its answer is dropped.
    const candidate = Fp.create(octetsToBigInt(pwdValue));
    const isResidue = isQuadraticResidueBlind(curveRhs(candidate), blinding, random);
    const take = inRange & isResidue & (found ^ 1);
    selectBytes(take, pwdValue, x, x);
    saveOdd = selectNumber(take, pwdSeed[pwdSeed.length - 1] & 1, saveOdd);
    found |= take;
    pwdSeed.fill(0);
    pwdValue.fill(0);
  }
  hashed.fill(0);
  base.fill(0);
  stub.fill(0);
  if (found === 0) return undefined;

  const xValue = octetsToBigInt(x);
  x.fill(0);
  const y = Fp.sqrt(curveRhs(xValue));
  // Keep y or p - y, the one whose parity is the saved pwd-seed's, by masked select.
  const yOctets = bigIntToOctets(y, GROUP_19.primeLength);
  const negYOctets = bigIntToOctets(Fp.neg(y), GROUP_19.primeLength);
  const sameParity = 1 ^ ((yOctets[yOctets.length - 1] & 1) ^ saveOdd);
  selectBytes(sameParity, yOctets, negYOctets, yOctets);
  const pwe = P256.fromAffine({ x: xValue, y: octetsToBigInt(yOctets) });
  yOctets.fill(0);
  negYOctets.fill(0);
  pwe.assertValidity();
  return pwe;
}

/** x^3 + ax + b mod p. */
function curveRhs(x: bigint): bigint {
  return Fp.add(Fp.add(Fp.mul(Fp.sqr(x), x), Fp.mul(GROUP_19.a, x)), GROUP_19.b);
}

/** A random quadratic residue and non-residue mod p, as octets, for the blinded test. */
interface BlindingResidues {
  qr: Buffer;
  qnr: Buffer;
}

/** Draws a random residue and non-residue (random values, unrelated to the password). */
function blindingResidues(random: SaeRandom): BlindingResidues {
  let qr: bigint | undefined;
  let qnr: bigint | undefined;
  // Half of GF(p)* are residues: 64 draws without both is a broken random source.
  for (let i = 0; i < 64 && (qr === undefined || qnr === undefined); i++) {
    const v = randomInRange(random, 1n, GROUP_19.p);
    const symbol = legendreVartime(v);
    if (symbol === 1) qr ??= v;
    else if (symbol === -1) qnr ??= v;
  }
  if (qr === undefined || qnr === undefined) throw new Error('SAE: the random source gave no residue and non-residue');
  return { qr: bigIntToOctets(qr, GROUP_19.primeLength), qnr: bigIntToOctets(qnr, GROUP_19.primeLength) };
}

/**
 * The Legendre symbol of v mod p (1, -1, or 0 for v = 0 mod p) by the binary Jacobi
 * algorithm: variable-time, so only for values that are random or blinded (see the header).
 */
export function legendreVartime(v: bigint): number {
  let a = Fp.create(v);
  let n = GROUP_19.p;
  let symbol = 1;
  while (a !== 0n) {
    // (2/n) = -1 exactly when n = 3 or 5 mod 8.
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const n8 = n & 7n;
      if (n8 === 3n || n8 === 5n) symbol = -symbol;
    }
    // Quadratic reciprocity: the sign flips when both are 3 mod 4.
    [a, n] = [n, a];
    if ((a & 3n) === 3n && (n & 3n) === 3n) symbol = -symbol;
    a %= n;
  }
  return n === 1n ? symbol : 0;
}

/**
 * 1 when v is a quadratic residue mod p, else 0, with v blinded: num = v * r^2 * (qr if r is
 * odd, qnr if even) for a random r in [1, p-1]; then v is a residue exactly when
 * LGR(num) = 1 (r odd) or -1 (r even).
 */
function isQuadraticResidueBlind(v: bigint, blinding: BlindingResidues, random: SaeRandom): number {
  const r = randomInRange(random, 1n, GROUP_19.p);
  const odd = Number(r & 1n);
  const factorOctets = Buffer.allocUnsafe(GROUP_19.primeLength); // fully written by selectBytes
  selectBytes(odd, blinding.qr, blinding.qnr, factorOctets);
  const num = Fp.mul(Fp.mul(Fp.mul(v, r), r), octetsToBigInt(factorOctets));
  const expected = 2 * odd - 1;
  return Number(legendreVartime(num) === expected);
}

/** out = bit ? ifOne : ifZero, octet by octet through a mask (bit is 0 or 1). */
function selectBytes(bit: number, ifOne: Uint8Array, ifZero: Uint8Array, out: Uint8Array): void {
  const mask = -bit & 0xff;
  for (let i = 0; i < out.length; i++) out[i] = (ifOne[i] & mask) | (ifZero[i] & ~mask & 0xff);
}

/** bit ? ifOne : ifZero for small integers, through a mask (bit is 0 or 1). */
function selectNumber(bit: number, ifOne: number, ifZero: number): number {
  const mask = -bit;
  return (ifOne & mask) | (ifZero & ~mask);
}

/** 1 when a < b as unsigned big-endian integers of the same length, else 0; reads every octet. */
function lessThan(a: Uint8Array, b: Uint8Array): number {
  let less = 0;
  let greater = 0;
  for (let i = 0; i < a.length; i++) {
    const undecided = 1 ^ (less | greater);
    less |= undecided & (((a[i] - b[i]) >>> 31) & 1);
    greater |= undecided & (((b[i] - a[i]) >>> 31) & 1);
  }
  return less;
}
