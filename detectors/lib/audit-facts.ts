// Detectors read what an audit event means through the event layer (harness/events/facts.ts); this module adds the
// telemetry-item helpers detectors share (where an item happened, when).
import type { TelemetryItem } from '../../harness/telemetry/types.js';

export * from '../../harness/events/facts.js';

/** Milliseconds since the epoch of an ISO time (NaN-safe: unparsable times count as 0). */
export function timeMs(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Where an item happened: its `host` if set, else the event's `node=`, else null (one unnamed host). */
export function itemHost(item: TelemetryItem): string | null {
  if (item.kind === 'audit') return item.host ?? item.event.node ?? null;
  if (item.kind === 'flow') return item.flow.host ?? null;
  return item.artifact.host ?? null;
}

/** Hosts agree when equal, or when either side is unnamed. */
export function sameHost(a: string | null | undefined, b: string | null | undefined): boolean {
  return !a || !b || a === b;
}
