import { DayOfOutcomes } from '../../ui/charts/DayOfOutcomes';

/**
 * One token's verifications per hour over the last 24 hours, by outcome. Beside the requests
 * chart, which counts what the token did once accepted (2xx, 4xx); this one says why it was
 * refused (revoked, expired, out of scope, …), which the requests chart cannot show.
 */
export function TokenVerifications({ id }: { id: string }) {
  return (
    <section className="card" aria-labelledby="verifications">
      <h2 id="verifications">Verifications by outcome, last 24 hours</h2>
      <DayOfOutcomes label="This token's verifications per hour by outcome" tokenId={id} />
    </section>
  );
}
