/** Byte-string mutations for the fuzz targets. */
import fc from 'fast-check';

/** Arbitrary mutations of `seeds`: overwritten octets, inserted and removed runs, truncation, appended octets. */
export function mutated(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })), { nil: undefined }),
      remove: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })), { nil: undefined }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ seed, edits, insert, remove, cut, tail }) => {
      let b = Buffer.from(seed);
      if (b.length > 0) for (const [at, v] of edits) b[at % b.length] = v;
      if (insert !== undefined) {
        const at = insert[0] % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), insert[1], b.subarray(at)]);
      }
      if (remove !== undefined && b.length > 0) {
        const at = remove[0] % b.length;
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + remove[1])]);
      }
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      return tail.length > 0 ? Buffer.concat([b, tail]) : b;
    });
}

