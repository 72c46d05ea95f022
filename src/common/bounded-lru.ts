/**
 * A map that keeps at most `max` entries and drops the least recently used (`get` and `set` make
 * an entry the most recent): what lru-cache's `LRUCache` does for these calls, without its arrays
 * sized to `max` up front. lru-cache allocates about 28 bytes per allowed entry when it is made,
 * 2.8 MB for a bound of 100,000, so each such bound cost its RSS at idle whether anything was ever
 * kept or not (docs/performance.md, issue 38). A `Map` keeps insertion order, which is the order
 * of use here, and grows with what it holds.
 */
export class BoundedLru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value of `key`, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** Whether `key` is kept, without making it the most recent. */
  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Keeps `value` as the most recently used; the least recently used goes past `max`. */
  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
