import type { ReactNode } from 'react';
import { useTitle } from './useTitle';

/** A screen's heading, what it is for, and its main actions (New …) beside them. */
export function PageHead({
  title,
  lead,
  actions,
  crumbs,
}: {
  title: string;
  lead?: ReactNode;
  actions?: ReactNode;
  crumbs?: ReactNode;
}) {
  useTitle(title);
  return (
    <>
      {crumbs && <p className="crumbs">{crumbs}</p>}
      <div className="page-head">
        <div className="page-head-text">
          <h1>{title}</h1>
          {lead && <p className="lead">{lead}</p>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
    </>
  );
}
