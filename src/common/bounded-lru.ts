import { LRUCache } from 'lru-cache';

/** lru-cache's options but its bounds, which `boundedLru` sets. */
export type BoundedLruOptions<
  K extends object | string,
  V extends object | number | boolean,
> = Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation' | 'maxEntrySize'>;

const ONE = () => 1;

/**
 * An LRU cache of at most `entries` entries that takes memory as it fills. lru-cache's `max`
 * reserves a slot for every entry when the cache is made (1.7 MiB and 16 to 18 ms for 100,000):
 * at the first request that uses it, for caches that most instances never fill, and at every
 * test app's boot. Counting each entry as size 1 under `maxSize` keeps the same bound, evicts in
 * the same order, and costs the same per lookup (docs/performance.md, "Caches that grow").
 */
export function boundedLru<K extends object | string, V extends object | number | boolean>(
  entries: number,
  options: BoundedLruOptions<K, V> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: ONE });
}
