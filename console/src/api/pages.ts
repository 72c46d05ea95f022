import { useQuery, type QueryKey } from '@tanstack/react-query';
import type { Page } from './types';

/** The most rows a whole-list read fetches: five pages of the API's largest (200). */
export const WHOLE_LIST_MAX = 1_000;
const PAGE = 200;

export interface WholeList<T> {
  items: T[];
  /** True when the list holds more than WHOLE_LIST_MAX rows: only the first are here. */
  truncated: boolean;
}

/**
 * Every page of a short keyset list (members, machines, webhooks, businesses, platform admins),
 * up to WHOLE_LIST_MAX rows, so the screen can search and sort it in the browser.
 */
export async function readWhole<T>(
  fetchPage: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
): Promise<WholeList<T>> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor, PAGE);
    items.push(...page.items);
    if (!page.next_cursor) return { items, truncated: false };
    if (items.length >= WHOLE_LIST_MAX) return { items, truncated: true };
    cursor = page.next_cursor;
  }
}

/** `readWhole` as a query. */
export function useWholeList<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
  enabled = true,
) {
  return useQuery({ queryKey, queryFn: () => readWhole(fetchPage), enabled });
}
