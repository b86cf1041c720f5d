// Why a miss or a false alarm, in numbers: a miss names the detector's nearest candidates that did not alert and
// the condition each failed against the threshold in force; a false alarm, the conditions its alert met. The text
// is raw (paths and command lines from the target): renderers sanitize it.
import type { Alert } from '../../../detectors/types.js';
import { describeConditions, describeNearMiss } from '../../../detectors/lib/near-misses.js';
import type { AnalyticVerdict } from '../results.js';

/**
 * "nearest: python3 (pid 9, uid 1000) wrote /tmp/x: entropy 7.21 bits/byte < EntropyThreshold 7.99 bits/byte
 * (failed); held: ...": the nearest candidate (`full`: every one kept, each with all its conditions).
 */
export function missExplanation(verdict: AnalyticVerdict, full = false): string | null {
  if (verdict.verdict !== 'missed' || !verdict.nearMisses) return null;
  const misses = verdict.nearMisses;
  if (misses.length && full) return `nearest: ${misses.map((m) => describeNearMiss(m, true)).join(' | ')}`;
  if (misses.length) return `nearest: ${describeNearMiss(misses[0]!)}${misses.length > 1 ? ` (${misses.length - 1} more in report.json)` : ''}`;
  const seen = Object.entries(verdict.counters ?? {}).map(([name, n]) => `${name} ${n}`).join(', ');
  return seen ? `no candidate came near (the detector counted: ${seen})` : 'no candidate: the detector saw none of the activity it looks for';
}

/** "fired because entropy 7.99 bits/byte ≥ EntropyThreshold 0.00 bits/byte; ..." (built-in alerts record their conditions). */
export function alarmExplanation(alert: Alert, full = false): string | null {
  const conditions = alert.evidence.conditions;
  return conditions?.length ? `fired because ${describeConditions(conditions, full)}` : null;
}
