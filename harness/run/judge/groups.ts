// How a run is judged per expectation: scenario runs grouped across --repeat, each expectation
// (scenario x analytic) with its tally, its worst outcome and the waiver that covers it, and the words
// used for verdicts. Renderers in reports/ format these; they never re-derive them.
import type { AnalyticVerdict, Expectation, RunReport, ScenarioResult, Verdict } from '../results.js';
import { waiverFor, type AppliedWaiver } from './waivers.js';
import { alarmExplanation, missExplanation } from './explain.js';

export type Outcome = 'met' | 'failed' | 'incomplete' | 'error';

export function outcomeOf(verdict: Verdict): Outcome {
  switch (verdict) {
    case 'detected':
    case 'quiet':
      return 'met';
    case 'missed':
    case 'false-alarm':
      return 'failed';
    case 'incomplete':
      return 'incomplete';
    case 'error':
      return 'error';
  }
}

const VERDICT_WORDS: Record<Verdict, string> = {
  detected: 'detected',
  missed: 'missed',
  'false-alarm': 'false alarm',
  quiet: 'quiet',
  incomplete: 'incomplete',
  error: 'error',
};

export function verdictLabel(verdict: Verdict): string {
  return VERDICT_WORDS[verdict];
}

export function expectationLabel(expectation: Expectation): string {
  return expectation === 'alert' ? 'alert expected' : 'no alert expected';
}

/** One scenario expectation (scenario x analytic) across every repetition of the scenario. */
export interface ExpectationGroup {
  scenario: string;
  analytic: string;
  technique: string;
  expectation: Expectation;
  /** One per repetition, in run order. */
  verdicts: AnalyticVerdict[];
  /** The runs the verdicts came from (same order). */
  runs: ScenarioResult[];
  /** How many repetitions met the expectation. */
  metCount: number;
  /** Worst outcome across repetitions: error > incomplete > failed > met. */
  outcome: Outcome;
  /** The verdict that decides the group: the first repetition with the worst outcome. */
  deciding: AnalyticVerdict;
  flaky: boolean;
  /** The waiver (from the run's waivers file) that names this expectation, if any: see waivers.ts. */
  waiver: AppliedWaiver | null;
}

export interface ScenarioGroup {
  id: string;
  /** How the group is named in reports: the scenario id, with ` @ target` when the run had several targets. */
  label: string;
  name: string;
  kind: 'emulation' | 'benign';
  twinOf: string | null;
  analytic: string;
  technique: string;
  runs: ScenarioResult[];
  expectations: ExpectationGroup[];
}

const OUTCOME_RANK: Record<Outcome, number> = { met: 0, failed: 1, incomplete: 2, error: 3 };

export function worstOutcome(outcomes: Outcome[]): Outcome {
  return outcomes.reduce<Outcome>((worst, o) => (OUTCOME_RANK[o] > OUTCOME_RANK[worst] ? o : worst), 'met');
}

/** Scenarios in first-appearance order, repetitions folded together; a run over several targets keeps each target's apart. */
export function groupScenarios(report: RunReport): ScenarioGroup[] {
  const groups = new Map<string, ScenarioGroup>();
  const label = scenarioLabeller(report);
  for (const run of report.scenarios) {
    const text = label(run);
    let group = groups.get(text);
    if (!group) {
      group = {
        id: run.id,
        label: text,
        name: run.name,
        kind: run.kind,
        twinOf: run.twinOf,
        analytic: run.analytic,
        technique: run.technique,
        runs: [],
        expectations: [],
      };
      groups.set(text, group);
    }
    group.runs.push(run);
  }
  for (const group of groups.values()) {
    group.runs.sort((a, b) => (a.repetition ?? 0) - (b.repetition ?? 0));
    group.expectations = groupExpectations(group).map((e) => ({ ...e, waiver: waiverFor(report, group.id, e) }));
  }
  return [...groups.values()];
}

/** The target a scenario ran on (a result without one ran on the run's only target). */
export function targetOf(report: RunReport, run: ScenarioResult): string {
  return run.target ?? report.environment.target;
}

/** The run's targets, in first-appearance order. */
export function runTargets(report: RunReport): string[] {
  return [...new Set(report.scenarios.map((run) => targetOf(report, run)))];
}

/** Names a scenario run as the reports show it: `id`, or `id @ target` when the run had several targets. */
export function scenarioLabeller(report: RunReport): (run: ScenarioResult) => string {
  const several = runTargets(report).length > 1;
  return (run) => (several ? `${run.id} @ ${targetOf(report, run)}` : run.id);
}

function groupExpectations(group: ScenarioGroup): Omit<ExpectationGroup, 'waiver'>[] {
  const byAnalytic = new Map<string, { verdicts: AnalyticVerdict[]; runs: ScenarioResult[] }>();
  for (const run of group.runs) {
    // A run that errored before any analytic was judged still has to show up as an error.
    const verdicts = run.verdicts.length ? run.verdicts : [syntheticVerdict(run)];
    for (const v of verdicts) {
      const entry = byAnalytic.get(v.analytic) ?? { verdicts: [], runs: [] };
      entry.verdicts.push(v);
      entry.runs.push(run);
      byAnalytic.set(v.analytic, entry);
    }
  }
  return [...byAnalytic.entries()].map(([analytic, { verdicts, runs }]) => {
    const outcomes = verdicts.map((v) => outcomeOf(v.verdict));
    const outcome = worstOutcome(outcomes);
    const deciding = verdicts[outcomes.indexOf(outcome)]!;
    const metCount = outcomes.filter((o) => o === 'met').length;
    return {
      scenario: group.label,
      analytic,
      technique: deciding.technique,
      expectation: deciding.expectation,
      verdicts,
      runs,
      metCount,
      outcome,
      deciding,
      flaky: metCount > 0 && metCount < verdicts.length,
    };
  });
}

function syntheticVerdict(run: ScenarioResult): AnalyticVerdict {
  return {
    analytic: run.analytic,
    technique: run.technique,
    expectation: run.kind === 'emulation' ? 'alert' : 'no-alert',
    verdict: run.verdict,
    reason: run.error ?? `scenario ended ${run.verdict} before any analytic was judged`,
    failedLayer: null,
    latencyMs: run.latency_ms,
  };
}

/** "detected", or across repetitions "2/3 detected — flaky", "3/3 quiet". */
export function tallyLabel(group: ExpectationGroup): string {
  if (group.verdicts.length === 1) return verdictLabel(group.deciding.verdict);
  const n = group.verdicts.length;
  const goal: Verdict = group.expectation === 'alert' ? 'detected' : 'quiet';
  const hits = group.verdicts.filter((v) => v.verdict === goal).length;
  const others = countBy(group.verdicts.filter((v) => v.verdict !== goal).map((v) => verdictLabel(v.verdict)));
  const rest = Object.entries(others).map(([label, count]) => `${count} ${label}`);
  const base = `${hits}/${n} ${verdictLabel(goal)}`;
  const detail = rest.length ? ` (${rest.join(', ')})` : '';
  return `${base}${detail}${group.flaky ? ' — flaky' : ''}`;
}

/** Why a failed/incomplete/errored expectation failed, in one line, with the layer and alert summaries. */
export function failureReason(group: ExpectationGroup): string {
  const v = group.deciding;
  const run = group.runs[group.verdicts.indexOf(v)]!;
  const parts: string[] = [];
  switch (v.verdict) {
    case 'missed':
      parts.push(`missed (${v.failedLayer === 'collection' ? 'collection failed: the telemetry never arrived' : v.failedLayer === 'detector' ? 'detector failed: telemetry arrived, detector silent' : 'layer unknown'})`);
      break;
    case 'false-alarm': {
      const alerts = run.alerts.filter((a) => a.analytic === v.analytic).map((a) => [a.summary, alarmExplanation(a)].filter(Boolean).join(' — '));
      parts.push(`false alarm${alerts.length ? `: ${alerts.join(' | ')}` : ''}`);
      break;
    }
    case 'incomplete':
      parts.push('telemetry incomplete');
      break;
    case 'error':
      parts.push(`error${run.error ? `: ${run.error}` : ''}`);
      break;
    default:
      parts.push(verdictLabel(v.verdict));
  }
  // Runners often phrase the reason themselves ("telemetry incomplete: ..."): never say it twice.
  if (v.reason.startsWith(parts[0]!)) parts[0] = v.reason;
  else if (v.reason && !parts[0]!.includes(v.reason)) parts.push(v.reason);
  const why = missExplanation(v);
  if (why) parts.push(why);
  if (group.verdicts.length > 1) parts.push(`${tallyLabel(group)}${run.repetition !== undefined ? `, first failing repetition #${run.repetition}` : ''}`);
  if (group.waiver) parts.push(waiverLabel(group.waiver));
  return parts.join(' — ');
}

/** "waived until 2027-03-31: tftp is not monitored on build hosts", or "waiver expired on ...". */
export function waiverLabel(w: AppliedWaiver): string {
  return w.expired ? `waiver expired on ${w.expires} (${w.reason})` : `waived until ${w.expires}: ${w.reason}`;
}

function countBy(items: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

/** Totals over expectation groups (what the summary line and exit code speak about). */
export interface Totals {
  expectations: number;
  met: number;
  failed: number;
  incomplete: number;
  errors: number;
  flaky: number;
  /** Failed, incomplete or errored expectations covered by a waiver still in force. */
  waived: number;
}

export function totals(groups: ScenarioGroup[]): Totals {
  const t: Totals = { expectations: 0, met: 0, failed: 0, incomplete: 0, errors: 0, flaky: 0, waived: 0 };
  for (const e of groups.flatMap((g) => g.expectations)) {
    t.expectations++;
    if (e.flaky) t.flaky++;
    if (e.outcome !== 'met' && e.waiver && !e.waiver.expired) t.waived++;
    if (e.outcome === 'met') t.met++;
    else if (e.outcome === 'failed') t.failed++;
    else if (e.outcome === 'incomplete') t.incomplete++;
    else t.errors++;
  }
  return t;
}
