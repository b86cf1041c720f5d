// Turns what fired into verdicts: detected, missed, false alarm or quiet per analytic, and says
// which layer failed on a miss. Lost telemetry makes a verdict `incomplete`, never `missed`.
import type { Alert, NearMiss } from '../../detectors/types.js';
import type { AnalyticVerdict, Expectation, TelemetryCheck } from './results.js';

export interface EmittedAlert {
  alert: Alert;
  /** Wall-clock ms when the detector emitted it. */
  emittedAt: number;
}

export interface ScoringInput {
  /** Every analytic with a detector, mapped to its technique; analytics the scenario does not name expect no alert. */
  analytics: Map<string, string>;
  expect: Record<string, Expectation>;
  alerts: EmittedAlert[];
  checks: TelemetryCheck[];
  /** Why the telemetry cannot be trusted (lost audit events, a collector that could not run), if so. */
  incompleteBecause: string[];
  /** Why the scenario did not run as written (a failed step, a setup error), if so. */
  errorBecause: string | null;
  /** Per analytic that ran: its nearest candidates that did not alert and its counters, to explain a miss. */
  detectorViews?: Record<string, { nearMisses: NearMiss[]; counters: Record<string, number> }>;
  /** Analytics the configuration switched off (`enabled: false`): a miss there is the configuration's. */
  disabled?: string[];
}

export function score(input: ScoringInput): AnalyticVerdict[] {
  const failedChecks = input.checks.filter((c) => !c.satisfied);
  const verdicts: AnalyticVerdict[] = [];
  const named = Object.keys(input.expect);
  const order = [...named, ...[...input.analytics.keys()].filter((a) => !named.includes(a))];
  for (const analytic of order) {
    const technique = input.analytics.get(analytic) ?? '';
    const expectation = input.expect[analytic] ?? 'no-alert';
    const fired = input.alerts.filter((a) => a.alert.analytic === analytic);
    const first = fired[0];
    const latencyMs = first ? Math.max(0, first.emittedAt - Date.parse(first.alert.time)) : null;
    const base = { analytic, technique, expectation, latencyMs };
    if (input.errorBecause) {
      verdicts.push({ ...base, verdict: 'error', reason: input.errorBecause, failedLayer: null });
    } else if (expectation === 'alert' && first) {
      verdicts.push({ ...base, verdict: 'detected', reason: first.alert.summary, failedLayer: null });
    } else if (expectation === 'no-alert' && first) {
      verdicts.push({ ...base, verdict: 'false-alarm', reason: first.alert.summary, failedLayer: 'detector' });
    } else if (input.incompleteBecause.length) {
      verdicts.push({ ...base, verdict: 'incomplete', reason: `telemetry incomplete: ${input.incompleteBecause.join('; ')}`, failedLayer: 'collection' });
    } else if (expectation === 'alert') {
      const collection = failedChecks.length > 0;
      const view = input.detectorViews?.[analytic];
      verdicts.push({
        ...base,
        verdict: 'missed',
        reason: input.disabled?.includes(analytic)
          ? `the detector is switched off by the configuration (analytics.${analytic}.enabled: false)`
          : collection
            ? `collection failed: never saw ${failedChecks.map((c) => c.description).join('; ')}`
            : 'detector stayed silent although every declared telemetry check was satisfied',
        failedLayer: collection ? 'collection' : 'detector',
        ...(view ? { nearMisses: view.nearMisses, counters: Object.fromEntries(Object.entries(view.counters).filter(([, n]) => n !== 0)) } : {}),
      });
    } else {
      verdicts.push({ ...base, verdict: 'quiet', reason: 'no alert, as expected', failedLayer: null });
    }
  }
  return verdicts;
}
