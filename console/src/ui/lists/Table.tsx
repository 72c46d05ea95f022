import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways inside the page on a narrow screen (never the page itself). The
 * wrapper is focusable, so a keyboard can scroll it too.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table className="table">{children}</table>
    </div>
  );
}

export function Badge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** An id or hash, which may break anywhere. */
export function Id({ children }: { children: ReactNode }) {
  return <code className="id">{children}</code>;
}
