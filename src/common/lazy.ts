/**
 * A value made on its first use, then the same one: a process that never uses it, such as a CLI
 * command, never pays for it. An lru-cache made with `max` sizes its arrays for every entry when
 * it is made (tens of milliseconds for 100,000); `boundedLru` grows instead.
 */
export interface Lazy<T> {
  (): T;
  /** The value if it was made, without making it: for a flush that has nothing to do if not. */
  peek(): T | undefined;
}

export function lazy<T>(make: () => T): Lazy<T> {
  let made: { value: T } | undefined;
  const get = () => (made ??= { value: make() }).value;
  return Object.assign(get, { peek: () => made?.value });
}
