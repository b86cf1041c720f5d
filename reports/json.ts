import type { RunReport } from '../harness/run/results.js';

/** report.json: the RunReport itself (validated by reports/report.schema.json). */
export function renderJson(report: RunReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
