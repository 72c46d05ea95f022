import type { ReactNode } from 'react';
import type { TokenView } from '../../api/types';
import { IdToggle } from '../names/IdToggle';
import { MetaView } from './MetaField';
import { BindingFacts } from './TokenBinding';
import { Badge, Id } from '../lists/Table';
import { Time } from '../Time';
import { tokenState, type TokenStateFields } from './token-state';

/** A token's badges, from its state (token-state.ts): "disabled" in place of "active" while paused. */
export function TokenState({ token }: { token: TokenStateFields }) {
  return (
    <span className="badges">
      {tokenState(token).badges.map((b) => (
        <Badge key={b.label} tone={b.tone}>
          {b.label}
        </Badge>
      ))}
    </span>
  );
}

/** "3 of 5 left, refilled to 5 daily", or "no limit". */
export function Uses({
  token,
}: {
  token: Pick<TokenView, 'uses_limit' | 'uses_remaining' | 'refill'>;
}) {
  if (token.uses_limit === null) return <span className="muted">no limit</span>;
  const refill = token.refill
    ? `, refilled to ${token.refill.amount} ${token.refill.interval}`
    : ', no refill';
  return (
    <span>
      {token.uses_remaining ?? token.uses_limit} of {token.uses_limit} left{refill}
    </span>
  );
}

export function Scopes({ scopes }: { scopes: string[] | null }) {
  if (scopes === null) return <span className="muted">unrestricted</span>;
  if (scopes.length === 0) return <span className="muted">none (own tokens only)</span>;
  return <span className="wrap">{scopes.join(', ')}</span>;
}

/**
 * A token view as a definition list. `holder` and `business` name them (the ids one click away);
 * without a name, the id is shown. `children` are more rows (`<div><dt/><dd/></div>`), in the same
 * list so that they line up with the rest.
 */
export function TokenFacts({
  token,
  holder,
  business,
  children,
}: {
  token: TokenView;
  holder?: ReactNode;
  business?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <dl className="facts">
      <div>
        <dt>Status</dt>
        <dd>
          <TokenState token={token} />
        </dd>
      </div>
      {token.disabled_at && token.status !== 'revoked' && (
        <div>
          <dt>Disabled</dt>
          <dd>
            <Time iso={token.disabled_at} /> by <span className="wrap">{token.disabled_by}</span>
            {token.disabled_reason && (
              <>
                {' '}
                — <span className="wrap">{token.disabled_reason}</span>
              </>
            )}
          </dd>
        </div>
      )}
      <div>
        <dt>Preview</dt>
        <dd>
          <code>{token.preview}</code>
        </dd>
      </div>
      <div>
        <dt>Scopes</dt>
        <dd>
          <Scopes scopes={token.scopes} />
        </dd>
      </div>
      <div>
        <dt>Id</dt>
        <dd>
          <Id>{token.id}</Id>
        </dd>
      </div>
      <div>
        <dt>JTI</dt>
        <dd>
          <Id>{token.jti}</Id>
        </dd>
      </div>
      <div>
        <dt>Holder</dt>
        <dd>
          {holder ? (
            <span className="named">
              {holder}
              <IdToggle id={token.identity_id} of="the holder" />
            </span>
          ) : (
            <Id>{token.identity_id}</Id>
          )}
        </dd>
      </div>
      {token.business_id && (
        <div>
          <dt>Business</dt>
          <dd>
            {business ? (
              <span className="named">
                {business}
                <IdToggle id={token.business_id} of="the business" />
              </span>
            ) : (
              <Id>{token.business_id}</Id>
            )}
          </dd>
        </div>
      )}
      <div>
        <dt>Created</dt>
        <dd>
          <Time iso={token.created_at} /> by <span className="wrap">{token.created_by}</span>
        </dd>
      </div>
      <div>
        <dt>Expires</dt>
        <dd>
          <Time iso={token.expires_at} empty="never" />
        </dd>
      </div>
      <div>
        <dt>Last used</dt>
        <dd>
          <Time iso={token.last_used_at} empty="never" />
        </dd>
      </div>
      <BindingFacts token={token} />
      <div>
        <dt>Allowed networks</dt>
        <dd className="wrap">
          {token.allowed_cidrs ? (
            token.allowed_cidrs.join(', ')
          ) : (
            <span className="muted">anywhere</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Rate limit</dt>
        <dd>
          {token.rate_limit_per_minute !== null ? (
            `${token.rate_limit_per_minute} per minute`
          ) : (
            <span className="muted">none of its own</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Uses</dt>
        <dd>
          <Uses token={token} />
        </dd>
      </div>
      <div>
        <dt>Meta</dt>
        <dd>
          <MetaView meta={token.meta} />
        </dd>
      </div>
      {token.rotated_from_id && (
        <div>
          <dt>Rotated from</dt>
          <dd>
            <Id>{token.rotated_from_id}</Id>
          </dd>
        </div>
      )}
      {token.revoked_at && (
        <div>
          <dt>Revoked</dt>
          <dd>
            <Time iso={token.revoked_at} /> by <span className="wrap">{token.revoked_by}</span>
            {token.revocation_reason && (
              <>
                {' '}
                — <span className="wrap">{token.revocation_reason}</span>
              </>
            )}
          </dd>
        </div>
      )}
      {children}
    </dl>
  );
}
