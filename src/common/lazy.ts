/**
 * A value made on its first use, then the same one. For lru-cache above all, which sizes its
 * arrays for `max` when it is made (tens of milliseconds for 100,000 entries): a process that
 * never uses a cache, such as a CLI command, never pays for it.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
