import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that self time needs. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function (name and file:line). */
  functions: SelfTime[];
  /** Self time by package (a node_modules package, `node:` internals, our dist/ folders, V8). */
  packages: SelfTime[];
  /** Inclusive time (self time of the function and all it calls) by package, counted once per sample. */
  inclusive: SelfTime[];
  /** Inclusive time by function, counted once per sample. */
  inclusiveFunctions: SelfTime[];
}

/** Where a frame's code lives: `@nestjs/core`, `node:internal`, `latchkey src/auth`, or a V8 bucket. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') {
    // V8's own buckets: (garbage collector), (idle), (program), (root); natives have a name.
    return functionName.startsWith('(') ? functionName : `native ${functionName}`;
  }
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const dist = /\/dist\/(src\/[^/]+|bench|support)(\/|\.js)/.exec(url);
  if (dist) return `latchkey ${dist[1]}`;
  return url;
}

const shortUrl = (url: string) => {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url;
};

const nameOf = ({ functionName, url, lineNumber }: ProfileNode['callFrame']) =>
  url ? `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}` : functionName;

function sorted(map: Map<string, number>, totalMs: number, top: number): SelfTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms, share: ms / totalMs }));
}

/**
 * Sums a profile's samples: self time by function and by package, and inclusive time by package
 * (a sample counts once for every package on its stack). Samples before `fromMs` (start-up) are
 * left out, so the figures are the load's.
 */
export function summarize(file: string, top = 30, fromMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusiveFunctions = new Map<string, number>();
  let totalMs = 0;
  let clock = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = profile.timeDeltas[i] / 1000;
    clock += ms;
    if (clock < fromMs) continue;
    totalMs += ms;
    const node = byId.get(profile.samples[i])!;
    const name = nameOf(node.callFrame);
    const { functionName, url } = node.callFrame;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      const p = packageOf(frame.url, frame.functionName);
      if (p === '(root)') continue;
      if (!seen.has(p)) {
        seen.add(p);
        inclusive.set(p, (inclusive.get(p) ?? 0) + ms);
      }
      const f = nameOf(frame);
      if (!seen.has(f)) {
        seen.add(f);
        inclusiveFunctions.set(f, (inclusiveFunctions.get(f) ?? 0) + ms);
      }
    }
  }
  return {
    totalMs,
    functions: sorted(functions, totalMs, top),
    packages: sorted(packages, totalMs, top),
    inclusive: sorted(inclusive, totalMs, top),
    inclusiveFunctions: sorted(inclusiveFunctions, totalMs, top * 2),
  };
}

export function printSummary(title: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  const lines = [`${title}: ${(s.totalMs / 1000).toFixed(1)} s of samples`];
  for (const [label, list] of [
    ['self time by function', s.functions],
    ['self time by package', s.packages],
    ['inclusive time by package', s.inclusive],
    ['inclusive time by function', s.inclusiveFunctions],
  ] as const) {
    lines.push(`  ${label}:`);
    for (const e of list) lines.push(`    ${pct(e.share)}  ${e.name}`);
  }
  return lines.join('\n');
}
