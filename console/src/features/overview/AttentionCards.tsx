import type { ReactNode } from 'react';
import { ErrorBox } from '../../ui/ErrorBox';
import { Loading } from '../../ui/Status';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import { useTokenSummary, type TokenSummary } from './home.api';
import { ExpiringSoon } from './ExpiringSoon';

const number = new Intl.NumberFormat('en');

/** One count, as a link to where its tokens are listed. A count that asks for action is toned. */
function Stat({
  value,
  label,
  to,
  warn = false,
}: {
  value: number;
  label: string;
  to: string;
  warn?: boolean;
}) {
  const tone = warn && value > 0 ? 'stat stat-warn' : 'stat';
  const body: ReactNode = (
    <>
      <span className="stat-value">{number.format(value)}</span>
      <span className="stat-label">{label}</span>
    </>
  );
  return (
    <li>
      {to.startsWith('#') ? (
        <a className={tone} href={to}>
          {body}
        </a>
      ) : (
        <Link className={tone} to={to}>
          {body}
        </Link>
      )}
    </li>
  );
}

function Stats({ summary }: { summary: TokenSummary }) {
  return (
    <ul className="stats">
      <Stat value={summary.active} label="Active" to={`${paths.tokens}?status=active`} />
      <Stat
        value={summary.expiring_soon}
        label="Expiring in 7 days"
        to={summary.expiring_soon > 0 ? '#expiring' : paths.tokens}
        warn
      />
      <Stat value={summary.disabled} label="Disabled" to={`${paths.tokens}?status=disabled`} />
      <Stat value={summary.risky} label="Risky" to={paths.risky} warn />
      <Stat
        value={summary.revoked_last_7_days}
        label="Revoked in 7 days"
        to={`${paths.tokens}?status=revoked`}
      />
    </ul>
  );
}

/** Console sessions (hours long by design) are counted apart from the tokens about to lapse. */
function Sessions({ count }: { count: number }) {
  if (count === 0) return null;
  return (
    <p className="muted">
      {number.format(count)} console {count === 1 ? 'session' : 'sessions'} from SSO sign-in, each
      lasting hours, counted in Active but not in Expiring.
    </p>
  );
}

/**
 * What of the business's tokens asks for attention (GET /api/v1/tokens/summary): the counts, each
 * a link to its list, and the tokens that expire soonest. Seen as the token list sees tokens.
 */
export function AttentionCards() {
  const { business } = useBusiness();
  const summary = useTokenSummary();
  const whose = summary.data?.counted === 'own' ? 'Your tokens' : `Tokens of ${business.name}`;
  return (
    <>
      <section className="home-section" aria-labelledby="attention">
        <div className="section-head">
          <h2 id="attention" className="wrap">
            {summary.data ? whose : 'Tokens'}
          </h2>
          {summary.data && (
            <span className="muted small">
              Counted at{' '}
              <time dateTime={summary.data.as_of}>{summary.data.as_of.slice(11, 16)} UTC</time>
            </span>
          )}
        </div>
        {summary.isPending && <Loading />}
        <ErrorBox error={summary.error} />
        {summary.data && <Stats summary={summary.data} />}
        {summary.data && <Sessions count={summary.data.console_sessions} />}
      </section>
      {summary.data && summary.data.expiring_soon > 0 && <ExpiringSoon summary={summary.data} />}
    </>
  );
}
