import {
  createdKey,
  invalidCursor,
  Keyset,
  nullableKeysetCursor,
  NullableKeyset,
  Page,
  paginate,
  paginateWith,
  PageQueryDto,
} from '../../common/validation/pagination';
import type { TokenSort } from '../dto/token-requests.dto';
import type { SparseTokenView } from '../dto/token-view-fields';
import type { ApiToken } from '../store/entities/api-token.entity';
import type { TokenListOrder } from '../store/repositories/token-lists.repository';

/** The cursor of the list by last use; the list by creation keeps the common one. */
const LAST_USED_CURSOR = nullableKeysetCursor('last_used_at');
/** Newest first has its own cursor, so one of the oldest-first list is refused, not misread. */
const NEWEST_CURSOR = nullableKeysetCursor('-created_at');

/** One page of a token list in the order asked for, with a cursor of that order. */
export function pageOfTokens(
  query: PageQueryDto,
  sort: TokenSort = 'created_at',
  fetch: (limit: number, order: TokenListOrder) => Promise<ApiToken[]>,
  view: (t: ApiToken) => SparseTokenView,
): Promise<Page<SparseTokenView>> {
  if (sort === 'created_at') {
    return paginate(query, (limit, after) => fetch(limit, { sort, after }), createdKey, view);
  }
  if (sort === '-created_at') {
    return paginateWith(
      NEWEST_CURSOR,
      query,
      (limit, after) => fetch(limit, { sort, after: after && createdKeyOf(after) }),
      (t) => ({ at: t.createdAt.toISOString(), id: t.id }),
      view,
    );
  }
  return paginateWith(
    LAST_USED_CURSOR,
    query,
    (limit, after) => fetch(limit, { sort, after }),
    (t) => ({ at: t.lastUsedAt?.toISOString() ?? null, id: t.id }),
    view,
  );
}

/** A newest-first cursor's position: a creation time is never null, so one that is was forged. */
function createdKeyOf(key: NullableKeyset): Keyset {
  if (key.at === null) throw invalidCursor();
  return { at: key.at, id: key.id };
}
