import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentBatch, type AgentMessage } from './index.js';
import { approximateSize, messageSize, splitBatches } from './batching.js';

const eapol = (seq: number, frameBytes: number): AgentMessage => ({ seq: BigInt(seq), body: { $case: 'eapolReceived', value: { bssid: Buffer.alloc(6, 1), sta: Buffer.alloc(6, 2), frame: Buffer.alloc(frameBytes, 3) } } });

void test('approximateSize bounds the encoded size from above', () => {
  for (const n of [0, 1, 99, 121, 300, 4096]) {
    const m = eapol(123456789, n);
    const encoded = AgentBatch.encode({ messages: [m] }).finish().length;
    assert.ok(approximateSize(m) >= encoded - 3, `frame ${n}: estimate ${approximateSize(m)}, encoded ${encoded}`);
    assert.ok(messageSize(m) >= encoded - 3, `frame ${n}: quick estimate ${messageSize(m)}, encoded ${encoded}`);
  }
});

void test('splitBatches keeps order, stays under the limit, and sends an oversized message alone', () => {
  const msgs = Array.from({ length: 1000 }, (_v, i) => eapol(i + 1, 121));
  const batches = splitBatches(msgs, 16 * 1024);
  assert.ok(batches.length > 1);
  assert.deepEqual(batches.flat().map((m) => m.seq), msgs.map((m) => m.seq));
  for (const b of batches) assert.ok(AgentBatch.encode({ messages: b }).finish().length <= 16 * 1024, 'under the limit once encoded');
  const big = [eapol(1, 10), eapol(2, 50_000), eapol(3, 10)];
  assert.deepEqual(splitBatches(big, 16 * 1024).map((b) => b.length), [1, 1, 1]);
  assert.deepEqual(splitBatches([], 100), []);
});
