/** Case-insensitive: whether any of the texts holds the query (an empty query holds everywhere). */
export function matches(query: string, ...texts: (string | null | undefined)[]): boolean {
  const q = query.trim().toLowerCase();
  return q === '' || texts.some((t) => t?.toLowerCase().includes(q));
}

export type Comparator<T> = (a: T, b: T) => number;

/** Orders by an ISO time (newest or oldest first), or by a text. */
export const newestFirst =
  <T>(at: (row: T) => string): Comparator<T> =>
  (a, b) =>
    at(b).localeCompare(at(a));
export const oldestFirst =
  <T>(at: (row: T) => string): Comparator<T> =>
  (a, b) =>
    at(a).localeCompare(at(b));
export const byText =
  <T>(text: (row: T) => string): Comparator<T> =>
  (a, b) =>
    text(a).localeCompare(text(b), undefined, { sensitivity: 'base' });

/** The rows that `keep` keeps, in the order `compare` gives: a short list, in the browser. */
export function searched<T>(
  rows: readonly T[] | undefined,
  keep: (row: T) => boolean,
  compare: Comparator<T>,
): T[] {
  return (rows ?? []).filter(keep).sort(compare);
}
