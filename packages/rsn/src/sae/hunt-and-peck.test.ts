import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../testing/index.js';
import { ascii } from '../crypto/hex.fixture.js';
import fc from 'fast-check';
import { HUNT_AND_PECK_ITERATIONS, huntAndPeck, huntAndPeckSeed, huntAndPeckValue, legendreVartime } from './hunt-and-peck.js';
import { GROUP_19, P256, octetsToBigInt, type SaeRandom } from './sae-group.js';
import { J10_LOOP, PASSWORD } from './sae-vectors.fixture.js';

void describe('hunting-and-pecking steps (IEEE 802.11-2020 §12.4.4.2.2), Annex J.10 vectors', () => {
  for (const c of J10_LOOP.counters) {
    void it(`counter ${c.counter}: pwd-seed = HMAC-SHA-256(MAX || MIN of the MACs, password || counter)`, () => {
      assert.deepEqual(huntAndPeckSeed(PASSWORD, J10_LOOP.staA, J10_LOOP.staB, c.counter), c.pwdSeed);
    });
    void it(`counter ${c.counter}: pwd-value = KDF-SHA-256-256(pwd-seed, "SAE Hunting and Pecking", p)`, () => {
      assert.deepEqual(huntAndPeckValue(c.pwdSeed), c.pwdValue);
    });
  }
  void it('the address order does not change pwd-seed', () => {
    assert.deepEqual(huntAndPeckSeed(PASSWORD, J10_LOOP.staB, J10_LOOP.staA, 1), J10_LOOP.counters[0].pwdSeed);
  });
  void it('throws RangeError for a counter outside one octet', () => {
    assert.throws(() => huntAndPeckSeed(PASSWORD, J10_LOOP.staA, J10_LOOP.staB, 0), RangeError);
    assert.throws(() => huntAndPeckSeed(PASSWORD, J10_LOOP.staA, J10_LOOP.staB, 256), RangeError);
  });
});

void describe('huntAndPeck (IEEE 802.11-2020 §12.4.4.2.2)', () => {
  const input = { password: PASSWORD, mac1: J10_LOOP.staA, mac2: J10_LOOP.staB };

  void it('PWE of Annex J.10 (x found at counter 2)', () => {
    const pwe = huntAndPeck({ ...input, random: seededRandom('pwe') });
    assert.ok(pwe);
    assert.equal(pwe.x, octetsToBigInt(J10_LOOP.pweX));
    assert.equal(pwe.y, octetsToBigInt(J10_LOOP.pweY));
  });

  void it('the same PWE with the addresses swapped and with other randomness (it only blinds)', () => {
    const a = huntAndPeck({ ...input, random: seededRandom('a') });
    const b = huntAndPeck({ password: PASSWORD, mac1: J10_LOOP.staB, mac2: J10_LOOP.staA, random: seededRandom('b') });
    assert.ok(a && b);
    assert.ok(a.equals(b));
  });

  void it('a password identifier is hashed after the password (base = password || identifier)', () => {
    const withId = huntAndPeck({ ...input, identifier: ascii('psk4internet'), random: seededRandom('id') });
    const joined = huntAndPeck({ ...input, password: ascii('mekmitasdigoatpsk4internet'), random: seededRandom('id') });
    assert.ok(withId && joined);
    assert.ok(withId.equals(joined));
  });

  /** v^((p-1)/2) mod p = 1: v is a nonzero square mod p (plain exponentiation, test only). */
  function isSquare(v: bigint): boolean {
    const p = GROUP_19.p;
    let e = (p - 1n) / 2n;
    let base = ((v % p) + p) % p;
    let acc = 1n;
    while (e > 0n) {
      if (e & 1n) acc = (acc * base) % p;
      base = (base * base) % p;
      e >>= 1n;
    }
    return acc === 1n;
  }

  /** The counter at which the first x is found, computed the plain (branching) way. */
  function firstFound(password: Uint8Array): number {
    for (let counter = 1; counter <= 255; counter++) {
      const x = octetsToBigInt(huntAndPeckValue(huntAndPeckSeed(password, J10_LOOP.staA, J10_LOOP.staB, counter)));
      if (x < GROUP_19.p && isSquare(x * x * x + GROUP_19.a * x + GROUP_19.b)) return counter;
    }
    return 0;
  }

  const SEED = 'the same randomness for every password';

  /** How many times huntAndPeck draws from a seeded random source, and whether it found a PWE. */
  function draws(password: Uint8Array): { calls: number; found: boolean } {
    const seeded = seededRandom(SEED);
    let calls = 0;
    const counting: SaeRandom = (n) => {
      calls++;
      return seeded(n);
    };
    const pwe = huntAndPeck({ password, mac1: J10_LOOP.staA, mac2: J10_LOOP.staB, random: counting });
    return { calls, found: pwe !== undefined };
  }

  /** The draws before the loop from the same source: the post-find base, then the residue / non-residue search. */
  function drawsBeforeLoop(passwordLength: number): number {
    const seeded = seededRandom(SEED);
    seeded(passwordLength);
    let calls = 1;
    let qr = false;
    let qnr = false;
    while (!(qr && qnr)) {
      const v = octetsToBigInt(seeded(32));
      calls++;
      if (v < 1n || v >= GROUP_19.p) continue;
      if (isSquare(v)) qr = true;
      else qnr = true;
    }
    return calls;
  }

  void it('draws one blinding value per iteration: 40 iterations for the vector (x found at counter 2)', () => {
    assert.equal(firstFound(PASSWORD), 2);
    const { calls, found } = draws(PASSWORD);
    assert.ok(found);
    assert.equal(calls - drawsBeforeLoop(PASSWORD.length), HUNT_AND_PECK_ITERATIONS);
  });

  void it('runs the same 40 iterations whichever counter finds x (no early exit)', () => {
    // Passwords of one length (same draws before the loop) whose x is found at different counters.
    const byCounter = new Map<number, Uint8Array>();
    for (let i = 0; i < 60; i++) {
      const pw = ascii(`password-${String(i).padStart(2, '0')}`);
      const at = firstFound(pw);
      if (!byCounter.has(at)) byCounter.set(at, pw);
    }
    assert.ok(byCounter.has(1) && byCounter.size >= 3, `found at counters ${[...byCounter.keys()].join(', ')}`);
    for (const [at, pw] of byCounter) {
      const { calls, found } = draws(pw);
      assert.ok(found, `no PWE for the password found at counter ${at}`);
      assert.equal(calls - drawsBeforeLoop(pw.length), HUNT_AND_PECK_ITERATIONS, `x found at counter ${at}`);
    }
  });

  void it('throws RangeError for addresses that are not 6 octets', () => {
    assert.throws(() => huntAndPeck({ ...input, mac1: J10_LOOP.staA.subarray(0, 5), random: seededRandom('x') }), RangeError);
  });

  void it('throws when the random source is broken (always out of range)', () => {
    const broken: SaeRandom = (n) => new Uint8Array(n).fill(0xff);
    assert.throws(() => huntAndPeck({ ...input, random: broken }), /random source/);
  });
});

void describe('legendreVartime (binary Jacobi algorithm, for blinded values only)', () => {
  const p = GROUP_19.p;
  /** Euler's criterion, v^((p-1)/2) mod p, as 1, -1 or 0. */
  const euler = (v: bigint): number => {
    const t = P256.Fp.pow(P256.Fp.create(v), (p - 1n) / 2n);
    return t === 0n ? 0 : t === 1n ? 1 : -1;
  };
  const cases = [
    { desc: '0', v: 0n, want: 0 },
    { desc: 'p (0 mod p)', v: p, want: 0 },
    { desc: '1', v: 1n, want: 1 },
    { desc: '4', v: 4n, want: 1 },
    { desc: '-1 (a non-residue: p = 3 mod 4)', v: p - 1n, want: -1 },
    { desc: '2 (p = 7 mod 8: a residue)', v: 2n, want: 1 },
  ];
  for (const c of cases) void it(`${c.desc} -> ${c.want}`, () => assert.equal(legendreVartime(c.v), c.want));
  void it("equals Euler's criterion for random values", () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: p - 1n }), (v) => legendreVartime(v) === euler(v)), { numRuns: 300 });
  });
  void it('squares are residues', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: p - 1n }), (v) => legendreVartime(P256.Fp.sqr(v)) === 1), { numRuns: 100 });
  });
});
