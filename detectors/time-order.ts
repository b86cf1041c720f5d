// One order for telemetry, live and in replay: by time, ties in source order (audit events, flows, artifacts).
// Detectors are fed in this order both ways, so a saved run replays to the alerts it gave live.
import type { TelemetryItem } from '../harness/telemetry/types.js';

/** When an item happened, for ordering. */
export function itemTime(item: TelemetryItem): string {
  return item.kind === 'audit' ? item.event.time : item.kind === 'flow' ? item.flow.time : item.artifact.time;
}

const orderKey = (item: TelemetryItem): number => Date.parse(itemTime(item)) || 0;
const SOURCE_INDEX: Record<TelemetryItem['kind'], number> = { audit: 0, flow: 1, artifact: 2 };

/** The source whose head comes first: the earliest key, the first source on ties; -1 when all are empty. */
function earliest(keys: readonly number[], present: (i: number) => boolean): number {
  let best = -1;
  for (let i = 0; i < keys.length; i++) if (present(i) && (best < 0 || keys[i]! < keys[best]!)) best = i;
  return best;
}

/**
 * Merge time-ordered sources (audit events, flows, artifacts) into one stream ordered by time. Each source is read
 * one item ahead, so memory stays at one item per source. Ties keep the order of the sources.
 */
export async function* mergeByTime(...sources: AsyncIterable<TelemetryItem>[]): AsyncGenerator<TelemetryItem> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const heads: (TelemetryItem | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value));
  const keys = heads.map((h) => (h ? orderKey(h) : Infinity));
  for (;;) {
    const best = earliest(keys, (i) => heads[i] !== undefined);
    if (best < 0) return;
    yield heads[best]!;
    const next = await its[best]!.next();
    heads[best] = next.done ? undefined : next.value;
    keys[best] = heads[best] ? orderKey(heads[best]!) : Infinity;
  }
}

/**
 * mergeByTime's order for a live run, where items arrive as they are collected. An audit event passes at once
 * unless an earlier flow or artifact is waiting. A flow or artifact (stamped when read, so never earlier than what
 * arrives after it from its own source) waits until a later audit event arrives, or until the audit log is known
 * to be read up to its time (`auditReadUpTo`, from a marker written to the log): an exec or connect() still on its
 * way through auditd is seen before the flow it explains, as replay of the saved files will see it.
 */
export class TimeOrderedFeed {
  private readonly queues: [TelemetryItem[], TelemetryItem[], TelemetryItem[]] = [[], [], []];
  private auditBound = -Infinity;

  constructor(private readonly emit: (item: TelemetryItem) => void) {}

  add(item: TelemetryItem): void {
    this.queues[SOURCE_INDEX[item.kind]]!.push(item);
    this.drain();
  }

  /** Every audit event earlier than `ms` (epoch milliseconds) has been added. */
  auditReadUpTo(ms: number): void {
    if (ms <= this.auditBound) return;
    this.auditBound = ms;
    this.drain();
  }

  /** No more items: pass on everything still waiting, in order. */
  end(): void {
    this.auditReadUpTo(Infinity);
  }

  /** Items held back, waiting for the audit log to catch up. */
  get waiting(): number {
    return this.queues[1].length + this.queues[2].length;
  }

  private drain(): void {
    for (;;) {
      const keys = this.queues.map((q) => (q.length ? orderKey(q[0]!) : Infinity));
      const best = earliest(keys, (i) => this.queues[i]!.length > 0);
      if (best < 0) return;
      if (best !== 0 && this.queues[0].length === 0 && keys[best]! >= this.auditBound) return;
      this.emit(this.queues[best]!.shift()!);
    }
  }
}
