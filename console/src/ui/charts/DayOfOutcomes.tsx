import { ErrorBox } from '../ErrorBox';
import { Loading } from '../Status';
import { CLIENTS, STEP_MS, useVerifications } from '../../api/resources/analytics.api';
import { chartOf } from './series';
import { StackedChart } from './StackedChart';

/**
 * The business's verifications per hour over the last 24 hours by outcome, or one token's
 * (`tokenId`), as a stacked chart named `label`: what the home page and a token's page show.
 * The API's calls: the console's own, this page's among them, are on the Analytics screen.
 */
export function DayOfOutcomes({ label, tokenId }: { label: string; tokenId?: string }) {
  const counts = useVerifications('business', {
    window: '24h',
    groupBy: ['outcome'],
    ...(tokenId ? { tokenId } : {}),
  });
  const answer = counts.data;
  const chart = answer && chartOf(answer, 'outcome');
  return (
    <>
      {counts.isPending && <Loading />}
      <ErrorBox error={counts.error} />
      {answer && chart && (
        <StackedChart
          label={label}
          from={Date.parse(answer.from)}
          to={Date.parse(answer.to)}
          step={STEP_MS[answer.granularity]}
          buckets={chart.buckets}
          series={chart.series}
        />
      )}
      <p className="hint">{CLIENTS.api.says}</p>
    </>
  );
}
