import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';
import { Field } from './Field';
import { Loading } from './Status';

export interface RevokeAnswer {
  code: string | null;
}

/**
 * Revocation's confirmation step: a required reason, then Confirm revoke. `revoke` makes the
 * call; `onDone` gets the line to show once it is done.
 */
export function RevokeDialog({
  what,
  revoke,
  onClose,
  onDone,
  children,
}: {
  what: string;
  revoke: (reason: string) => Promise<RevokeAnswer>;
  onClose: () => void;
  onDone: (message: string) => void;
  children?: ReactNode;
}) {
  const [reason, setReason] = useState('');
  const mutation = useMutation({
    mutationFn: revoke,
    onSuccess: (answer) => {
      onDone(
        answer.code === 'ALREADY_REVOKED' ? `${what} was already revoked.` : `Revoked ${what}.`,
      );
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) mutation.mutate(reason.trim());
  };
  return (
    <Dialog title={`Revoke ${what}`} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <p>
          Every call made with it is refused from now on, on every instance. This cannot be undone.
        </p>
        {children}
        <Field
          label="Reason"
          hint="Kept in the token's record and the audit log (at most 500 characters)."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              required
              maxLength={500}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
            />
          )}
        </Field>
        <ErrorBox error={mutation.error} />
        {mutation.isPending && <Loading>Revoking…</Loading>}
        <div className="actions">
          <button type="submit" className="button danger" disabled={mutation.isPending}>
            Confirm revoke
          </button>
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
