import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flameGraphSvg, type CpuProfile } from './flamegraph.js';

/** root -> main -> { hot (3 samples), cold (1 sample) }, plus idle samples. */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5] },
    { id: 2, callFrame: { functionName: 'main', url: 'file:///work/main/services/authenticator/dist/service.js', lineNumber: 1 }, children: [3, 4] },
    { id: 3, callFrame: { functionName: 'hot', url: 'node:internal/crypto/hash', lineNumber: 2 } },
    { id: 4, callFrame: { functionName: 'cold<&>', url: 'file:///x/node_modules/@grpc/grpc-js/build/src/a.js', lineNumber: 3 } },
    { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
  ],
  samples: [3, 3, 3, 4, 5, 5, 5, 5],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

void test('flame graph: widths follow busy time, idle is left out, titles are escaped', () => {
  const svg = flameGraphSvg(PROFILE, 'test', { width: 1000 });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /busy time 4 ms/, 'idle samples are not busy time');
  const width = (name: string): number => {
    const m = new RegExp(`<title>${name}[^<]*</title><rect [^>]*width="([0-9.]+)"`).exec(svg);
    assert.ok(m, `a box for ${name}`);
    return Number(m[1]);
  };
  assert.equal(width('all'), 1000);
  assert.equal(width('main'), 1000);
  assert.equal(width('hot'), 750);
  assert.equal(width('cold&lt;&amp;&gt;'), 250);
  assert.doesNotMatch(svg, /\(idle\)/);
  assert.match(svg, /hot crypto\/hash — 75.00% of busy time/);
});
