import { ErrorBox } from '../../ui/ErrorBox';
import { Loading } from '../../ui/Status';
import { STEP_MS, useVerifications } from '../analytics/analytics.api';
import { chartOf } from '../analytics/series';
import { StackedChart } from '../analytics/StackedChart';

/**
 * One token's verifications per hour over the last 24 hours, by outcome (`token_id`). Beside the requests
 * chart, which counts what the token did once accepted (2xx, 4xx); this one says why it was
 * refused (revoked, expired, out of scope, …), which the requests chart cannot show.
 */
export function TokenVerifications({ id }: { id: string }) {
  const counts = useVerifications('business', {
    window: '24h',
    groupBy: ['outcome'],
    tokenId: id,
  });
  const own = counts.data;
  const chart = own && chartOf(own, 'outcome');
  return (
    <section className="card" aria-labelledby="verifications">
      <h2 id="verifications">Verifications by outcome, last 24 hours</h2>
      {counts.isPending && <Loading />}
      <ErrorBox error={counts.error} />
      {own && chart && (
        <StackedChart
          label="This token's verifications per hour by outcome"
          from={Date.parse(own.from)}
          to={Date.parse(own.to)}
          step={STEP_MS[own.granularity]}
          buckets={chart.buckets}
          series={chart.series}
        />
      )}
    </section>
  );
}
