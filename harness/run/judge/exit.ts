// What a finished run means for the process exit code (README: 0 ok, 1 failed, 2 usage, 3 environment).
// The built-in detectors' expectations and the user's rules' verdicts are judged here, once, so every output agrees.
// Usage and environment problems stop purple before a report exists, so a report only yields 0 or 1.
import type { FailOn, RunReport } from '../results.js';
import { regressionLabel } from './baseline.js';
import { failureReason, groupScenarios, waiverLabel } from './groups.js';
import { FAILING } from '../rule-scoring.js';

/**
 * 0 when the run passes its gate, 1 otherwise. With `--fail-on expectation` (the default) the gate is every
 * expectation met in every repetition and nothing regressed against the baseline. Decided: an incomplete
 * verdict fails the run ("telemetry incomplete": an unproven detection is not a pass), an error verdict fails
 * it, and a flaky expectation (met in some repetitions only) fails it.
 * With `--fail-on regression` only regressions against the baseline fail it, and errors (a scenario that could
 * not run proves nothing either way); known misses, false alarms and lost telemetry are reported, not gated.
 * Either way: a failing expectation covered by a waiver in force does not fail the run; an expired waiver
 * fails it for every expectation it names; a run with no scenario at all fails (nothing was validated).
 */
export function exitCodeFor(report: RunReport): 0 | 1 {
  return exitReasons(report).length ? 1 : 0;
}

export function failOnOf(report: RunReport): FailOn {
  return report.judgement?.failOn ?? 'expectation';
}

/** One line per reason the run exits 1, empty when it exits 0. */
export function exitReasons(report: RunReport): string[] {
  const failOn = failOnOf(report);
  const reasons: string[] = [];
  const waived = new Set<string>();
  if (!report.scenarios.length) reasons.push('no scenario ran');
  for (const group of groupScenarios(report)) {
    for (const e of group.expectations) {
      if (e.waiver?.expired) {
        reasons.push(`${e.scenario} / ${e.analytic}: ${waiverLabel(e.waiver)}`);
        continue;
      }
      if (e.waiver) waived.add(`${e.scenario}\u0000${e.analytic}`);
      if (e.outcome === 'met' || e.waiver) continue;
      if (failOn === 'regression' && e.outcome !== 'error') continue;
      reasons.push(`${e.scenario} / ${e.analytic}: ${failureReason(e)}`);
    }
  }
  // The user's own rules and detectors (--rules, --detector) are judged like the built-ins: a miss or a false alarm
  // fails an expectation gate, a detector error fails either gate.
  for (const scenario of report.scenarios) {
    for (const v of scenario.ruleVerdicts ?? []) {
      if (!FAILING.has(v.verdict) || (failOn === 'regression' && v.verdict !== 'error')) continue;
      reasons.push(`${scenario.id} / ${v.key}: ${v.verdict} (${v.reason})`);
    }
  }
  for (const r of report.baseline?.regressions ?? []) {
    if (waived.has(`${r.scenario}\u0000${r.analytic}`)) continue;
    reasons.push(`regression: ${regressionLabel(r)}`);
  }
  return reasons;
}
