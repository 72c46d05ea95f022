import { useState } from 'react';
import {
  useCollectRequest,
  useTokenRequests,
  useWithdrawRequest,
  type RequestStatus,
  type TokenRequest,
} from './requests.api';
import { RequestTokenDialog } from './RequestDialogs';
import { DecideDialog, type Decision } from './DecideDialog';
import { lifetimeText } from './request-standing';
import { useDirectory } from '../../api/directory';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { Notice } from '../../ui/Status';
import { Badge } from '../../ui/lists/Table';
import { SelectField, Toolbar } from '../../ui/lists/Toolbar';
import { Time } from '../../ui/Time';
import { Clip } from '../../ui/names/Clip';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { IconPlus } from '../../ui/brand/icons';
import { useBusiness } from '../../session';

const STATUSES = [
  ['pending', 'Pending'],
  ['approved', 'Approved'],
  ['denied', 'Denied'],
  ['withdrawn', 'Withdrawn'],
  ['collected', 'Collected'],
] as const;

const TONES: Record<RequestStatus, string> = {
  pending: 'info',
  approved: 'ok',
  denied: 'bad',
  withdrawn: 'neutral',
  collected: 'neutral',
};

/**
 * Tokens nobody makes alone: who asked for which, why, for how long, and the decision. Owners
 * and admins approve or deny through a dialog that shows the justification, scopes and lifetime
 * against the token policy, with a reason (the API refuses the rest, and a requester deciding
 * their own is SELF_APPROVAL); the requester withdraws a pending request and collects an
 * approved one, whose secret shows once.
 */
export function Requests() {
  const { business, caps, whoami } = useBusiness();
  const [status, setStatus] = useState<RequestStatus | ''>('pending');
  const requests = useTokenRequests(status);
  const [notice, setNotice] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [deciding, setDeciding] = useState<{ request: TokenRequest; decision: Decision } | null>(
    null,
  );
  const directory = useDirectory();
  const [secret, setSecret] = useState<{ secret: string; name: string } | null>(null);
  const me = whoami.identity.email ?? whoami.identity.label;
  const mine = (r: TokenRequest) => r.identity_id === whoami.identity.id || r.requested_by === me;
  const withdraw = useWithdrawRequest((r) => setNotice(`Withdrew the request for ${r.name}.`));
  const collect = useCollectRequest((t) => {
    setNotice(`Collected the token ${t.name}.`);
    setSecret({ secret: t.token, name: t.name });
  });
  const pending = withdraw.isPending || collect.isPending;
  const error = withdraw.error ?? collect.error;
  const reset = () => [withdraw, collect].forEach((m) => m.reset());
  const decide = (request: TokenRequest, decision: Decision) => (
    reset(),
    setDeciding({ request, decision })
  );
  return (
    <>
      <PageHead
        title="Requests"
        lead={`Tokens ${business.name} makes nobody issue alone: asked for, decided, then collected.`}
        actions={
          <button type="button" className="button primary" onClick={() => setAsking(true)}>
            <IconPlus />
            Request a token
          </button>
        }
      />
      <Notice>{notice}</Notice>
      {secret && (
        <SecretReveal
          key={secret.secret}
          secret={secret.secret}
          heading={`The token ${secret.name}: copy it now`}
          onDone={() => setSecret(null)}
        />
      )}
      <ErrorBox error={error} />
      <Toolbar label="Find requests">
        <SelectField
          label="Status"
          value={status}
          options={STATUSES}
          onChange={setStatus}
          any="Any"
        />
      </Toolbar>
      <WholeListView query={requests} empty="No token requests here">
        {(items) => (
          <DataTable
            label="Token requests"
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              {
                header: 'Name',
                primary: true,
                cell: (r) => (
                  <span className="name-stack">
                    <Clip text={r.name} />
                    <span className="muted small">
                      <Clip text={r.justification} />
                    </span>
                  </span>
                ),
              },
              {
                header: 'Scopes',
                cell: (r) =>
                  r.scopes === null ? (
                    <span className="muted">unrestricted</span>
                  ) : r.scopes.length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    <Clip text={r.scopes.join(', ')} />
                  ),
              },
              { header: 'Lifetime', cell: (r) => <span className="token">{lifetimeText(r)}</span> },
              { header: 'Requested by', cell: (r) => <Clip text={r.requested_by} /> },
              {
                header: 'Status',
                cell: (r) => <Badge tone={TONES[r.status]}>{r.status}</Badge>,
              },
              { header: 'Created', cell: (r) => <Time iso={r.created_at} /> },
              {
                header: 'Decided by',
                cell: (r) =>
                  r.decided_by ? <Clip text={r.decided_by} /> : <span className="muted">—</span>,
              },
              {
                header: 'Actions',
                actions: true,
                cell: (r) => (
                  <>
                    {r.status === 'pending' && caps.tokensAdmin && (
                      <>
                        <button
                          type="button"
                          className="button small"
                          onClick={() => decide(r, 'approve')}
                        >
                          Approve
                        </button>
                        <button
                          type="button"
                          className="button small danger-outline"
                          onClick={() => decide(r, 'deny')}
                        >
                          Deny
                        </button>
                      </>
                    )}
                    {r.status === 'pending' && mine(r) && (
                      <button
                        type="button"
                        className="button small"
                        disabled={pending}
                        onClick={() => (reset(), withdraw.mutate(r))}
                      >
                        Withdraw
                      </button>
                    )}
                    {r.status === 'approved' && mine(r) && (
                      <button
                        type="button"
                        className="button small primary"
                        disabled={pending}
                        onClick={() => (reset(), collect.mutate(r))}
                      >
                        Collect
                      </button>
                    )}
                  </>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {asking && <RequestTokenDialog onClose={() => setAsking(false)} onDone={setNotice} />}
      {deciding && (
        <DecideDialog
          request={deciding.request}
          decision={deciding.decision}
          forMachine={directory.byId.get(deciding.request.identity_id)?.kind === 'machine'}
          onClose={() => setDeciding(null)}
          onDone={setNotice}
        />
      )}
    </>
  );
}
