// Precision and recall of each analytic's detector over the scenarios of a run: every scenario counts for every
// analytic (its own: an emulation expects an alert, a twin none; the others' must stay quiet).
import type { AnalyticSummary, RunReport } from '../results.js';
import { summarizeAnalytics } from './coverage.js';

export interface DetectionQuality extends AnalyticSummary {
  /** Scenarios of the run written for this analytic, by kind. */
  emulations: number;
  twins: number;
}

export function detectionQuality(report: Pick<RunReport, 'scenarios'>): DetectionQuality[] {
  return summarizeAnalytics(report.scenarios).map((s) => ({
    ...s,
    emulations: report.scenarios.filter((r) => r.analytic === s.analytic && r.kind === 'emulation').length,
    twins: report.scenarios.filter((r) => r.analytic === s.analytic && r.kind === 'benign').length,
  }));
}
