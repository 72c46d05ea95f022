import type { ReactNode } from 'react';
import type { TokenRow } from '../../api/types';
import { DataTable } from '../lists/DataTable';
import { Clip } from '../names/Clip';
import { Time } from '../Time';
import { nameColumn } from './token-columns';
import { BoundBadge } from './TokenBinding';
import { Scopes, TokenState } from './TokenFacts';

/**
 * A token's scopes in a list: one line, cut with an ellipsis, the whole list in its title (and on
 * the token's page). A scope such as `webhooks.endpoints:manage` is one token, never broken, so
 * a column that wrapped them was as wide as the longest, which pushed Actions past the frame.
 */
function ScopesCell({ scopes }: { scopes: string[] | null }) {
  if (scopes === null || scopes.length === 0) return <Scopes scopes={scopes} />;
  return <Clip text={scopes.join(', ')} />;
}

/**
 * Tokens as a table (cards on a phone): the name (linked to the token's page when `linked`) with
 * its preview, its status (and "bound to key" for a DPoP-bound one), who holds it (`holder`),
 * with the business under it (`business`, on the platform's list), and the `actions` of each.
 */
export function TokenTable({
  tokens,
  holder,
  business,
  linked = true,
  actions,
}: {
  tokens: TokenRow[];
  holder: (token: TokenRow) => ReactNode;
  business?: (token: TokenRow) => ReactNode;
  linked?: boolean;
  actions?: (token: TokenRow) => ReactNode;
}) {
  return (
    <DataTable
      label="Tokens"
      rows={tokens}
      rowKey={(t) => t.id}
      columns={[
        nameColumn<TokenRow>(linked),
        {
          header: 'Status',
          cell: (t) => (
            <span className="badges">
              <TokenState token={t} />
              <BoundBadge token={t} />
            </span>
          ),
        },
        business
          ? {
              // One column for both: a ninth column left Actions no room on the platform's list.
              header: 'Holder, business',
              cell: (t: TokenRow) => (
                <span className="name-stack">
                  {holder(t)}
                  <span className="muted small">{business(t)}</span>
                </span>
              ),
            }
          : { header: 'Holder', cell: holder },
        { header: 'Scopes', cell: (t) => <ScopesCell scopes={t.scopes} /> },
        { header: 'Last used', cell: (t) => <Time iso={t.last_used_at} empty="never" /> },
        { header: 'Expires', cell: (t) => <Time iso={t.expires_at} empty="never" /> },
        { header: 'Created', cell: (t) => <Time iso={t.created_at} /> },
        actions && { header: 'Actions', actions: true, cell: actions },
      ]}
    />
  );
}
