import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './Dialog';
import { ErrorBox } from '../ErrorBox';
import { Loading } from '../Status';

/**
 * Creating something: a dialog that holds its form, with the API's error in place and a busy
 * state. Once it is done, `done` (the new secret, shown once) takes the form's place. The error
 * summary leads the form, and a new error is scrolled into view and focused, so a 422 is read
 * first however tall the dialog and wherever it was submitted from.
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
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!error || !summary.current) return;
    summary.current.scrollIntoView({ block: 'start' });
    summary.current.focus({ preventScroll: true });
  }, [error]);
  const send = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <Dialog title={title} onClose={onClose} wide={wide}>
      {done ?? (
        <form className="form" onSubmit={send}>
          <div ref={summary} className="error-summary" tabIndex={-1}>
            <ErrorBox error={error} />
          </div>
          {intro}
          {children}
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
