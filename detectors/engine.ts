// The detection engine: every registered detector, configured from the shared settings and per-analytic overrides,
// fed one telemetry item at a time. The same engine runs live (the runner) and over recorded logs (purple replay).
import type { TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, DetectorInstance, NearMiss, SharedConfig } from './types.js';
import { loadDetectors, type AnyDetector } from './registry.js';
import { ConfigFieldError } from './lib/fields.js';
import { userDirectory, type UserDirectory } from '../harness/events/users.js';
import type { Needs } from '../harness/events/needs.js';

/** Every detector module in this folder, loaded once when the engine module is first imported. */
export const detectors: readonly AnyDetector[] = await loadDetectors();

export interface EngineOptions {
  shared: SharedConfig;
  /** Per analytic: threshold overrides, plus `enabled: false` to switch the analytic off. */
  overrides?: Record<string, Record<string, unknown>>;
  /** Only these analytics (ids) run; the others are disabled. */
  only?: string[];
  /** Accounts of the host the telemetry comes from (the target's passwd and group); only root is known without. */
  users?: UserDirectory;
}

export interface EngineStats {
  items: { audit: number; flow: number; artifact: number };
  alerts: number;
  enabled: string[];
  disabled: string[];
  /** Per analytic: the detector's own counters (candidates, dropped for lack of content...). */
  detectors: Record<string, Record<string, number>>;
  /** Per analytic: the few candidates that came nearest to alerting and did not, with their conditions (bounded). */
  nearMisses: Record<string, NearMiss[]>;
  /** Detector exceptions (the item is skipped for that detector; the stream goes on). */
  errors: { analytic: string; count: number; first: string }[];
}

export interface Engine {
  push(item: TelemetryItem): Alert[];
  flush(): Alert[];
  stats(): EngineStats;
  /** The thresholds in force, per enabled analytic. */
  thresholds(): Record<string, Record<string, unknown>>;
}

export class EngineConfigError extends Error {}

/** Split `enabled` from the thresholds of one analytic's overrides. */
export function splitEnabled(overrides: Record<string, unknown> | undefined): { enabled: boolean; thresholds: Record<string, unknown> } {
  const { enabled, ...thresholds } = overrides ?? {};
  if (enabled !== undefined && typeof enabled !== 'boolean') throw new ConfigFieldError('enabled', 'expected true or false');
  return { enabled: enabled !== false, thresholds };
}

export function createEngine(options: EngineOptions): Engine {
  const overrides = options.overrides ?? {};
  const known = new Set(detectors.map((d) => d.analytic.id));
  for (const id of [...Object.keys(overrides), ...(options.only ?? [])]) {
    if (!known.has(id)) throw new EngineConfigError(`unknown analytic ${id}; known: ${[...known].join(', ')}`);
  }
  const host = { users: options.users ?? userDirectory() };
  const running: { id: string; instance: DetectorInstance; config: Record<string, unknown> }[] = [];
  const disabled: string[] = [];
  for (const d of detectors) {
    const id = d.analytic.id;
    let split: ReturnType<typeof splitEnabled>;
    let config: Record<string, unknown>;
    try {
      split = splitEnabled(overrides[id]);
      config = d.configure(split.thresholds, options.shared);
    } catch (err) {
      throw new EngineConfigError(`analytics.${id}.${(err as Error).message}`);
    }
    if (!split.enabled || (options.only && !options.only.includes(id))) {
      disabled.push(id);
      continue;
    }
    running.push({ id, instance: d.create(config, options.shared, host), config });
  }

  const items = { audit: 0, flow: 0, artifact: 0 };
  const errors = new Map<string, { count: number; first: string }>();
  let alerts = 0;
  const guarded = (id: string, f: () => Alert[]): Alert[] => {
    try {
      return f();
    } catch (err) {
      const e = errors.get(id);
      if (e) e.count++;
      else errors.set(id, { count: 1, first: (err as Error).stack ?? String(err) });
      return [];
    }
  };
  const collect = (f: (r: (typeof running)[number]) => Alert[]): Alert[] => {
    const out: Alert[] = [];
    for (const r of running) out.push(...guarded(r.id, () => f(r)));
    alerts += out.length;
    return out;
  };

  return {
    push(item) {
      items[item.kind]++;
      return collect((r) => r.instance.push(item));
    },
    flush() {
      return collect((r) => r.instance.flush());
    },
    stats() {
      return {
        items: { ...items },
        alerts,
        enabled: running.map((r) => r.id),
        disabled,
        detectors: Object.fromEntries(running.map((r) => [r.id, r.instance.stats()])),
        nearMisses: Object.fromEntries(running.map((r) => [r.id, r.instance.nearMisses?.() ?? []])),
        errors: [...errors].map(([analytic, e]) => ({ analytic, ...e })),
      };
    },
    thresholds() {
      return Object.fromEntries(running.map((r) => [r.id, structuredClone(r.config)]));
    },
  };
}

/** Every detector's needs (the audit rules, content selection and blind-spot check are derived from them). */
export function detectorNeeds(list: readonly AnyDetector[] = detectors): Needs[] {
  return list.map((d) => d.needs);
}
