import type { TokenUsage } from '../../api/types';

const HOUR = 3_600_000;

function hourLabel(ms: number): string {
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/**
 * Requests per UTC hour as an inline SVG bar chart (attributes, not inline styles, so the CSP's
 * style-src 'self' holds), every hour of the window shown, each bar with its own label.
 */
export function UsageChart({ usage }: { usage: TokenUsage }) {
  const start = Math.floor(Date.parse(usage.from) / HOUR) * HOUR;
  const end = Date.parse(usage.to);
  const byHour = new Map(usage.hours.map((h) => [Math.floor(Date.parse(h.hour) / HOUR) * HOUR, h]));
  const hours: number[] = [];
  for (let t = start; t < end && hours.length < 24 * 31; t += HOUR) hours.push(t);
  const max = Math.max(1, ...usage.hours.map((h) => h.requests));
  const total = usage.hours.reduce((n, h) => n + h.requests, 0);
  const width = 10;
  const height = 100;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${hours.length * width} ${height}`}
        preserveAspectRatio="none"
        role="group"
        aria-label={`Requests per hour, ${total} in all`}
      >
        <line className="chart-axis" x1={0} y1={height} x2={hours.length * width} y2={height} />
        {hours.map((t, i) => {
          const h = byHour.get(t);
          const n = h?.requests ?? 0;
          const barHeight = n === 0 ? 0.5 : Math.max(2, (n / max) * (height - 4));
          const label = h
            ? `${hourLabel(t)}: ${n} requests (${h.ok_count} 2xx, ${h.client_error_count} 4xx)`
            : `${hourLabel(t)}: no requests`;
          return (
            <rect
              key={t}
              className={n === 0 ? 'bar bar-empty' : 'bar'}
              x={i * width + 1}
              y={height - barHeight}
              width={width - 2}
              height={barHeight}
              role="img"
              aria-label={label}
            >
              <title>{label}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="chart-caption">
        <span>{hours.length > 0 ? hourLabel(hours[0]) : ''}</span>
        <span>
          {total === 0
            ? 'No requests in this window'
            : `${total} requests, at most ${max} in an hour`}
        </span>
        <span>{hours.length > 0 ? hourLabel(hours[hours.length - 1]) : ''}</span>
      </figcaption>
    </figure>
  );
}
