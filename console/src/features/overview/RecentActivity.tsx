import { useBusinessNames } from '../../api/directory';
import type { AuditEvent } from '../../api/types';
import { ErrorBox } from '../../ui/ErrorBox';
import { nameOf } from '../../ui/names/Named';
import { Empty, Loading } from '../../ui/Status';
import { Link, paths } from '../../router';
import { TokenState } from '../../ui/tokens/TokenFacts';
import { useRecentAudit, useRecentOwnTokens } from './home.api';
import { When } from './When';

/** "alice@acme.test", "machine deploy-bot", "system": who acted, by name, never an id. */
function actorOf(e: AuditEvent): string {
  const name = nameOf(e.actor.type, e.actor.label);
  return e.actor.type === 'machine' ? `machine ${name}` : name || e.actor.type;
}

/** "token ci-deploy": what was acted on, by its label; only its kind when it has none. */
function targetOf(e: AuditEvent): string {
  const name = nameOf(e.target.type, e.target.label);
  return name ? `${e.target.type} ${name}` : e.target.type;
}

/**
 * The newest events of the audit log, for an owner or admin whose token allows audit:read (or a
 * platform admin, on the platform's log): who did what to what, and when.
 */
export function RecentActivity({ scope }: { scope: 'business' | 'platform' }) {
  const events = useRecentAudit(scope, true);
  // The platform's chain holds every business's events: each is named by its business.
  const businesses = useBusinessNames(scope === 'platform');
  const all = scope === 'platform' ? paths.platformAudit : paths.audit;
  return (
    <section className="home-section card" aria-labelledby="activity">
      <div className="section-head">
        <h2 id="activity">Recent activity</h2>
        <Link to={all}>{scope === 'platform' ? 'Platform audit' : 'Audit log'}</Link>
      </div>
      {events.isPending && <Loading />}
      <ErrorBox error={events.error} />
      {events.data && events.data.items.length === 0 && <Empty>Nothing has happened yet.</Empty>}
      {events.data && events.data.items.length > 0 && (
        <ul className="home-list home-list-stacked">
          {events.data.items.map((e) => (
            <li key={e.id}>
              <span className="home-list-main">
                <span className="wrap">{actorOf(e)}</span>{' '}
                <code className="action">{e.action}</code>{' '}
                <span className="wrap">{targetOf(e)}</span>
                {e.outcome !== 'success' && <span className="badge badge-bad">{e.outcome}</span>}
              </span>
              <span className="home-list-meta">
                <When iso={e.occurred_at} />
                {e.business_id && businesses.has(e.business_id) && (
                  <span className="wrap"> · in {businesses.get(e.business_id)}</span>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A member's own newest tokens, in place of the audit log they may not read. */
export function RecentOwnTokens() {
  const tokens = useRecentOwnTokens(true);
  return (
    <section className="home-section card" aria-labelledby="own-tokens">
      <div className="section-head">
        <h2 id="own-tokens">Your newest tokens</h2>
        <Link to={paths.tokens}>All your tokens</Link>
      </div>
      {tokens.isPending && <Loading />}
      <ErrorBox error={tokens.error} />
      {tokens.data && tokens.data.items.length === 0 && <Empty>You hold no tokens yet.</Empty>}
      {tokens.data && tokens.data.items.length > 0 && (
        <ul className="home-list">
          {tokens.data.items.map((t) => (
            <li key={t.id}>
              <span className="home-list-main wrap">
                <Link to={paths.token(t.id)}>{t.name}</Link>
              </span>
              <span className="home-list-side">
                <TokenState token={t} />
              </span>
              <span className="home-list-side">
                made <When iso={t.created_at} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
