import { ErrorBox } from '../../ui/ErrorBox';
import { Loading } from '../../ui/Status';
import { Link, paths } from '../../router';
import { useTokenUsage } from '../../api/resources/tokens.api';
import { UsageChart } from '../../ui/tokens/UsageChart';
import { useUsageSummary, type UsageWindow } from '../../api/resources/usage.api';

const number = new Intl.NumberFormat('en');
const WINDOWS: readonly (readonly [UsageWindow, string])[] = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

/** One window's API requests, the console's own counted apart (as the usage screen ranks them). */
function WindowRow({ window, label }: { window: UsageWindow; label: string }) {
  const usage = useUsageSummary(window);
  const t = usage.data?.totals;
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {usage.isPending && <span className="muted">Loading…</span>}
        {usage.error && <span className="muted">not available</span>}
        {t && (
          <>
            <strong>{number.format(t.requests - t.console_requests)}</strong> API requests
            <span className="muted">
              {' '}
              · the console’s own {number.format(t.console_requests)} apart ·{' '}
              {number.format(t.client_error_count)} refused (4xx) · {number.format(t.tokens_used)}{' '}
              {t.tokens_used === 1 ? 'token' : 'tokens'} used
            </span>
          </>
        )}
      </dd>
    </div>
  );
}

/** The busiest token's requests per UTC hour, as its own page charts them. */
function BusiestChart({ id, name }: { id: string; name: string }) {
  const usage = useTokenUsage(id);
  return (
    <div className="home-chart">
      <p className="small">
        Busiest token, per hour (UTC): <Link to={paths.token(id)}>{name}</Link>
      </p>
      {usage.isPending && <Loading />}
      <ErrorBox error={usage.error} />
      {usage.data && <UsageChart usage={usage.data} />}
    </div>
  );
}

/**
 * API requests over the last 24 hours, 7 and 30 days (the usage screen's numbers, from its
 * cache), and the busiest token of the day charted by the hour: the same API requests, so the
 * card and its chart agree, and the console's own on the chart's toggle.
 */
export function UsageOverTime() {
  const day = useUsageSummary('24h');
  const busiest = day.data?.items.find((r) => r.requests - r.console_requests > 0);
  return (
    <section className="home-section card" aria-labelledby="usage-head">
      <div className="section-head">
        <h2 id="usage-head">Usage</h2>
        <Link to={paths.usage}>Usage by token</Link>
      </div>
      <dl className="facts home-facts">
        {WINDOWS.map(([w, label]) => (
          <WindowRow key={w} window={w} label={label} />
        ))}
      </dl>
      {busiest && <BusiestChart id={busiest.token.id} name={busiest.token.name} />}
    </section>
  );
}
