import { useState } from 'react';
import { useInvalidateBusiness } from '../../api/cache';
import { useDirectory } from '../../api/directory';
import { useBusiness } from '../../session';
import { ReasonDialog } from '../../ui/dialogs/ReasonDialog';
import { ErrorBox } from '../../ui/ErrorBox';
import { DataTable } from '../../ui/lists/DataTable';
import { KeysetList } from '../../ui/lists/List';
import { Badge, Id } from '../../ui/lists/Table';
import { Clip } from '../../ui/names/Clip';
import { Holder } from '../../ui/names/Holder';
import { Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import {
  appName,
  denyAppRequest,
  useAppRequests,
  useApproveAppRequest,
  type AppRequest,
  type AppRequestStatus,
} from './connected-apps.api';

const TONES: Record<AppRequestStatus, string> = { pending: 'info', approved: 'ok', denied: 'bad' };

/**
 * Requests for scopes the business's token policy keeps for approvers, filed from the consent
 * screen. An approver (owner or admin with tokens:admin, as the server decides) sees the
 * business's pending ones, to approve or deny with a reason; anyone else sees their own, with
 * how each was decided. The server refuses the rest (SELF_APPROVAL, APPROVER_OUTRANKED).
 */
export function AppRequests() {
  const { caps, whoami } = useBusiness();
  const approver = caps.tokensAdmin;
  const requests = useAppRequests(approver ? 'pending' : undefined);
  const directory = useDirectory();
  const [notice, setNotice] = useState<string | null>(null);
  const [denying, setDenying] = useState<AppRequest | null>(null);
  const asker = (r: AppRequest) => directory.byId.get(r.identity_id)?.label ?? 'the person';
  const approve = useApproveAppRequest((r) =>
    setNotice(`Approved ${appName(r)} for ${asker(r)}; they start again from the app.`),
  );
  const invalidate = useInvalidateBusiness();
  return (
    <>
      <h2 className="app-requests-head">App requests</h2>
      <p className="muted">
        {approver
          ? 'People of the business ask here for scopes the token policy keeps for approvers.'
          : 'What you asked your approvers to allow an app, and what they decided.'}
      </p>
      <Notice>{notice}</Notice>
      <ErrorBox error={approve.error} />
      <KeysetList
        query={requests}
        empty={
          approver
            ? 'No app requests wait for a decision.'
            : 'No app requests. When an app asks for a scope only an approver may allow, ask from the consent screen.'
        }
      >
        {(items) => (
          <DataTable
            label="App requests"
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              {
                header: 'App',
                primary: true,
                cell: (r) => (
                  <span className="name-stack">
                    <span className="named">
                      <span className="wrap">{appName(r)}</span>
                      <Badge tone="warn">unverified</Badge>
                    </span>
                    <Id>{r.client_id}</Id>
                  </span>
                ),
              },
              approver && {
                header: 'Asked by',
                cell: (r) => (
                  <Holder
                    id={r.identity_id}
                    me={whoami.identity.id}
                    who={directory.byId.get(r.identity_id)}
                  />
                ),
              },
              { header: 'Resource', cell: (r) => <Clip text={r.resource} /> },
              {
                header: 'Scopes',
                cell: (r) => <span className="wrap">{r.scopes.join(', ')}</span>,
              },
              {
                header: 'Justification',
                cell: (r) => <blockquote className="justification">{r.justification}</blockquote>,
              },
              { header: 'Asked', cell: (r) => <Time iso={r.created_at} /> },
              !approver && {
                header: 'Status',
                cell: (r) => (
                  <span className="name-stack">
                    <Badge tone={TONES[r.status]}>{r.status}</Badge>
                    {r.decision_reason && (
                      <span className="muted small">
                        <Clip text={r.decision_reason} />
                      </span>
                    )}
                  </span>
                ),
              },
              approver && {
                header: 'Actions',
                actions: true,
                cell: (r) => (
                  <>
                    <button
                      type="button"
                      className="button small"
                      disabled={approve.isPending}
                      onClick={() => (approve.reset(), approve.mutate(r))}
                    >
                      Approve
                    </button>
                    <button
                      type="button"
                      className="button small danger-outline"
                      onClick={() => (approve.reset(), setDenying(r))}
                    >
                      Deny
                    </button>
                  </>
                ),
              },
            ]}
          />
        )}
      </KeysetList>
      {denying && (
        <DenyDialog
          request={denying}
          asker={asker(denying)}
          onClose={() => setDenying(null)}
          onDone={(m) => {
            setNotice(m);
            void invalidate();
          }}
        />
      )}
    </>
  );
}

/** Denying asks why: the reason is kept with the decision, and the person who asked reads it. */
function DenyDialog({
  request,
  asker,
  onClose,
  onDone,
}: {
  request: AppRequest;
  asker: string;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { api } = useBusiness();
  const name = appName(request);
  return (
    <ReasonDialog
      title={`Deny ${name} for ${asker}`}
      confirm="Confirm deny"
      busy="Denying…"
      hint={`${asker} reads it; it is kept in the audit log (at most 500 characters).`}
      run={(reason) => denyAppRequest(api, request, reason)}
      onClose={onClose}
      onDone={() => onDone(`Denied ${name} for ${asker}.`)}
    >
      <p>
        <strong className="wrap">{name}</strong> (unverified) does not get{' '}
        <code className="wrap">{request.scopes.join(', ')}</code> at{' '}
        <code className="wrap">{request.resource}</code>.
      </p>
    </ReasonDialog>
  );
}
