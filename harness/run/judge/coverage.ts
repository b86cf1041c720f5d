// Coverage per ATT&CK analytic (what was validated) and per technique (what Navigator shows), claimed
// only from what ran: an analytic or technique whose emulations did not run is "not tested", however
// quiet it stayed on other scenarios. ATT&CK names come from the catalog (detectors/attack-data.json).
import { loadCatalog, type AnalyticRef } from '../../attack/catalog.js';
import type { AnalyticSummary, RunReport, ScenarioResult } from '../results.js';
import { groupScenarios, outcomeOf, runTargets, targetOf, type ExpectationGroup, type ScenarioGroup } from './groups.js';

/** An emulation of this analytic ran (an attempt counts: an errored emulation is a failure, not "not tested"). */
export function analyticTested(scenarios: ScenarioResult[], analytic: string): boolean {
  return scenarios.some((s) => s.kind === 'emulation' && s.analytic === analytic);
}

export function techniqueTested(scenarios: ScenarioResult[], technique: string): boolean {
  return scenarios.some((s) => s.kind === 'emulation' && s.technique === technique);
}

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
          tested: analyticTested(scenarios, v.analytic),
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
  /** An emulation of the analytic ran (see analyticTested). */
  tested: boolean;
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
      tested: analyticTested(report.scenarios, summary.analytic),
      ref,
      detectionStrategy: ref
        ? { id: ref.detectionStrategy.id, name: ref.detectionStrategy.name }
        : { id: summary.detectionStrategy, name: '' },
      technique: { ...tech, name: tech.name || summary.techniqueName, tactics: tech.tactics.length ? tech.tactics : summary.tactics },
      expectations: expectations.filter((e) => e.analytic === summary.analytic),
    };
  });
}

/** `not-tested`: no emulation of the technique ran; its quiet verdicts on other scenarios claim nothing. */
export type CoverageStatus = 'all-met' | 'some-met' | 'failed' | 'not-tested';

export interface TechniqueCoverage {
  technique: TechniqueInfo;
  analytics: { id: string; name: string; detectionStrategy: string }[];
  expectations: ExpectationGroup[];
  /** Judged verdicts across repetitions. */
  verdicts: number;
  met: number;
  status: CoverageStatus;
}

/** Techniques with at least one expectation judged; those whose emulations did not run are `not-tested`. */
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
        status: !techniqueTested(report.scenarios, id) ? 'not-tested' : met === outcomes.length ? 'all-met' : met > 0 ? 'some-met' : 'failed',
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

/** What the run did not test: the catalog's analytics with no emulation in the run, and the platforms and targets covered. */
export interface Scope {
  /** Catalog analytics (detectors/attack-data.json) no emulation of this run exercised, with their techniques. */
  untestedAnalytics: { id: string; name: string; techniques: string[] }[];
  /** Techniques judged only by quiet checks on other scenarios (their emulations did not run). */
  untestedTechniques: string[];
  testedAnalytics: string[];
  testedTechniques: string[];
  /** The catalog's platforms for the tested analytics, and the ones the run covered (always Linux). */
  platforms: { covered: string[]; notCovered: string[] };
  targets: string[];
  emulations: number;
  benignTwins: number;
}

export function scopeOf(report: RunReport): Scope {
  const catalog = loadCatalog();
  const testedAnalytics = [...new Set(report.scenarios.filter((s) => s.kind === 'emulation').map((s) => s.analytic))];
  const testedTechniques = [...new Set(report.scenarios.filter((s) => s.kind === 'emulation').map((s) => s.technique))];
  const judgedTechniques = new Set(report.scenarios.flatMap((s) => s.verdicts.map((v) => v.technique)));
  const platforms = new Set<string>();
  for (const id of testedAnalytics) for (const p of catalog.get(id)?.platforms ?? []) platforms.add(p);
  return {
    untestedAnalytics: [...catalog.values()]
      .filter((a) => !testedAnalytics.includes(a.id))
      .map((a) => ({ id: a.id, name: a.name, techniques: a.techniques.map((t) => t.id) })),
    untestedTechniques: [...judgedTechniques].filter((t) => !testedTechniques.includes(t)).sort(),
    testedAnalytics,
    testedTechniques,
    platforms: { covered: ['Linux'], notCovered: [...platforms].filter((p) => p !== 'Linux').sort() },
    targets: runTargets(report),
    emulations: new Set(report.scenarios.filter((s) => s.kind === 'emulation').map((s) => s.id)).size,
    benignTwins: new Set(report.scenarios.filter((s) => s.kind === 'benign').map((s) => s.id)).size,
  };
}
