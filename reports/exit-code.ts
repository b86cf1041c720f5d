// What a finished run means for the process exit code (README: 0 ok, 1 failed, 2 usage, 3 environment).
// Usage and environment problems stop purple before a report exists, so a report only yields 0 or 1.
import type { RunReport } from '../harness/run/results.js';
import { regressionLabel } from './baseline.js';
import { failureReason, groupScenarios } from './model.js';

/**
 * 0 when every expectation was met in every repetition and nothing regressed against the baseline; 1 otherwise.
 * Decided: an incomplete verdict fails the run ("telemetry incomplete": an unproven detection is not a pass),
 * an error verdict fails it, and a flaky expectation (met in some repetitions only) fails it.
 * A run with no scenario at all also fails: nothing was validated.
 */
export function exitCodeFor(report: RunReport): 0 | 1 {
  return exitReasons(report).length ? 1 : 0;
}

/** One line per reason the run exits 1, empty when it exits 0. */
export function exitReasons(report: RunReport): string[] {
  const reasons: string[] = [];
  if (!report.scenarios.length) reasons.push('no scenario ran');
  for (const group of groupScenarios(report)) {
    for (const e of group.expectations) {
      if (e.outcome !== 'met') reasons.push(`${e.scenario} / ${e.analytic}: ${failureReason(e)}`);
    }
  }
  for (const r of report.baseline?.regressions ?? []) reasons.push(`regression: ${regressionLabel(r)}`);
  return reasons;
}
