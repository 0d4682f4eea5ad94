import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REMOTE_STRING, truncateText } from './truncate.js';

const cases: { desc: string; s: string; max?: number; want: string }[] = [
  { desc: 'empty', s: '', want: '' },
  { desc: 'short', s: 'airlock-edge-agent/0.1.0', want: 'airlock-edge-agent/0.1.0' },
  { desc: 'exactly max', s: 'x'.repeat(MAX_REMOTE_STRING), want: 'x'.repeat(MAX_REMOTE_STRING) },
  { desc: 'one over max', s: 'x'.repeat(MAX_REMOTE_STRING + 1), want: `${'x'.repeat(MAX_REMOTE_STRING)}…(+1 bytes)` },
  { desc: '60 KB error text', s: 'e'.repeat(60_000), max: 10, want: 'eeeeeeeeee…(+59990 bytes)' },
  { desc: 'bytes counted in UTF-8', s: 'abcdéé', max: 4, want: 'abcd…(+4 bytes)' },
  { desc: 'a surrogate pair is not split', s: 'ab😀cd', max: 3, want: 'ab…(+6 bytes)' },
  { desc: 'max 0', s: 'abc', max: 0, want: '…(+3 bytes)' },
];

for (const c of cases) {
  void test(`truncateText: ${c.desc}`, () => {
    assert.equal(truncateText(c.s, c.max), c.want);
  });
}
