import type { ReactNode } from 'react';
import type { KeysetQuery } from '../api/keyset';
import { ErrorBox } from './ErrorBox';
import { Empty, Loading } from './Status';

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
