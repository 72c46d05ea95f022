import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorBox } from '../ErrorBox';
import { Field } from '../forms/Field';
import { Loading } from '../Status';

/**
 * An action that asks why (revoke, disable): a required reason, then its Confirm button. `run`
 * makes the call with the reason; `onDone` gets what it answered, once it is done.
 */
export function ReasonDialog<R>({
  title,
  confirm,
  busy,
  hint,
  run,
  onClose,
  onDone,
  children,
}: {
  title: string;
  /** The submit button's label, e.g. "Confirm revoke". */
  confirm: string;
  /** Shown while the call runs, e.g. "Revoking…". */
  busy: string;
  /** Where the reason is kept. */
  hint: string;
  run: (reason: string) => Promise<R>;
  onClose: () => void;
  onDone: (answer: R) => void;
  children: ReactNode;
}) {
  const [reason, setReason] = useState('');
  const mutation = useMutation({
    mutationFn: run,
    onSuccess: (answer) => {
      onDone(answer);
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) mutation.mutate(reason.trim());
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        {children}
        <Field label="Reason" hint={hint}>
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
        {mutation.isPending && <Loading>{busy}</Loading>}
        <div className="actions">
          <button type="submit" className="button danger" disabled={mutation.isPending}>
            {confirm}
          </button>
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
