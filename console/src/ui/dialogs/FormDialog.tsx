import type { FormEvent, ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorBox } from '../ErrorBox';
import { Loading } from '../Status';

/**
 * Creating something: a dialog that holds its form, with the API's error in place and a busy
 * state. Once it is done, `done` (the new secret, shown once) takes the form's place.
 */
export function FormDialog({
  title,
  submit,
  onSubmit,
  onClose,
  pending,
  error,
  done,
  intro,
  children,
  wide = false,
}: {
  title: string;
  /** The submit button's label, e.g. "Create token". */
  submit: string;
  onSubmit: () => void;
  onClose: () => void;
  pending: boolean;
  error: unknown;
  done?: ReactNode;
  intro?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  const send = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <Dialog title={title} onClose={onClose} wide={wide}>
      {done ?? (
        <form className="form" onSubmit={send}>
          {intro}
          {children}
          <ErrorBox error={error} />
          {pending && <Loading>Working…</Loading>}
          <div className="actions">
            <button type="submit" className="button primary" disabled={pending}>
              {submit}
            </button>
            <button type="button" className="button ghost" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
