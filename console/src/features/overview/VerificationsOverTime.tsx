import { Link, paths } from '../../router';
import { DayOfOutcomes } from '../../ui/charts/DayOfOutcomes';

/**
 * The business's verifications per hour over the last 24 hours, by outcome: how many of its
 * tokens' calls were refused, and why (revoked, expired, out of scope, …), as the Analytics screen
 * shows them. Seen as the token list is: every token's by who manages all, else the caller's own.
 */
export function VerificationsOverTime() {
  return (
    <section className="home-section card" aria-labelledby="verifications-head">
      <div className="section-head">
        <h2 id="verifications-head">Verifications by outcome, last 24 hours</h2>
        <Link to={paths.analytics}>Analytics</Link>
      </div>
      <DayOfOutcomes label="Verifications per hour by outcome, last 24 hours" />
    </section>
  );
}
