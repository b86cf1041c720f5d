// Coverage per ATT&CK analytic (what was validated) and per technique (what Navigator shows).
// ATT&CK names come from the catalog (detectors/attack-data.json), never from here.
import { loadCatalog, type AnalyticRef } from '../harness/attack/catalog.js';
import type { AnalyticSummary, RunReport, ScenarioResult } from '../harness/run/results.js';
import { groupScenarios, outcomeOf, runTargets, targetOf, type ExpectationGroup, type ScenarioGroup } from './model.js';

/** TP/FN/FP/TN per analytic over every judged verdict (each repetition counts once). */
export function summarizeAnalytics(scenarios: ScenarioResult[]): AnalyticSummary[] {
  const rows = new Map<string, AnalyticSummary>();
  for (const run of scenarios) {
    for (const v of run.verdicts) {
      let row = rows.get(v.analytic);
      if (!row) {
        const ref = catalogEntry(v.analytic);
        const technique = ref?.techniques.find((t) => t.id === v.technique) ?? ref?.techniques[0];
        row = {
          analytic: v.analytic,
          name: ref?.name ?? v.analytic,
          detectionStrategy: ref?.detectionStrategy.id ?? '',
          technique: technique?.id ?? v.technique,
          techniqueName: technique?.name ?? '',
          tactics: technique?.tactics ?? [],
          truePositives: 0,
          falseNegatives: 0,
          falsePositives: 0,
          trueNegatives: 0,
          incomplete: 0,
          precision: null,
          recall: null,
        };
        rows.set(v.analytic, row);
      }
      if (v.verdict === 'detected') row.truePositives++;
      else if (v.verdict === 'missed') row.falseNegatives++;
      else if (v.verdict === 'false-alarm') row.falsePositives++;
      else if (v.verdict === 'quiet') row.trueNegatives++;
      else if (v.verdict === 'incomplete') row.incomplete++;
    }
  }
  for (const row of rows.values()) {
    const flagged = row.truePositives + row.falsePositives;
    const actual = row.truePositives + row.falseNegatives;
    row.precision = flagged ? row.truePositives / flagged : null;
    row.recall = actual ? row.truePositives / actual : null;
  }
  return [...rows.values()];
}

export function catalogEntry(id: string): AnalyticRef | undefined {
  return loadCatalog().get(id);
}

export interface TechniqueInfo {
  id: string;
  name: string;
  tactics: string[];
  url: string;
}

/** Technique name and tactics from the catalog; id-only when the catalog does not know it. */
export function techniqueInfo(id: string): TechniqueInfo {
  for (const ref of loadCatalog().values()) {
    const t = ref.techniques.find((x) => x.id === id);
    if (t) return { id, name: t.name, tactics: t.tactics, url: techniqueUrl(id) };
  }
  return { id, name: '', tactics: [], url: techniqueUrl(id) };
}

export function techniqueUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}

/** The ATT&CK release the catalog's primary tactics come from, e.g. "19" (layer `versions.attack`). */
export function attackVersion(): string {
  const versions = new Set<string>();
  for (const ref of loadCatalog().values()) {
    for (const t of ref.techniques) for (const v of Object.keys(t.tacticsByVersion)) versions.add(v);
  }
  const num = (v: string) => Number(v.replace(/^v/, '').replace('_', '.'));
  const newest = [...versions].sort((a, b) => num(b) - num(a))[0];
  if (!newest) throw new Error('the ATT&CK data file names no version (no tactics_vNN fields)');
  return newest.replace(/^v/, '').replace('_', '.');
}

export interface AnalyticCoverage {
  summary: AnalyticSummary;
  ref: AnalyticRef | undefined;
  detectionStrategy: { id: string; name: string };
  technique: TechniqueInfo;
  expectations: ExpectationGroup[];
}

export function analyticCoverage(report: RunReport, groups: ScenarioGroup[] = groupScenarios(report)): AnalyticCoverage[] {
  const computed = summarizeAnalytics(report.scenarios);
  const summaries = [...report.analytics];
  for (const row of computed) if (!summaries.some((s) => s.analytic === row.analytic)) summaries.push(row);
  const expectations = groups.flatMap((g) => g.expectations);
  return summaries.map((summary) => {
    const ref = catalogEntry(summary.analytic);
    const tech = techniqueInfo(summary.technique);
    return {
      summary,
      ref,
      detectionStrategy: ref
        ? { id: ref.detectionStrategy.id, name: ref.detectionStrategy.name }
        : { id: summary.detectionStrategy, name: '' },
      technique: { ...tech, name: tech.name || summary.techniqueName, tactics: tech.tactics.length ? tech.tactics : summary.tactics },
      expectations: expectations.filter((e) => e.analytic === summary.analytic),
    };
  });
}

export type CoverageStatus = 'all-met' | 'some-met' | 'failed';

export interface TechniqueCoverage {
  technique: TechniqueInfo;
  analytics: { id: string; name: string; detectionStrategy: string }[];
  expectations: ExpectationGroup[];
  /** Judged verdicts across repetitions. */
  verdicts: number;
  met: number;
  status: CoverageStatus;
}

/** Only techniques with at least one expectation run appear ("not run" = absent). */
export function techniqueCoverage(report: RunReport, groups: ScenarioGroup[] = groupScenarios(report)): TechniqueCoverage[] {
  const byTechnique = new Map<string, ExpectationGroup[]>();
  for (const e of groups.flatMap((g) => g.expectations)) {
    const list = byTechnique.get(e.technique) ?? [];
    list.push(e);
    byTechnique.set(e.technique, list);
  }
  return [...byTechnique.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, expectations]) => {
      const outcomes = expectations.flatMap((e) => e.verdicts.map((v) => outcomeOf(v.verdict)));
      const met = outcomes.filter((o) => o === 'met').length;
      const analyticIds = [...new Set(expectations.map((e) => e.analytic))];
      return {
        technique: techniqueInfo(id),
        analytics: analyticIds.map((a) => {
          const ref = catalogEntry(a);
          return { id: a, name: ref?.name ?? '', detectionStrategy: ref ? `${ref.detectionStrategy.id} ${ref.detectionStrategy.name}` : '' };
        }),
        expectations,
        verdicts: outcomes.length,
        met,
        status: met === outcomes.length ? 'all-met' : met > 0 ? 'some-met' : 'failed',
      };
    });
}

export interface HostCoverage {
  target: string;
  runs: number;
  /** Verdicts that met their expectation, out of all judged verdicts on this target. */
  met: number;
  verdicts: number;
  analytics: AnalyticSummary[];
}

/** Coverage per target when a run fanned out over several (empty for a one-target run). */
export function hostCoverage(report: RunReport): HostCoverage[] {
  const targets = runTargets(report);
  if (targets.length < 2) return [];
  return targets.map((target) => {
    const runs = report.scenarios.filter((s) => targetOf(report, s) === target);
    const verdicts = runs.flatMap((r) => r.verdicts);
    return {
      target,
      runs: runs.length,
      met: verdicts.filter((v) => outcomeOf(v.verdict) === 'met').length,
      verdicts: verdicts.length,
      analytics: summarizeAnalytics(runs),
    };
  });
}
