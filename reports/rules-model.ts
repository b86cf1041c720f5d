// The user's rules across a run, as every rules output shows them: one row per rule or detector, one cell per scenario
// (its verdict there), the hits with the rule's attribution, and the per-analytic summary line.
import type { RunReport, ScenarioResult } from '../harness/run/results.js';
import type { RuleEntry, RuleVerdict, RuleVerdictKind } from '../harness/run/rule-scoring.js';

export interface RuleRow {
  entry: RuleEntry;
  /** Display name: the rule title or the detector name. */
  name: string;
  cells: (RuleVerdict | null)[];
  counts: Record<RuleVerdictKind, number>;
}

export interface RulesView {
  scenarios: { label: string; result: ScenarioResult }[];
  rows: RuleRow[];
  /** Per analytic: "your rules: 0 of 3 AN1214 emulations caught, 2 false alarms". */
  summaries: { analytic: string; technique: string; emulations: number; caught: number; falseAlarms: number; line: string }[];
}

const KINDS: RuleVerdictKind[] = ['detected', 'missed', 'false-alarm', 'quiet', 'fired-on', 'incomplete', 'error'];

export function rulesView(report: RunReport): RulesView | null {
  if (!report.rules) return null;
  const several = new Set(report.scenarios.map((s) => s.target ?? '')).size > 1;
  const scenarios = report.scenarios.map((s) => ({
    label: `${s.id}${s.repetition ? ` #${s.repetition}` : ''}${several && s.target ? ` @ ${s.target}` : ''}`,
    result: s,
  }));
  const rows = report.rules.entries.map((entry) => {
    const cells = report.scenarios.map((s) => (s.ruleVerdicts ?? []).find((v) => v.key === entry.key) ?? null);
    const counts = Object.fromEntries(KINDS.map((k) => [k, cells.filter((c) => c?.verdict === k).length])) as Record<RuleVerdictKind, number>;
    return { entry, name: entry.rule?.title ?? entry.detector ?? entry.key, cells, counts };
  });
  const analytics = [...new Set(report.scenarios.map((s) => s.analytic))];
  const summaries = analytics.map((analytic) => {
    const mine = report.scenarios.filter((s) => s.analytic === analytic);
    const emulations = mine.filter((s) => s.kind === 'emulation');
    const caught = emulations.filter((s) => (s.ruleVerdicts ?? []).some((v) => v.verdict === 'detected')).length;
    const falseAlarms = mine.filter((s) => s.kind === 'benign').reduce((n, s) => n + (s.ruleVerdicts ?? []).filter((v) => v.verdict === 'false-alarm').length, 0);
    const technique = mine[0]?.technique ?? '';
    return {
      analytic,
      technique,
      emulations: emulations.length,
      caught,
      falseAlarms,
      line: `your rules: ${caught} of ${emulations.length} ${analytic} emulation${emulations.length === 1 ? '' : 's'} caught, ${falseAlarms} false alarm${falseAlarms === 1 ? '' : 's'}`,
    };
  });
  return { scenarios, rows, summaries };
}

/** Short cell text for matrices. */
export const CELL: Record<RuleVerdictKind, string> = {
  detected: 'detected',
  missed: 'missed',
  'false-alarm': 'FALSE ALARM',
  quiet: 'quiet',
  'fired-on': 'fired on',
  incomplete: 'incomplete',
  error: 'error',
};

/** The attribution the Detection Rule License asks for: title, author, level, references. */
export function attribution(entry: RuleEntry): string {
  if (entry.source === 'detector') return `external detector ${entry.detector}`;
  const r = entry.rule!;
  return [`"${r.title}"`, r.level ? `level ${r.level}` : null, r.author ? `by ${r.author}` : null, r.references.length ? `references: ${r.references.join(', ')}` : null, r.path]
    .filter(Boolean)
    .join('; ');
}

/** Rows worth showing: rules that fired somewhere or were expected somewhere. */
export function activeRows(view: RulesView): RuleRow[] {
  return view.rows.filter((r) => r.cells.some((c) => c !== null));
}
