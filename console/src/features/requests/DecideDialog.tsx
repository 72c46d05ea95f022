import { useState } from 'react';
import { useApproveRequest, useDenyRequest, type TokenRequest } from './requests.api';
import { lifetimeText, standingOf } from './request-standing';
import { useTokenPolicy } from '../../api/resources/token-policy.api';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';

export type Decision = 'approve' | 'deny';

/** What the approver weighs: who asks, why, for what and how long, against the policy. */
function RequestCase({ request, forMachine }: { request: TokenRequest; forMachine: boolean }) {
  const policy = useTokenPolicy();
  const standing = policy.data ? standingOf(request, policy.data, forMachine) : [];
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Requested by</dt>
          <dd className="wrap">
            {request.requested_by}, <Time iso={request.created_at} />
          </dd>
        </div>
        <div>
          <dt>Justification</dt>
          <dd>
            <blockquote className="justification">{request.justification}</blockquote>
          </dd>
        </div>
        <div>
          <dt>Scopes</dt>
          <dd className="wrap">
            {request.scopes === null ? (
              <span className="muted">unrestricted (everything its holder’s role allows)</span>
            ) : (
              request.scopes.join(', ') || <span className="muted">none (own tokens only)</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Lifetime</dt>
          <dd>{lifetimeText(request)}</dd>
        </div>
      </dl>
      <section aria-labelledby="standing-head">
        <h3 id="standing-head">Against the token policy</h3>
        {policy.isPending && <p className="muted">Reading the policy…</p>}
        {policy.error && <p className="muted">The policy could not be read.</p>}
        {policy.data && standing.length === 0 && (
          <p className="muted">The policy sets no rule this request meets.</p>
        )}
        {standing.length > 0 && (
          <ul className="plain-list standing">
            {standing.map((s) => (
              <li key={s.rule}>
                <Badge tone={s.ok ? 'ok' : 'warn'}>{s.ok ? 'within' : 'breaks'}</Badge>{' '}
                <strong>{s.rule}</strong>: {s.says}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

/**
 * Approving or denying a token request, with the case in front of the approver and a reason:
 * optional to approve (it is kept with the decision and in the audit log), required to deny
 * (the requester reads it). Nothing is decided until the dialog's button is pressed.
 */
export function DecideDialog({
  request,
  decision,
  forMachine,
  onClose,
  onDone,
}: {
  request: TokenRequest;
  decision: Decision;
  forMachine: boolean;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [reason, setReason] = useState('');
  const done = (m: string) => {
    onDone(m);
    onClose();
  };
  const approve = useApproveRequest((r) =>
    done(`Approved ${r.name} for ${r.requested_by}; they collect it.`),
  );
  const deny = useDenyRequest((r) =>
    done(`Denied the request for ${r.name} by ${r.requested_by}.`),
  );
  const approving = decision === 'approve';
  const send = () => {
    const why = reason.trim();
    if (approving) approve.mutate({ request, ...(why ? { reason: why } : {}) });
    else deny.mutate({ request, reason: why });
  };
  const mutation = approving ? approve : deny;
  return (
    <FormDialog
      title={`${approving ? 'Approve' : 'Deny'} the request for ${request.name}`}
      submit={approving ? 'Approve request' : 'Deny request'}
      onSubmit={send}
      onClose={onClose}
      pending={mutation.isPending}
      error={mutation.error}
      wide
      intro={<RequestCase request={request} forMachine={forMachine} />}
    >
      <Field
        label="Reason"
        hint={
          approving
            ? `Optional: kept with the decision and in the audit log. ${request.requested_by} then collects the token once.`
            : `${request.requested_by} reads it.`
        }
      >
        {(p) => (
          <textarea
            {...p}
            className="input"
            required={!approving}
            maxLength={500}
            rows={3}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
