import { useDirectory } from '../../api/directory';
import { Holder } from '../../ui/names/Holder';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import type { TokenSummary } from './home.api';
import { When } from './When';

/** The tokens that expire soonest within 7 days (at most 5), each a link to its page. */
export function ExpiringSoon({ summary }: { summary: TokenSummary }) {
  const { whoami } = useBusiness();
  const directory = useDirectory();
  const shown = summary.expiring_first;
  const more = summary.expiring_soon - shown.length;
  return (
    <section className="home-section card" id="expiring" aria-labelledby="expiring-head">
      <div className="section-head">
        <h2 id="expiring-head">Expiring in 7 days</h2>
        <Link to={paths.tokens}>All tokens</Link>
      </div>
      <ul className="home-list">
        {shown.map((t) => (
          <li key={t.id}>
            <span className="home-list-main wrap">
              <Link to={paths.token(t.id)}>{t.name}</Link>
              {t.disabled_at && <span className="badge badge-warn">paused</span>}
            </span>
            {summary.counted === 'business' && (
              <span className="home-list-side">
                <Holder
                  id={t.identity_id}
                  me={whoami.identity.id}
                  who={directory.byId.get(t.identity_id)}
                />
              </span>
            )}
            <span className="home-list-side">
              expires <When iso={t.expires_at} />
            </span>
          </li>
        ))}
      </ul>
      {more > 0 && (
        <p className="muted small">
          and {more} more expiring within 7 days: see <Link to={paths.tokens}>All tokens</Link>.
        </p>
      )}
    </section>
  );
}
