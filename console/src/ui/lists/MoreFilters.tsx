import type { ReactNode } from 'react';

/**
 * The filters a list is seldom narrowed by, behind one disclosure, so that on a phone the list
 * starts in the first screen. Its summary says how many are set.
 */
export function MoreFilters({ count, children }: { count: number; children: ReactNode }) {
  return (
    <details className="more-filters">
      <summary>{count > 0 ? `More filters (${count} set)` : 'More filters'}</summary>
      <div className="more-filters-body">{children}</div>
    </details>
  );
}
