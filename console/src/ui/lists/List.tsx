import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import type { KeysetQuery } from '../../api/keyset';
import { WHOLE_LIST_MAX, type WholeList } from '../../api/pages';
import { ErrorBox } from '../ErrorBox';
import { Empty, Loading } from '../Status';

/**
 * A keyset list's states: loading, error, empty, or its items (rendered by `children`), then a
 * Load more button while there is a next page.
 */
export function KeysetList<T>({
  query,
  empty,
  children,
}: {
  query: KeysetQuery<T>;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.isError && !query.data) return <ErrorBox error={query.error} />;
  return (
    <>
      {query.isRefetchError && <ErrorBox error={query.error} />}
      {query.items.length === 0 ? <Empty>{empty}</Empty> : children(query.items)}
      {query.isFetchNextPageError && <ErrorBox error={query.error} />}
      {query.hasNextPage && (
        <p className="load-more">
          <button
            type="button"
            className="button"
            disabled={query.isFetchingNextPage}
            onClick={() => void query.fetchNextPage()}
          >
            Load more
          </button>
          {query.isFetchingNextPage && <Loading />}
        </p>
      )}
    </>
  );
}

/**
 * A short list read whole (`useWholeList`): loading, error, or its rows after the screen's search
 * and sort (`shown`), empty when none are left, and a note when the list was too long to read
 * whole.
 */
export function WholeListView<T, S = T>({
  query,
  shown,
  empty,
  none,
  children,
}: {
  query: UseQueryResult<WholeList<T>>;
  /** The rows to show, from the list's (searched and sorted); the list's own when absent. */
  shown?: S[];
  /** Shown when the list itself is empty. */
  empty: ReactNode;
  /** Shown when the search leaves nothing. */
  none?: ReactNode;
  children: (rows: S[]) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorBox error={query.error} />;
  const rows = shown ?? (query.data.items as unknown as S[]);
  return (
    <>
      {query.data.items.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : rows.length === 0 ? (
        <Empty>{none ?? 'Nothing matches the search'}</Empty>
      ) : (
        children(rows)
      )}
      {query.data.truncated && (
        <p className="hint">
          Only the first {WHOLE_LIST_MAX} are listed, searched and sorted here.
        </p>
      )}
    </>
  );
}
