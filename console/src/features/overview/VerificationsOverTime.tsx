import { ErrorBox } from '../../ui/ErrorBox';
import { Loading } from '../../ui/Status';
import { Link, paths } from '../../router';
import { STEP_MS, useVerifications } from '../analytics/analytics.api';
import { chartOf } from '../analytics/series';
import { StackedChart } from '../analytics/StackedChart';

/**
 * The business's verifications per hour over the last 24 hours, by outcome: how many of its
 * tokens' calls were refused, and why (revoked, expired, out of scope, …), as the Analytics screen
 * shows them. Seen as the token list is: every token's by who manages all, else the caller's own.
 */
export function VerificationsOverTime() {
  const counts = useVerifications('business', { window: '24h', groupBy: ['outcome'] });
  const answer = counts.data;
  const chart = answer && chartOf(answer, 'outcome');
  return (
    <section className="home-section card" aria-labelledby="verifications-head">
      <div className="section-head">
        <h2 id="verifications-head">Verifications by outcome, last 24 hours</h2>
        <Link to={paths.analytics}>Analytics</Link>
      </div>
      {counts.isPending && <Loading />}
      <ErrorBox error={counts.error} />
      {answer && chart && (
        <StackedChart
          label="Verifications per hour by outcome, last 24 hours"
          from={Date.parse(answer.from)}
          to={Date.parse(answer.to)}
          step={STEP_MS[answer.granularity]}
          buckets={chart.buckets}
          series={chart.series}
        />
      )}
    </section>
  );
}
