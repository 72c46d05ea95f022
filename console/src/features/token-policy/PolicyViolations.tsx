import { useDirectory } from '../../api/directory';
import { usePolicyViolations } from './token-policy.api';
import { DataTable } from '../../ui/lists/DataTable';
import { KeysetList } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { holderColumn, nameColumn } from '../tokens/token-columns';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';

/** Active tokens that break the policy now: listed, never revoked (but for disuse). */
export function PolicyViolations() {
  const { whoami } = useBusiness();
  const directory = useDirectory();
  const violations = usePolicyViolations();
  return (
    <>
      <PageHead
        title="Policy violations"
        crumbs={<Link to={paths.policy}>← Back to the token policy</Link>}
        lead="Active tokens made before the current policy that break it, oldest first. Narrow or revoke them; only disuse revokes one by itself."
      />
      <KeysetList query={violations} empty="Every active token keeps the policy">
        {(items) => (
          <DataTable
            label="Policy violations"
            rows={items}
            rowKey={(t) => t.id}
            columns={[
              nameColumn(),
              {
                header: 'Breaks',
                cell: (t) => (
                  <ul className="plain-list">
                    {t.violations.map((v) => (
                      <li key={v.rule}>
                        <code>{v.rule}</code>: <span className="wrap">{v.msg}</span>
                      </li>
                    ))}
                  </ul>
                ),
              },
              holderColumn(whoami.identity.id, directory),
            ]}
          />
        )}
      </KeysetList>
    </>
  );
}
