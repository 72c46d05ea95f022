/**
 * A value made on its first use, then the same one. For lru-cache above all, which sizes its
 * arrays for `max` when it is made (tens of milliseconds for 100,000 entries): a process that
 * never uses a cache, such as a CLI command, never pays for it.
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
