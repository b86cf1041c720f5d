// Precision and recall of each analytic's detector over the scenarios of a run: every scenario counts for every
// analytic (its own: an emulation expects an alert, a twin none; the others' must stay quiet). One line per
// analytic, printed at the end of every `purple run` and by the suite benchmark.
import type { AnalyticSummary, RunReport } from '../harness/run/results.js';
import { summarizeAnalytics } from './coverage.js';
import { formatRatio } from './model.js';

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

/** "detection quality over 37 scenarios: AN1214 precision 1.00 recall 1.00 (TP 6 FN 0 FP 0 TN 31; 6 emulations, 6 twins); ..." */
export function renderDetectionQuality(report: Pick<RunReport, 'scenarios'>): string {
  const rows = detectionQuality(report);
  if (!rows.length) return '';
  const lines = rows.map(
    (q) =>
      `  ${q.analytic} precision ${formatRatio(q.precision)} recall ${formatRatio(q.recall)} ` +
      `(TP ${q.truePositives} FN ${q.falseNegatives} FP ${q.falsePositives} TN ${q.trueNegatives}` +
      `${q.incomplete ? ` incomplete ${q.incomplete}` : ''}; ${q.emulations} emulations, ${q.twins} twins)`,
  );
  return `detection quality over ${report.scenarios.length} scenario runs:\n${lines.join('\n')}\n`;
}
