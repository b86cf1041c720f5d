import { createEngine, type EngineStats } from '../../detectors/engine.js';
import type { Alert, SharedConfig } from '../../detectors/types.js';
import type { TelemetryItem } from '../../harness/telemetry/types.js';

/** Push items through one analytic's detector; alerts from push and flush, and its counters. */
export function runDetector(
  analytic: string,
  items: TelemetryItem[],
  options: { overrides?: Record<string, unknown>; shared?: Partial<SharedConfig> } = {},
): { alerts: Alert[]; stats: Record<string, number>; engine: EngineStats } {
  const engine = createEngine({
    shared: { trustedCidrs: [], standardUsers: [], ...options.shared },
    overrides: options.overrides ? { [analytic]: options.overrides } : {},
    only: [analytic],
  });
  const alerts: Alert[] = [];
  for (const item of items) alerts.push(...engine.push(item));
  alerts.push(...engine.flush());
  const stats = engine.stats();
  return { alerts, stats: stats.detectors[analytic]!, engine: stats };
}
