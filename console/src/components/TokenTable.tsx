import type { ReactNode } from 'react';
import type { TokenView } from '../api/types';
import { Link, paths } from '../router';
import { Id, TableWrap } from './Table';
import { Time } from './Time';
import { Scopes, TokenStatus } from './TokenFacts';

/** Tokens as a table; `linked` names link to the detail page, `actions` fills the last column. */
export function TokenTable({
  tokens,
  holderLabel,
  linked = true,
  showBusiness = false,
  actions,
}: {
  tokens: TokenView[];
  holderLabel?: (identityId: string) => string | undefined;
  linked?: boolean;
  showBusiness?: boolean;
  actions?: (token: TokenView) => ReactNode;
}) {
  return (
    <TableWrap label="Tokens">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Preview</th>
          <th scope="col">Scopes</th>
          <th scope="col">Holder</th>
          {showBusiness && <th scope="col">Business</th>}
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">Expires</th>
          {actions && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => (
          <tr key={t.id}>
            <th scope="row">{linked ? <Link to={paths.token(t.id)}>{t.name}</Link> : t.name}</th>
            <td>
              <TokenStatus status={t.status} />
            </td>
            <td>
              <code>{t.preview}</code>
            </td>
            <td>
              <Scopes scopes={t.scopes} />
            </td>
            <td>{holderLabel?.(t.identity_id) ?? <Id>{t.identity_id}</Id>}</td>
            {showBusiness && (
              <td>
                {t.business_id ? <Id>{t.business_id}</Id> : <span className="muted">platform</span>}
              </td>
            )}
            <td>
              <Time iso={t.created_at} />
            </td>
            <td>
              <Time iso={t.last_used_at} empty="never" />
            </td>
            <td>
              <Time iso={t.expires_at} empty="never" />
            </td>
            {actions && (
              <td>
                <div className="row-actions">{actions(t)}</div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}
