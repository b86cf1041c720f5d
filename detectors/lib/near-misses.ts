// Why a detector did not alert, in numbers: each built-in keeps the few candidates that came nearest to alerting
// (how far through the analytic's conditions they got, then how close the failing number was to its threshold),
// each with its conditions against the settings in force. Bounded in count and size; the text is raw (from the
// target), so whoever shows it sanitizes it.
import type { Condition, NearMiss } from '../types.js';
import { formatDuration, formatSize } from './units.js';

/** Near misses kept per analytic (per scenario in a run, per log in a replay). */
export const NEAR_MISSES_KEPT = 3;
const TEXT_MAX = 200;
const LIST_MAX = 4;
const CONDITIONS_MAX = 8;

export class NearMisses {
  private readonly kept: { miss: NearMiss; rank: number }[] = [];

  constructor(
    private readonly analytic: string,
    private readonly keep = NEAR_MISSES_KEPT,
  ) {}

  /**
   * A candidate dropped after passing `stage` of the analytic's conditions; `conditions` in the analytic's order
   * (the first one not met is the one that failed). The same candidate keeps only its nearest miss.
   */
  add(stage: number, candidate: string, time: string, host: string | null, conditions: Condition[]): void {
    const failed = conditions.find((c) => !c.met);
    if (!failed) return;
    const rank = stage + closeness(failed);
    const miss: NearMiss = {
      analytic: this.analytic,
      candidate: clip(candidate),
      time,
      host: host === null ? null : clip(host),
      conditions: [failed, ...conditions.filter((c) => c !== failed)].slice(0, CONDITIONS_MAX).map(bounded),
    };
    const same = this.kept.findIndex((k) => k.miss.candidate === miss.candidate);
    if (same >= 0) {
      if (this.kept[same]!.rank > rank) return;
      this.kept.splice(same, 1);
    }
    if (this.kept.length >= this.keep && this.kept.at(-1)!.rank >= rank) return;
    const at = this.kept.findIndex((k) => k.rank < rank);
    this.kept.splice(at < 0 ? this.kept.length : at, 0, { miss, rank });
    this.kept.length = Math.min(this.kept.length, this.keep);
  }

  list(): NearMiss[] {
    return this.kept.map((k) => structuredClone(k.miss));
  }
}

/** How near a failed numeric condition came to holding, in [0, 1); 0 for a rule that is not a number. */
function closeness(c: Condition): number {
  if (typeof c.observed !== 'number' || typeof c.limit !== 'number' || c.observed < 0 || c.limit <= 0) return 0;
  const ratio = c.op === '>' || c.op === '>=' ? c.observed / c.limit : c.op === '<' || c.op === '<=' ? (c.observed > 0 ? c.limit / c.observed : 0) : 0;
  return Math.min(0.999, Math.max(0, ratio));
}

function clip(text: string): string {
  return text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text;
}

function bounded(c: Condition): Condition {
  const value = (v: Condition['observed']) => (typeof v === 'string' ? clip(v) : v);
  return { ...c, measure: clip(c.measure), observed: value(c.observed), limit: value(c.limit) };
}

/** A list setting as a limit: "a, b, c, … (+25 more)", or "(none)". */
export function listLimit(items: readonly string[]): string {
  if (!items.length) return 'none';
  const shown = items.slice(0, LIST_MAX).join(', ');
  return items.length > LIST_MAX ? `${shown}, … (+${items.length - LIST_MAX} more)` : shown;
}

/** A condition's value in human units: "20.1 MB", "24h 0m", "7.21 bits/byte"; null is "none". */
export function formatValue(value: Condition['observed'], unit?: Condition['unit']): string {
  if (value === null) return 'none';
  if (typeof value !== 'number') return String(value);
  if (unit === 'bytes') return formatSize(value);
  if (unit === 'seconds') return formatDuration(value * 1000);
  if (unit === 'bits/byte') return `${value.toFixed(2)} bits/byte`;
  return String(value);
}

const SHOWN: Record<Exclude<Condition['op'], 'is'>, string> = { '>': '>', '>=': '≥', '<': '<', '<=': '≤', in: 'in', 'not in': 'not in' };
const NEGATED: Record<Exclude<Condition['op'], 'is'>, string> = { '>': '≤', '>=': '<', '<': '≥', '<=': '>', in: 'not in', 'not in': 'in' };

/** "entropy 7.21 bits/byte < EntropyThreshold 7.50 bits/byte", "user root in UserContext.users (root)", "TTY: pts/0 (needs none)". */
export function describeCondition(c: Condition): string {
  const observed = formatValue(c.observed, c.unit);
  const limit = formatValue(c.limit, c.unit);
  const setting = c.threshold ? `${c.threshold} ` : '';
  if (c.op === 'is') return c.met ? `${c.measure}: ${observed}` : `${c.measure}: ${observed} (needs ${limit}${c.threshold ? `, ${c.threshold}` : ''})`;
  const list = (c.op === 'in' || c.op === 'not in') && c.threshold ? `(${limit})` : limit;
  return `${c.measure} ${observed} ${c.met ? SHOWN[c.op] : NEGATED[c.op]} ${setting}${list}`;
}

/** A comparison against a setting (a number or a list), as opposed to a fixed rule or a description. */
function againstSetting(c: Condition): boolean {
  return c.threshold !== null && c.op !== 'is';
}

/**
 * "python3 (pid 9, uid 1000) wrote /tmp/x: entropy 7.21 bits/byte < EntropyThreshold 7.50 bits/byte (failed); held:
 * size 12 KB ≥ MinFileSizeBytes 1 KB". The held conditions shown are the comparisons against settings; `full`: all.
 */
export function describeNearMiss(miss: NearMiss, full = false): string {
  const [failed, ...rest] = miss.conditions;
  const held = full ? rest : rest.filter(againstSetting);
  const why = failed ? `${describeCondition(failed)} (failed)` : 'no condition recorded';
  return `${miss.candidate}: ${why}${held.length ? `; held: ${held.map(describeCondition).join(', ')}` : ''}`;
}

/** Why an alert fired: its comparisons against the thresholds in force ("entropy 7.99 bits/byte ≥ EntropyThreshold 7.50 bits/byte; ..."); `full`: every condition. */
export function describeConditions(conditions: readonly Condition[], full = false): string {
  const shown = full ? conditions : conditions.filter(againstSetting);
  return (shown.length ? shown : conditions).map(describeCondition).join('; ');
}
