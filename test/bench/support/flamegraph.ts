/**
 * A flame graph (SVG) from a V8 CPU profile (`node --cpu-prof`): one box per call path,
 * as wide as the time spent in it and below it, callers at the bottom. Idle and the
 * profiler's own (root) frames are left out, so the width is the busy time. Boxes narrower
 * than `minWidthPx` are merged into their parent; each box has a <title> with the function,
 * its file and its share of the busy time, so a browser shows it on hover.
 */

/** The parts of a .cpuprofile this needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  name: string;
  file: string;
  total: number;
  children: Map<string, Frame>;
}

const SKIP = new Set(['(root)', '(idle)', '(program)', '(garbage collector)']);

/** Where a frame comes from, for its colour. */
function category(url: string, name: string): 'ours' | 'node' | 'deps' | 'native' {
  if (url === '') return name === '(garbage collector)' ? 'native' : 'native';
  if (url.includes('node_modules/')) return 'deps';
  if (url.startsWith('node:')) return 'node';
  return 'ours';
}

const COLOURS = { ours: ['#e8743b', '#f0a35e'], node: ['#5b9bd5', '#8fbbe3'], deps: ['#70ad47', '#a1cd86'], native: ['#a5a5a5', '#c9c9c9'] };

function shortFile(url: string): string {
  if (url === '') return '';
  const parts = url.replace(/^file:\/\//, '').split('/');
  return parts.slice(-2).join('/');
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Builds the SVG. `title` heads the picture. */
export function flameGraphSvg(profile: CpuProfile, title: string, o: { width?: number; rowHeight?: number; minWidthPx?: number } = {}): string {
  const width = o.width ?? 1200;
  const rowHeight = o.rowHeight ?? 16;
  const minWidthPx = o.minWidthPx ?? 0.5;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const root: Frame = { name: 'all', file: '', total: 0, children: new Map() };
  for (const [id, t] of self) {
    const leaf = byId.get(id);
    if (leaf === undefined || SKIP.has(leaf.callFrame.functionName) || t <= 0) continue;
    const path: { name: string; file: string }[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined || n.callFrame.functionName === '(root)') break;
      path.push({ name: n.callFrame.functionName || '(anonymous)', file: n.callFrame.url });
    }
    path.reverse();
    root.total += t;
    let f = root;
    for (const p of path) {
      const key = `${p.name}\0${p.file}`;
      let c = f.children.get(key);
      if (c === undefined) f.children.set(key, (c = { name: p.name, file: p.file, total: 0, children: new Map() }));
      c.total += t;
      f = c;
    }
  }

  const boxes: string[] = [];
  let maxDepth = 0;
  const scale = root.total > 0 ? width / root.total : 0;
  const draw = (f: Frame, x: number, depth: number): void => {
    const w = f.total * scale;
    if (w < minWidthPx) return;
    maxDepth = Math.max(maxDepth, depth);
    const cat = category(f.file, f.name);
    const colour = COLOURS[cat][depth % 2];
    const share = root.total > 0 ? ((100 * f.total) / root.total).toFixed(2) : '0';
    const label = `${f.name} ${shortFile(f.file)}`.trim();
    const tip = `${label} — ${share}% of busy time (${(f.total / 1000).toFixed(1)} ms)`;
    const chars = Math.floor((w - 4) / 6.5);
    const text = chars >= 3 ? (label.length <= chars ? label : `${label.slice(0, chars - 1)}…`) : '';
    boxes.push(
      `<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(2)}" y="${depth}" width="${w.toFixed(2)}" height="${rowHeight - 1}" fill="${colour}" rx="1"/>` +
        (text === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${depth}" dy="${rowHeight - 4}">${escapeXml(text)}</text>`) +
        '</g>',
    );
    let cx = x;
    for (const c of [...f.children.values()].sort((a, b) => b.total - a.total)) {
      draw(c, cx, depth + 1);
      cx += c.total * scale;
    }
  };
  draw(root, 0, 0);
  const height = (maxDepth + 1) * rowHeight;
  const top = 40;
  // Depth 0 at the bottom: y = top + height - (depth + 1) * rowHeight.
  const body = boxes.map((b) => b.replace(/ y="(\d+)"/g, (_m, d: string) => ` y="${top + height - (Number(d) + 1) * rowHeight}"`)).join('\n');
  const legend = Object.entries({ ours: 'airlock', node: 'Node.js', deps: 'dependencies (grpc-js, protobuf, prom-client)', native: 'native' })
    .map(([k, label], i) => `<rect x="${10 + i * 240}" y="22" width="12" height="10" fill="${COLOURS[k as keyof typeof COLOURS][0]}"/><text x="${26 + i * 240}" y="31">${escapeXml(label)}</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 10}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="14" font-size="13">${escapeXml(title)} — busy time ${(root.total / 1000).toFixed(0)} ms</text>`,
    legend,
    body,
    '</svg>',
    '',
  ].join('\n');
}
