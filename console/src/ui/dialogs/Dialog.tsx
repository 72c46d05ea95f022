import { useEffect, useId, useRef, type ReactNode } from 'react';
import { returnFocus } from './focus';

/**
 * A modal <dialog> (focus is kept inside, Escape closes it), mounted only while open: the caller
 * renders it when wanted and unmounts it on `onClose`. It opens on its first form field, where a
 * keyboard user starts typing, or on Close when it has none. Closed, it gives focus back to the
 * control that opened it (see `returnFocus`).
 */
export function Dialog({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** A form of many fields: a wider dialog. */
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // showModal focuses the first focusable element, Close. React's autoFocus cannot help: it
    // runs before this effect, while the dialog is still closed and nothing in it can take focus.
    dialog
      .querySelector<HTMLElement>(
        '.dialog-body :is(input, select, textarea):not(:disabled, [type="hidden"])',
      )
      ?.focus();
    const onCancel = (e: Event) => {
      e.preventDefault();
      close.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      returnFocus(opener);
    };
  }, []);

  return (
    <dialog ref={ref} className={wide ? 'dialog wide' : 'dialog'} aria-labelledby={titleId}>
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="button ghost" onClick={() => close.current()}>
          Close
        </button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}
