// Precision and recall per analytic (harness/run/judge/detection-quality.ts), one line each, printed at the end of
// every `purple run` and by the suite benchmark.
import type { RunReport } from '../harness/run/results.js';
import { detectionQuality } from '../harness/run/judge/detection-quality.js';
import { formatRatio } from './model.js';

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
