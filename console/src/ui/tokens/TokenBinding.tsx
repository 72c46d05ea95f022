import type { TokenView } from '../../api/types';
import { Badge, Id } from '../lists/Table';

/** What a token's bindings are read from: its key (RFC 9449) and its audiences (RFC 8707). */
export type BindableToken = Pick<TokenView, 'dpop_jkt' | 'audiences'>;

/**
 * Whether a token is bound to a key (RFC 9449): "Bound to key" and the key's JWK thumbprint
 * (selectable, as every id is), or "Bearer", which anyone holding the string can use.
 */
export function Binding({ token }: { token: BindableToken }) {
  if (token.dpop_jkt === null) {
    return (
      <span>
        Bearer <span className="muted">(anyone holding it can use it)</span>
      </span>
    );
  }
  return (
    <span className="named">
      <span>Bound to key</span>
      <Id>{token.dpop_jkt}</Id>
      <span className="muted">(each use needs a DPoP proof signed by it)</span>
    </span>
  );
}

/** The badge a list shows beside a bound token's status; nothing for a bearer token. */
export function BoundBadge({ token }: { token: BindableToken }) {
  return token.dpop_jkt === null ? null : <Badge tone="info">bound to key</Badge>;
}

/** The resources a token may be used at, or "any resource". */
export function Audiences({ token }: { token: BindableToken }) {
  if (token.audiences === null) return <span className="muted">any resource</span>;
  return (
    <ul className="tags" aria-label="Audiences">
      {token.audiences.map((uri) => (
        <li key={uri}>
          <Id>{uri}</Id>
        </li>
      ))}
    </ul>
  );
}

/** The facts rows of a token's binding and audiences, for TokenFacts's definition list. */
export function BindingFacts({ token }: { token: BindableToken }) {
  return (
    <>
      <div>
        <dt>Binding</dt>
        <dd>
          <Binding token={token} />
        </dd>
      </div>
      {token.audiences !== undefined && (
        <div>
          <dt>Audiences</dt>
          <dd>
            <Audiences token={token} />
          </dd>
        </div>
      )}
    </>
  );
}
