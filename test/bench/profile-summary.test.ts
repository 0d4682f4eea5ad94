import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layerOf, summarize } from './profile-summary.js';

const frame = (functionName: string, url = ''): { functionName: string; url: string; lineNumber: number } => ({ functionName, url, lineNumber: 0 });

void describe('profile-summary', () => {
  void it('busy time by layer, self time by function and inclusive time of named functions; idle excluded', () => {
    // root -> handle (core) -> Hmac (node:crypto); root -> route (glue); root -> (idle); (garbage collector)
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 4, 5, 6] },
        { id: 2, callFrame: frame('handle', 'file:///r/packages/rsn/dist/authenticator/authenticator.js'), children: [3] },
        { id: 3, callFrame: frame('Hmac', 'node:internal/crypto/hash') },
        { id: 4, callFrame: frame('route', 'file:///r/services/authenticator/dist/effect-router.js') },
        { id: 5, callFrame: frame('(idle)') },
        { id: 6, callFrame: frame('(garbage collector)') },
      ],
      samples: [2, 3, 3, 4, 5, 5, 5, 6],
      timeDeltas: [100, 100, 100, 100, 1000, 1000, 1000, 600],
    };
    const s = summarize(profile, ['handle', 'route', 'absent'], 2);
    assert.equal(s.busy_ms, 1);
    assert.equal(s.busy_us_per, 500);
    assert.deepEqual(s.layers, { gc: 60, 'node:crypto': 20, 'core (rsn)': 10, 'service glue': 10 });
    assert.deepEqual(s.inclusive, { handle: 30, route: 10, absent: 0 });
    assert.deepEqual(s.top_self[0], { fn: '(garbage collector)', pct: 60 });
  });

  void it('layers by script URL', () => {
    assert.equal(layerOf(frame('x', 'file:///r/packages/rsn/dist/crypto/kdf.js')), 'rsn crypto');
    assert.equal(layerOf(frame('x', 'file:///r/node_modules/@grpc/grpc-js/build/src/server.js')), 'grpc-js');
    assert.equal(layerOf(frame('x', 'file:///r/packages/proto/dist/gen/airlock/v1/agent_link.js')), 'protobuf');
    assert.equal(layerOf(frame('x', 'node:internal/http2/core')), 'node (other)');
  });
});
