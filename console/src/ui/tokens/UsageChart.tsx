import { useId, useState } from 'react';
import type { TokenUsage } from '../../api/types';
import { Segmented } from '../charts/Segmented';

const HOUR = 3_600_000;

function hourLabel(ms: number): string {
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

type Client = 'api' | 'console';
const CLIENTS: readonly (readonly [Client, string])[] = [
  ['api', 'API requests'],
  ['console', 'Console’s own'],
];
type Hour = TokenUsage['hours'][number];
/** An hour's requests of a client: the console's are counted apart (`console_requests`). */
const requestsOf = (h: Hour, client: Client) =>
  client === 'console' ? h.console_requests : h.requests - h.console_requests;

/**
 * Requests per UTC hour as an inline SVG bar chart (attributes, not inline styles, so the CSP's
 * style-src 'self' holds), every hour of the window shown, each bar with its own label. The
 * API's requests, the console's own on a toggle, so a person browsing the console (this page's
 * own calls among them) never reads as the token's traffic; the caption says which is shown.
 */
export function UsageChart({ usage }: { usage: TokenUsage }) {
  const [client, setClient] = useState<Client>('api');
  const name = useId();
  const start = Math.floor(Date.parse(usage.from) / HOUR) * HOUR;
  const end = Date.parse(usage.to);
  const byHour = new Map(usage.hours.map((h) => [Math.floor(Date.parse(h.hour) / HOUR) * HOUR, h]));
  const hours: number[] = [];
  for (let t = start; t < end && hours.length < 24 * 31; t += HOUR) hours.push(t);
  const max = Math.max(1, ...usage.hours.map((h) => requestsOf(h, client)));
  const total = usage.hours.reduce((n, h) => n + requestsOf(h, client), 0);
  const other = usage.hours.reduce(
    (n, h) => n + requestsOf(h, client === 'api' ? 'console' : 'api'),
    0,
  );
  const what = client === 'api' ? 'API requests' : 'console requests';
  const width = 10;
  const height = 100;
  return (
    <figure className="chart">
      <Segmented
        name={name}
        legend="Whose requests"
        value={client}
        options={CLIENTS}
        onChange={setClient}
      />
      <svg
        viewBox={`0 0 ${hours.length * width} ${height}`}
        preserveAspectRatio="none"
        role="group"
        aria-label={`${client === 'api' ? 'API requests' : 'Console requests'} per hour, ${total} in all`}
      >
        <line className="chart-axis" x1={0} y1={height} x2={hours.length * width} y2={height} />
        {hours.map((t, i) => {
          const h = byHour.get(t);
          const n = h ? requestsOf(h, client) : 0;
          const barHeight = n === 0 ? 0.5 : Math.max(2, (n / max) * (height - 4));
          // 2xx and 4xx are the hour's, console's and API's together: the API does not split them.
          const label =
            h && n > 0
              ? `${hourLabel(t)}: ${n} ${what} (of all ${h.requests}: ${h.ok_count} 2xx, ${h.client_error_count} 4xx)`
              : `${hourLabel(t)}: no ${what}`;
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
            ? `No ${what} in this window`
            : `${total} ${what}, at most ${max} in an hour`}
          {client === 'api' ? ` (the console’s own ${other} apart)` : ` (the API’s ${other} apart)`}
        </span>
        <span>{hours.length > 0 ? hourLabel(hours[hours.length - 1]) : ''}</span>
      </figcaption>
    </figure>
  );
}
