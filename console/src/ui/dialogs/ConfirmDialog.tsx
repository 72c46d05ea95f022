import type { UseMutationResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorBox } from '../ErrorBox';
import { Loading } from '../Status';

/**
 * The confirmation step of an action that cannot be undone (removing a member, deleting an
 * identity or an endpoint, suspending a business): it says what will happen, and runs `mutation`
 * on `subject` only when Confirm is pressed. The mutation's own onSuccess says what was done; the
 * dialog closes once it succeeds, and shows the API's error, in place, when it does not.
 */
export function ConfirmDialog<T>({
  title,
  confirm,
  mutation,
  subject,
  onClose,
  children,
}: {
  title: string;
  /** The label of the button that does it, e.g. "Remove member". */
  confirm: string;
  mutation: UseMutationResult<unknown, Error, T>;
  subject: T;
  onClose: () => void;
  children: ReactNode;
}) {
  const close = () => {
    if (!mutation.isPending) mutation.reset();
    onClose();
  };
  return (
    <Dialog title={title} onClose={close}>
      <div className="form">
        {children}
        <ErrorBox error={mutation.error} />
        {mutation.isPending && <Loading>Working…</Loading>}
        <div className="actions">
          <button
            type="button"
            className="button danger"
            disabled={mutation.isPending}
            onClick={() => mutation.mutate(subject, { onSuccess: onClose })}
          >
            {confirm}
          </button>
          <button type="button" className="button ghost" onClick={close}>
            Cancel
          </button>
        </div>
      </div>
    </Dialog>
  );
}
