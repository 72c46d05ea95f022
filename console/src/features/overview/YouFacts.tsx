import { Link, paths } from '../../router';
import { useSession } from '../../session';
import { Scopes, TokenState } from '../../ui/tokens/TokenFacts';
import { When } from './When';

/** Who is signed in, where, and with which token: one aligned list of what matters. */
export function YouFacts() {
  const { whoami, business } = useSession();
  const token = whoami.token;
  const role = whoami.is_platform_token ? 'platform admin' : business?.role;
  return (
    <section className="home-section card" aria-labelledby="you">
      <h2 id="you">You</h2>
      <dl className="facts home-facts">
        <div>
          <dt>Signed in as</dt>
          <dd className="wrap">
            {whoami.identity.label} <span className="muted">({whoami.identity.kind})</span>
          </dd>
        </div>
        {role && (
          <div>
            <dt>Role</dt>
            <dd>
              {role}
              {business && (
                <>
                  {' '}
                  <span className="muted">in</span> <span className="wrap">{business.name}</span>
                </>
              )}
            </dd>
          </div>
        )}
        <div>
          <dt>Token</dt>
          <dd>
            {business && !whoami.is_platform_token ? (
              <Link to={paths.token(token.id)}>{token.name}</Link>
            ) : (
              <span className="wrap">{token.name}</span>
            )}{' '}
            <TokenState token={token} /> <code className="muted small">{token.preview}</code>
          </dd>
        </div>
        <div>
          <dt>Scopes</dt>
          <dd>
            <Scopes scopes={token.scopes} />
          </dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd>
            <When iso={token.expires_at} empty="never" />
          </dd>
        </div>
      </dl>
    </section>
  );
}
