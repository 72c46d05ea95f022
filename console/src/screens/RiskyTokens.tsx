import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { RiskyToken } from '../api/types';
import { useHolders } from '../components/hooks';
import { KeysetList } from '../components/List';
import { Badge, Id, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { Link, paths } from '../router';
import { useBusiness } from '../session';

const REASONS: Record<RiskyToken['reasons'][number], string> = {
  no_expiry: 'No expiry',
  no_network_binding: 'No network binding',
  unrestricted_scopes: 'Unrestricted scopes',
  unused_90_days: 'Unused for 90 days',
};

export function RiskyTokens() {
  useTitle('Risky tokens');
  const { api, business, whoami } = useBusiness();
  const holders = useHolders();
  const risky = useKeyset(['biz', business.id, 'risky'], (cursor) =>
    unwrap(api.GET('/api/v1/tokens/risky', { params: { query: { limit: PAGE_SIZE, cursor } } })),
  );
  return (
    <>
      <p className="crumbs">
        <Link to={paths.tokens}>← Back to tokens</Link>
      </p>
      <h1>Risky tokens</h1>
      <p className="lead">
        Active tokens open in every way (no expiry, no networks, unrestricted scopes), and those
        unused for 90 days.
      </p>
      <KeysetList query={risky} empty="No risky tokens">
        {(items) => (
          <TableWrap label="Risky tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Why</th>
                <th scope="col">Preview</th>
                <th scope="col">Holder</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <th scope="row">
                    <Link to={paths.token(t.id)}>{t.name}</Link>
                  </th>
                  <td>
                    <ul className="tags" aria-label="Reasons">
                      {t.reasons.map((r) => (
                        <li key={r}>
                          <Badge tone="warn">{REASONS[r] ?? r}</Badge>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <code>{t.preview}</code>
                  </td>
                  <td>
                    {t.identity_id === whoami.identity.id
                      ? 'you'
                      : (holders.labels.get(t.identity_id) ?? <Id>{t.identity_id}</Id>)}
                  </td>
                  <td>
                    <Time iso={t.created_at} />
                  </td>
                  <td>
                    <Time iso={t.last_used_at} empty="never" />
                  </td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )}
      </KeysetList>
    </>
  );
}
