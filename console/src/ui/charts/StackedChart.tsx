import type { ChartBucket, Series } from './series';

const number = new Intl.NumberFormat('en');

/** A bucket's start as the console writes times: UTC, to the minute or the day. */
export function slotLabel(ms: number, step: number): string {
  const iso = new Date(ms).toISOString();
  return step >= 86_400_000
    ? `${iso.slice(0, 10)} UTC`
    : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const UNIT: Record<number, string> = { 60_000: 'minute', 3_600_000: 'hour', 86_400_000: 'day' };

/** What one bucket holds, in words: "2026-11-28 09:41 UTC: 3 valid, 1 revoked". */
function describe(ms: number, step: number, counts: Map<string, number>, series: Series[]) {
  const parts = series
    .filter((s) => (counts.get(s.key) ?? 0) > 0)
    .map((s) => `${number.format(counts.get(s.key)!)} ${s.label.toLowerCase()}`);
  return `${slotLabel(ms, step)}: ${parts.length ? parts.join(', ') : 'none'}`;
}

/**
 * Counts per bucket as stacked bars, in inline SVG (classes and attributes, no style: the CSP's
 * style-src 'self' holds), every bucket of the window shown. Each bar is an image named by what
 * it holds; the legend gives each series' total, and a table gives every count, for those who do
 * not read the picture.
 */
export function StackedChart({
  label,
  from,
  to,
  step,
  buckets,
  series,
}: {
  label: string;
  from: number;
  to: number;
  step: number;
  buckets: ChartBucket[];
  series: Series[];
}) {
  const byStart = new Map(buckets.map((b) => [b.start, b]));
  const slots: number[] = [];
  for (let t = from - (from % step); t < to && slots.length < 1500; t += step) slots.push(t);
  const sumOf = (b: ChartBucket | undefined) =>
    b ? [...b.counts.values()].reduce((n, c) => n + c, 0) : 0;
  const max = Math.max(1, ...buckets.map(sumOf));
  const totals = series.map((s) => buckets.reduce((n, b) => n + (b.counts.get(s.key) ?? 0), 0));
  const total = totals.reduce((n, c) => n + c, 0);
  const width = 10;
  const height = 100;
  const unit = UNIT[step] ?? 'bucket';
  return (
    <figure className="chart stacked-chart">
      <svg
        viewBox={`0 0 ${slots.length * width} ${height}`}
        preserveAspectRatio="none"
        role="group"
        aria-label={`${label}, ${number.format(total)} in all`}
      >
        <line className="chart-axis" x1={0} y1={height} x2={slots.length * width} y2={height} />
        {slots.map((t, i) => {
          const b = byStart.get(t);
          const words = describe(t, step, b?.counts ?? new Map<string, number>(), series);
          let y = height;
          return (
            <g key={t} role="img" aria-label={words}>
              <title>{words}</title>
              {sumOf(b) === 0 ? (
                <rect
                  className="bar-empty"
                  x={i * width + 1}
                  y={height - 0.5}
                  width={width - 2}
                  height={0.5}
                />
              ) : (
                series.map((s) => {
                  const n = b!.counts.get(s.key) ?? 0;
                  if (n === 0) return null;
                  const h = Math.max(1.5, (n / max) * (height - 4));
                  y -= h;
                  return (
                    <rect
                      key={s.key}
                      className={s.tone}
                      x={i * width + 1}
                      y={y}
                      width={width - 2}
                      height={h}
                    />
                  );
                })
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-caption">
        <span>{slots.length > 0 ? slotLabel(slots[0], step) : ''}</span>
        <span>
          {total === 0
            ? 'No verifications in this window'
            : `${number.format(total)} verifications, at most ${number.format(max)} in a ${unit}`}
        </span>
        <span>{slots.length > 0 ? slotLabel(slots[slots.length - 1], step) : ''}</span>
      </figcaption>
      {series.length > 0 && (
        <ul className="chart-legend" aria-label={`${label}: legend`}>
          {series.map((s, i) => (
            <li key={s.key}>
              <svg className="swatch" viewBox="0 0 10 10" aria-hidden="true">
                <rect className={s.tone} x={0} y={0} width={10} height={10} />
              </svg>
              <span className="legend-label">{s.label}</span>{' '}
              <span className="legend-count">{number.format(totals[i])}</span>
            </li>
          ))}
        </ul>
      )}
      {buckets.length > 0 && (
        <details className="chart-table">
          <summary>Every count, per {unit}, as a table</summary>
          <div className="table-wrap" role="region" aria-label={`${label}: counts`} tabIndex={0}>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{unit === 'day' ? 'Day' : 'From'}</th>
                  {series.map((s) => (
                    <th key={s.key} scope="col">
                      {s.label}
                    </th>
                  ))}
                  <th scope="col">Total</th>
                </tr>
              </thead>
              <tbody>
                {buckets.map((b) => (
                  <tr key={b.start}>
                    <th scope="row">{slotLabel(b.start, step)}</th>
                    {series.map((s) => (
                      <td key={s.key}>{number.format(b.counts.get(s.key) ?? 0)}</td>
                    ))}
                    <td>{number.format(sumOf(b))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
