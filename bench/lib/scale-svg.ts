/**
 * The curve of `npm run bench:scale`, as SVG text: one panel per driver, tokens on a log axis,
 * each figure divided by its value at the smallest size, so "flat" is a line at 1 and the goal
 * is one line at 1.5 for all. Throughput is inverted (the first size's ÷ this one's) so that up
 * is worse for every line.
 */
import { FIGURE_NAMES, type Medians, type ScaleFigures } from './scale-measure';

export interface ScalePoint {
  driver: string;
  tokens: number;
  figures: ScaleFigures;
  medians: Medians;
  /** The database's size at this point, in bytes. */
  dbBytes: number;
}

/** The goal: every figure at the largest size within 1.5× of its value at the smallest. */
export const GOAL_RATIO = 1.5;

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#7f7f7f'];
const PANEL = { w: 420, h: 300, left: 56, top: 40, right: 16, bottom: 46 };
const LEGEND_H = 24 * 3 + 8;

/** How much worse `f` is at `point` than at `first`: > 1 is worse, whichever way it counts. */
export function worseness(f: keyof ScaleFigures, first: ScaleFigures, point: ScaleFigures) {
  return f === 'verify_hit_rps' ? first[f] / point[f] : point[f] / first[f];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmtTokens = (n: number) =>
  n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);

function panel(driver: string, points: ScalePoint[], x0: number, yMax: number): string[] {
  const w = PANEL.w - PANEL.left - PANEL.right;
  const h = PANEL.h - PANEL.top - PANEL.bottom;
  const sizes = points.map((p) => p.tokens);
  const lo = Math.log10(Math.min(...sizes));
  const hi = Math.max(Math.log10(Math.max(...sizes)), lo + 1);
  const x = (n: number) => x0 + PANEL.left + ((Math.log10(n) - lo) / (hi - lo)) * w;
  const y = (r: number) => PANEL.top + h - (Math.min(r, yMax) / yMax) * h;
  const out = [
    `<text x="${x0 + PANEL.left + w / 2}" y="22" text-anchor="middle" font-weight="bold">${esc(driver)}</text>`,
    `<rect x="${x0 + PANEL.left}" y="${PANEL.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (let decade = Math.ceil(lo); decade <= Math.floor(hi); decade++) {
    const n = 10 ** decade;
    out.push(
      `<line x1="${x(n)}" y1="${PANEL.top}" x2="${x(n)}" y2="${PANEL.top + h}" stroke="#eee"/>`,
      `<text x="${x(n)}" y="${PANEL.top + h + 16}" text-anchor="middle">${fmtTokens(n)}</text>`,
    );
  }
  for (const n of sizes.filter((n) => !Number.isInteger(Math.log10(n)))) {
    out.push(
      `<text x="${x(n)}" y="${PANEL.top + h + 16}" text-anchor="middle" fill="#777">${fmtTokens(n)}</text>`,
    );
  }
  out.push(
    `<text x="${x0 + PANEL.left + w / 2}" y="${PANEL.h - 8}" text-anchor="middle">tokens (log scale)</text>`,
  );
  const step = yMax <= 3 ? 0.5 : yMax <= 6 ? 1 : Math.ceil(yMax / 6);
  for (let r = 0; r <= yMax + 1e-9; r += step) {
    out.push(
      `<line x1="${x0 + PANEL.left}" y1="${y(r)}" x2="${x0 + PANEL.left + w}" y2="${y(r)}" stroke="#f0f0f0"/>`,
      `<text x="${x0 + PANEL.left - 6}" y="${y(r) + 4}" text-anchor="end">${r.toFixed(1)}×</text>`,
    );
  }
  out.push(
    `<line x1="${x0 + PANEL.left}" y1="${y(GOAL_RATIO)}" x2="${x0 + PANEL.left + w}" y2="${y(GOAL_RATIO)}" stroke="#000" stroke-dasharray="6 4"/>`,
    `<text x="${x0 + PANEL.left + w - 4}" y="${y(GOAL_RATIO) - 5}" text-anchor="end">goal ${GOAL_RATIO}×</text>`,
  );
  FIGURE_NAMES.forEach((f, i) => {
    const pts = points.map(
      (p) =>
        `${x(p.tokens).toFixed(1)},${y(worseness(f, points[0].figures, p.figures)).toFixed(1)}`,
    );
    out.push(
      `<polyline points="${pts.join(' ')}" fill="none" stroke="${COLOURS[i]}" stroke-width="2"/>`,
    );
    for (const pt of pts) {
      const [cx, cy] = pt.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${COLOURS[i]}"/>`);
    }
  });
  return out;
}

/** The whole chart: a panel per driver side by side, the legend under them. */
export function scaleSvg(points: ScalePoint[], caption: string): string {
  const drivers = [...new Set(points.map((p) => p.driver))];
  const ratios = points.flatMap((p) => {
    const first = points.find((q) => q.driver === p.driver)!.figures;
    return FIGURE_NAMES.map((f) => worseness(f, first, p.figures));
  });
  const yMax = Math.max(2, Math.ceil(Math.max(...ratios.filter(Number.isFinite)) * 2) / 2);
  const width = PANEL.w * drivers.length;
  const height = PANEL.h + LEGEND_H + 20;
  const body = drivers.flatMap((d, i) =>
    panel(
      d,
      points.filter((p) => p.driver === d),
      i * PANEL.w,
      yMax,
    ),
  );
  FIGURE_NAMES.forEach((f, i) => {
    const lx = 16 + (i % 2) * (width / 2);
    const ly = PANEL.h + 14 + Math.floor(i / 2) * 24;
    const label = f === 'verify_hit_rps' ? `${f} (inverted: first ÷ this)` : f;
    body.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${COLOURS[i]}" stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${esc(label)}</text>`,
    );
  });
  body.push(`<text x="16" y="${height - 8}" fill="#555">${esc(caption)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...body.map((l) => `  ${l}`),
    '</svg>',
    '',
  ].join('\n');
}
