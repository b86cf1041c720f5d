// Verdicts for the user's own rules and detectors, scenario by scenario. A rule is expected to fire on an emulation
// when its ATT&CK tags name the emulation's technique or that technique's parent: detected or missed. Firing on a
// benign twin is a false alarm; firing on another emulation is information ("fired on", with the step).
import type { RuleAlert } from '../../detectors/byod/types.js';
import { ruleKey } from '../../detectors/byod/types.js';
import type { DetectorStatus } from '../../detectors/byod/sources.js';
import type { Regression, RuleEntry, RuleVerdict, RuleVerdictKind, RunReport } from './results.js';

export type { RuleEntry, RuleVerdict, RuleVerdictKind };

export interface EmittedRuleAlert {
  alert: RuleAlert;
  emittedAt: number;
}

export interface RuleScoringInput {
  scenario: { kind: 'emulation' | 'benign'; technique: string };
  rules: RuleEntry[];
  alerts: EmittedRuleAlert[];
  detectors: DetectorStatus[];
  incompleteBecause: string[];
  errorBecause: string | null;
}

/** The technique and its parent (T1560.003 -> T1560). */
export function techniqueFamily(technique: string): string[] {
  const parent = technique.split('.')[0]!;
  return parent === technique ? [technique] : [technique, parent];
}

export function expectsRule(techniques: string[], scenarioTechnique: string): boolean {
  const family = techniqueFamily(scenarioTechnique.toUpperCase());
  return techniques.some((t) => family.includes(t.toUpperCase()));
}

/** Verdicts worth keeping: every relevant rule (detected, missed, quiet on a twin) and every rule that fired. */
export function scoreRules(input: RuleScoringInput): RuleVerdict[] {
  const out: RuleVerdict[] = [];
  const errors = new Map(input.detectors.filter((d) => d.error).map((d) => [`detector:${d.name}`, d.error!]));
  for (const rule of input.rules) {
    const fired = input.alerts.filter((a) => ruleKey(a.alert) === rule.key);
    const relevant = expectsRule(rule.techniques, input.scenario.technique);
    const first = fired[0];
    const base = {
      key: rule.key,
      latencyMs: first ? Math.max(0, first.emittedAt - Date.parse(first.alert.firstTime)) : null,
      steps: [...new Set(fired.map((a) => a.alert.step).filter((s): s is string => s !== null))],
      alerts: fired.length,
      eventIds: first ? first.alert.evidence.eventIds.slice(0, 20) : [],
    };
    const detectorError = errors.get(rule.key);
    if (input.errorBecause || detectorError) {
      if (relevant || fired.length || detectorError) out.push({ ...base, verdict: 'error', reason: detectorError ?? input.errorBecause! });
    } else if (input.scenario.kind === 'benign') {
      if (first) out.push({ ...base, verdict: 'false-alarm', reason: first.alert.summary });
      else if (relevant) out.push({ ...base, verdict: 'quiet', reason: 'no alert on the benign twin, as expected' });
    } else if (relevant) {
      if (first) out.push({ ...base, verdict: 'detected', reason: first.alert.summary });
      else if (input.incompleteBecause.length) out.push({ ...base, verdict: 'incomplete', reason: `telemetry incomplete: ${input.incompleteBecause.join('; ')}` });
      else out.push({ ...base, verdict: 'missed', reason: `no alert although its tags name ${input.scenario.technique} or its parent` });
    } else if (first) {
      out.push({ ...base, verdict: 'fired-on', reason: `${first.alert.summary}${base.steps.length ? ` (step ${base.steps.join(', ')})` : ''}` });
    }
  }
  return out;
}

/** The run's rules: every loaded Sigma rule, and every detector with the techniques its alerts claimed. */
export function ruleEntries(sigma: RuleEntry[], detectors: string[], alerts: RuleAlert[]): RuleEntry[] {
  const claimed = new Map<string, Set<string>>();
  for (const a of alerts) if (a.source === 'detector') for (const t of a.techniques) (claimed.get(a.detector!) ?? claimed.set(a.detector!, new Set()).get(a.detector!)!).add(t);
  return [
    ...sigma,
    ...detectors.map((name) => ({ key: `detector:${name}`, source: 'detector' as const, detector: name, techniques: [...(claimed.get(name) ?? [])] })),
  ];
}

export const FAILING: ReadonlySet<RuleVerdictKind> = new Set(['missed', 'false-alarm', 'error']);

/** Scores every scenario of a finished run for every rule and detector, and records the rule set in the report. */
export function applyRuleScoring(report: RunReport, rules: { paths: string[]; builtin: boolean; sigma: RuleEntry[]; detectors: string[]; lint: { ok: number; unsupported: number; invalid: number } }): void {
  const all = report.scenarios.flatMap((s) => s.ruleAlerts ?? []);
  const entries = ruleEntries(rules.sigma, rules.detectors, all);
  for (const s of report.scenarios) {
    s.ruleVerdicts = scoreRules({
      scenario: { kind: s.kind, technique: s.technique },
      rules: entries,
      alerts: (s.ruleAlerts ?? []).map((alert) => ({ alert, emittedAt: Date.parse(alert.emitted) })),
      detectors: s.detectors ?? [],
      incompleteBecause: s.telemetry.complete ? [] : ['audit events lost or a collector could not run'],
      errorBecause: s.error,
    });
  }
  report.rules = { paths: rules.paths, builtin: rules.builtin, entries, lint: rules.lint };
}

/** Per rule: detected before and missed now, quiet before and a false alarm now (the `analytic` is the rule key). */
export function ruleRegressions(now: RunReport, before: RunReport): Regression[] {
  const index = new Map<string, RuleVerdict>();
  for (const s of before.scenarios) for (const v of s.ruleVerdicts ?? []) index.set(`${s.id}\u0000${s.target ?? ''}\u0000${v.key}`, v);
  const out: Regression[] = [];
  for (const s of now.scenarios) {
    for (const v of s.ruleVerdicts ?? []) {
      const then = index.get(`${s.id}\u0000${s.target ?? ''}\u0000${v.key}`);
      if (!then) continue;
      if (then.verdict === 'detected' && v.verdict === 'missed') out.push({ scenario: s.id, analytic: v.key, kind: 'newly-missed', before: 'detected', now: 'missed' });
      if (then.verdict === 'quiet' && v.verdict === 'false-alarm') out.push({ scenario: s.id, analytic: v.key, kind: 'new-false-alarm', before: 'quiet', now: 'false-alarm' });
    }
  }
  return out;
}
