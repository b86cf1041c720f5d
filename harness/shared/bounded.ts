// A map whose entries expire by event time and whose size has a hard cap, so state stays bounded
// whether the stream is a live minute or a month-long log.

export class BoundedMap<K, V> {
  private readonly entries = new Map<K, { at: number; value: V }>();

  /**
   * @param windowMs entries older than this (relative to the newest time seen) are evicted
   * @param cap hard limit on entries; the oldest go first
   * @param onEvict called for each evicted entry (for "dropped without a decision" stats)
   */
  constructor(
    readonly windowMs: number,
    readonly cap: number,
    private readonly onEvict?: (key: K, value: V, reason: 'expired' | 'capacity') => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Insert or replace; a replaced entry moves to the newest position with time `at`. */
  set(key: K, value: V, at: number): void {
    this.entries.delete(key);
    this.entries.set(key, { at, value });
    while (this.entries.size > this.cap) {
      const [k, e] = this.entries.entries().next().value as [K, { at: number; value: V }];
      this.entries.delete(k);
      this.onEvict?.(k, e.value, 'capacity');
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Evict entries older than `now - windowMs`. Entries are kept in insertion order, so this stops at the first young one. */
  expire(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.windowMs) break;
      this.entries.delete(k);
      this.onEvict?.(k, e.value, 'expired');
    }
  }

  *values(): IterableIterator<V> {
    for (const e of this.entries.values()) yield e.value;
  }

  *items(): IterableIterator<[K, V]> {
    for (const [k, e] of this.entries) yield [k, e.value];
  }

  /** Remove everything, reporting each entry to `onEach` (for end-of-stream decisions). */
  drain(onEach: (key: K, value: V) => void): void {
    const all = [...this.entries];
    this.entries.clear();
    for (const [k, e] of all) onEach(k, e.value);
  }
}
