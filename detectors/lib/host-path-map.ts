// Time-bounded state keyed by (host, path), where an unnamed host (null) matches any host: telemetry from a
// single-host replay often names no host on one side.
import { BoundedMap } from './bounded.js';
import { sameHost } from './audit-facts.js';

interface Slot<V> {
  host: string | null;
  value: V;
}

export class HostPathMap<V> {
  private readonly map: BoundedMap<string, Slot<V>[]>;
  private lastAt = 0;

  constructor(windowMs: number, cap: number, onEvict?: (value: V, reason: 'expired' | 'capacity') => void) {
    this.map = new BoundedMap(windowMs, cap, (_k, slots, reason) => {
      for (const s of slots) onEvict?.(s.value, reason);
    });
  }

  get size(): number {
    return this.map.size;
  }

  /** Insert, replacing the entry for exactly this host and path. */
  set(host: string | null, path: string, value: V, at: number): void {
    const slots = (this.map.get(path) ?? []).filter((s) => s.host !== host);
    slots.push({ host, value });
    this.lastAt = Math.max(this.lastAt, at);
    this.map.set(path, slots.slice(-8), at);
  }

  /** The newest entry for this path on a matching host. */
  find(host: string | null, path: string): V | undefined {
    const slots = this.map.get(path);
    if (!slots) return undefined;
    for (let i = slots.length - 1; i >= 0; i--) if (sameHost(slots[i]!.host, host)) return slots[i]!.value;
    return undefined;
  }

  /** Remove and return every entry for this path on a matching host. */
  take(host: string | null, path: string): V[] {
    const slots = this.map.get(path);
    if (!slots) return [];
    const taken = slots.filter((s) => sameHost(s.host, host));
    const kept = slots.filter((s) => !sameHost(s.host, host));
    if (kept.length) this.map.set(path, kept, this.lastAt);
    else this.map.delete(path);
    return taken.map((s) => s.value);
  }

  expire(now: number): void {
    this.lastAt = Math.max(this.lastAt, now);
    this.map.expire(now);
  }

  drain(onEach: (value: V) => void): void {
    this.map.drain((_k, slots) => slots.forEach((s) => onEach(s.value)));
  }
}
