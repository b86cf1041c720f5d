// Comparing a run with an earlier one: which expectations regressed, which scenarios came and went.
import type { Regression, RunReport, Verdict } from '../results.js';
import { groupScenarios, type ExpectationGroup } from './groups.js';

/**
 * Per scenario+analytic (repetitions folded together):
 * - newly-missed: every baseline repetition detected it, and now at least one repetition missed it;
 * - new-false-alarm: the baseline stayed quiet (or never judged that analytic for the scenario),
 *   and now at least one repetition raised a false alarm. `before` is then 'quiet': no alert.
 * Scenarios absent from either side are not regressions (see scenarioChanges).
 */
export function compareWithBaseline(current: RunReport, baseline: RunReport): Regression[] {
  const before = indexExpectations(baseline);
  const baselineScenarios = new Set(baseline.scenarios.map((s) => s.id));
  const regressions: Regression[] = [];
  for (const group of groupScenarios(current)) {
    if (!baselineScenarios.has(group.id)) continue;
    for (const now of group.expectations) {
      // The same target's results when the baseline has them; else the scenario's (a baseline run on one target).
      const then = before.get(key(group.label, now.analytic)) ?? before.get(key(group.id, now.analytic));
      const nowVerdicts = now.verdicts.map((v) => v.verdict);
      const thenVerdicts = then?.verdicts.map((v) => v.verdict) ?? [];
      if (then && thenVerdicts.every((v) => v === 'detected') && nowVerdicts.includes('missed')) {
        regressions.push({ scenario: group.label, analytic: now.analytic, kind: 'newly-missed', before: 'detected', now: 'missed' });
      } else if (thenVerdicts.every((v) => v === 'quiet') && nowVerdicts.includes('false-alarm')) {
        regressions.push({ scenario: group.label, analytic: now.analytic, kind: 'new-false-alarm', before: 'quiet', now: 'false-alarm' });
      }
    }
  }
  return regressions;
}

export function scenarioChanges(current: RunReport, baseline: RunReport): { newScenarios: string[]; removedScenarios: string[] } {
  const now = unique(current.scenarios.map((s) => s.id));
  const then = unique(baseline.scenarios.map((s) => s.id));
  return {
    newScenarios: now.filter((id) => !then.includes(id)),
    removedScenarios: then.filter((id) => !now.includes(id)),
  };
}

/** The report with its `baseline` section filled in from a baseline report read from `baselinePath`. */
export function withBaseline(current: RunReport, baseline: RunReport, baselinePath: string): RunReport {
  return {
    ...current,
    baseline: { path: baselinePath, regressions: compareWithBaseline(current, baseline), ...scenarioChanges(current, baseline) },
  };
}

export function regressionLabel(r: Regression): string {
  const what = r.kind === 'newly-missed' ? 'newly missed' : 'new false alarm';
  return `${what}: ${r.scenario} / ${r.analytic} (${verdictWord(r.before)} → ${verdictWord(r.now)})`;
}

function verdictWord(v: Verdict): string {
  return v === 'false-alarm' ? 'false alarm' : v;
}

function indexExpectations(report: RunReport): Map<string, ExpectationGroup> {
  const index = new Map<string, ExpectationGroup>();
  for (const group of groupScenarios(report)) for (const e of group.expectations) index.set(key(group.label, e.analytic), e);
  return index;
}

function key(scenario: string, analytic: string): string {
  return `${scenario}\u0000${analytic}`;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
