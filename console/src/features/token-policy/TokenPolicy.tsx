import { useState, type ReactNode } from 'react';
import { useTokenPolicy } from '../../api/resources/token-policy.api';
import type { TokenPolicy as Policy } from '../../api/types';
import { ErrorBox } from '../../ui/ErrorBox';
import { PageHead } from '../../ui/PageHead';
import { PolicyDialog } from './PolicyDialog';
import { Loading, Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';

const none = (text: string) => <span className="muted">{text}</span>;

function PolicyFacts({ policy }: { policy: Policy }) {
  const rows: [string, ReactNode][] = [
    [
      'Maximum lifetime',
      policy.max_lifetime_days !== null ? `${policy.max_lifetime_days} days` : none('none'),
    ],
    [
      'Expiry',
      policy.require_expiry ? 'required' : none('optional (a token with none gets the maximum)'),
    ],
    [
      'Allowed scopes',
      policy.allowed_scopes ? (
        <span className="wrap">{policy.allowed_scopes.join(', ')}</span>
      ) : (
        none('any')
      ),
    ],
    [
      'Required networks',
      policy.required_cidrs ? (
        <span className="wrap">{policy.required_cidrs.join(', ')}</span>
      ) : (
        none('anywhere')
      ),
    ],
    [
      'Revoked when unused for',
      policy.inactivity_revoke_days !== null
        ? `${policy.inactivity_revoke_days} days`
        : none('never'),
    ],
    [
      'Last changed',
      policy.updated_at ? (
        <>
          <Time iso={policy.updated_at} /> by <span className="wrap">{policy.updated_by}</span>
        </>
      ) : (
        none('never')
      ),
    ],
  ];
  return (
    <dl className="facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The business's token policy: every member reads it, an owner with tokens:admin edits it. */
export function TokenPolicy() {
  const { caps } = useBusiness();
  const policy = useTokenPolicy();
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <PageHead
        title="Token policy"
        lead="The rules every new token of the business keeps: on create, rotation, first tokens and the CLI."
        actions={
          caps.policyWrite &&
          policy.data && (
            <button type="button" className="button primary" onClick={() => setEditing(true)}>
              Edit policy
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      {policy.isPending && <Loading />}
      <ErrorBox error={policy.error} />
      {policy.data && (
        <section className="card" aria-labelledby="rules">
          <h2 id="rules">Rules</h2>
          <PolicyFacts policy={policy.data} />
          {!caps.policyWrite && <p className="hint">Only an owner can change the policy.</p>}
          <p>
            <Link to={paths.violations}>Tokens that break it now</Link>
          </p>
        </section>
      )}
      {editing && policy.data && (
        <PolicyDialog policy={policy.data} onClose={() => setEditing(false)} onDone={setNotice} />
      )}
    </>
  );
}
