import { useDirectory } from '../../api/directory';
import { useRiskyTokens } from '../../api/resources/tokens.api';
import type { RiskyToken } from '../../api/types';
import { DataTable } from '../../ui/lists/DataTable';
import { KeysetList } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { holderColumn, nameColumn } from '../../ui/tokens/token-columns';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';

const REASONS: Record<RiskyToken['reasons'][number], string> = {
  no_expiry: 'No expiry',
  no_network_binding: 'No network binding',
  unrestricted_scopes: 'Unrestricted scopes',
  unused_90_days: 'Unused for 90 days',
};

export function RiskyTokens() {
  const { whoami } = useBusiness();
  const directory = useDirectory();
  const risky = useRiskyTokens();
  return (
    <>
      <PageHead
        title="Risky tokens"
        crumbs={<Link to={paths.tokens}>← Back to tokens</Link>}
        lead="Active tokens open in every way (no expiry, no networks, unrestricted scopes), and those unused for 90 days."
      />
      <KeysetList query={risky} empty="No risky tokens">
        {(items) => (
          <DataTable
            label="Risky tokens"
            rows={items}
            rowKey={(t) => t.id}
            columns={[
              nameColumn(),
              {
                header: 'Why',
                cell: (t) => (
                  <ul className="tags" aria-label="Reasons">
                    {t.reasons.map((r) => (
                      <li key={r}>
                        <Badge tone="warn">{REASONS[r] ?? r}</Badge>
                      </li>
                    ))}
                  </ul>
                ),
              },
              holderColumn(whoami.identity.id, directory),
              { header: 'Created', cell: (t) => <Time iso={t.created_at} /> },
              { header: 'Last used', cell: (t) => <Time iso={t.last_used_at} empty="never" /> },
            ]}
          />
        )}
      </KeysetList>
    </>
  );
}
