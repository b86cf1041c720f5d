// attack-layer.json: an ATT&CK Navigator layer (layer format 4.5) colouring each technique the run
// validated: every expectation met = green, some = amber, none = red. A technique whose emulations did not
// run (only quiet checks on other scenarios) is "not tested": listed with a comment, no colour, no score.
// Techniques never judged are absent.
import type { RunReport } from '../harness/run/results.js';
import { attackVersion, catalogEntry, groupScenarios, summaryLine, tallyLabel, techniqueCoverage, type CoverageStatus } from '../harness/run/judge/index.js';
import { visible } from './sanitize.js';

type Tested = Exclude<CoverageStatus, 'not-tested'>;
export const LAYER_COLORS: Record<Tested, string> = { 'all-met': '#8ec843', 'some-met': '#ffb000', failed: '#ff6666' };
const LEGEND: Record<Tested, string> = {
  'all-met': 'every expectation met',
  'some-met': 'some expectations met',
  failed: 'no expectation met',
};

export interface NavigatorLayer {
  name: string;
  versions: { attack: string; navigator: string; layer: string };
  domain: 'enterprise-attack';
  description: string;
  filters: { platforms: string[] };
  sorting: number;
  layout: { layout: string; showID: boolean; showName: boolean; expandedSubtechniques: string };
  hideDisabled: boolean;
  techniques: {
    techniqueID: string;
    tactic: string;
    score?: number;
    color?: string;
    comment: string;
    enabled: boolean;
    showSubtechniques: boolean;
    metadata: ({ name: string; value: string } | { divider: true })[];
    links: { label: string; url: string }[];
  }[];
  gradient: { colors: string[]; minValue: number; maxValue: number };
  legendItems: { label: string; color: string }[];
  metadata: { name: string; value: string }[];
  showTacticRowBackground: boolean;
  tacticRowBackground: string;
  selectTechniquesAcrossTactics: boolean;
  selectSubtechniquesWithParent: boolean;
  selectVisibleTechniques: boolean;
}

export function renderNavigatorLayer(report: RunReport): string {
  return JSON.stringify(buildNavigatorLayer(report), null, 2) + '\n';
}

export function buildNavigatorLayer(report: RunReport): NavigatorLayer {
  const groups = groupScenarios(report);
  const coverage = techniqueCoverage(report, groups);
  const platforms = new Set<string>();
  for (const c of coverage) for (const a of c.analytics) for (const p of catalogEntry(a.id)?.platforms ?? []) platforms.add(p);

  const techniques = coverage.flatMap((c) => {
    // Score = share of judged verdicts that met their expectation, so the gradient agrees with the colour.
    const score = c.verdicts ? Math.round((100 * c.met) / c.verdicts) : 0;
    const scenarios = [...new Set(c.expectations.map((e) => e.scenario))];
    const tested = c.status !== 'not-tested';
    const comment = visible([
      tested
        ? `${LEGEND[c.status as Tested]} (${c.met}/${c.verdicts} verdicts) in purple run ${report.run_id}.`
        : `Not tested in purple run ${report.run_id}: no emulation of this technique ran; it stayed quiet on ${c.met}/${c.verdicts} verdicts of other scenarios, which proves no detection.`,
      ...c.analytics.map((a) => `Validated analytic ${a.id}${a.name ? ` ${a.name}` : ''} (${a.detectionStrategy}).`),
      ...c.expectations.map((e) => `${e.scenario} / ${e.analytic}: ${tallyLabel(e)}.`),
    ].join(' '));
    const metadata: NavigatorLayer['techniques'][number]['metadata'] = [
      ...c.analytics.map((a) => ({ name: 'analytic', value: `${a.id}${a.name ? ` ${a.name}` : ''}` })),
      ...[...new Set(c.analytics.map((a) => a.detectionStrategy).filter(Boolean))].map((d) => ({ name: 'detection strategy', value: d })),
      { divider: true as const },
      ...scenarios.map((s) => {
        const results = c.expectations.filter((e) => e.scenario === s).map((e) => `${e.analytic} ${tallyLabel(e)}`);
        return { name: 'scenario', value: visible(`${s}: ${results.join('; ')}`) };
      }),
    ];
    const tactics = c.technique.tactics.length ? c.technique.tactics : [];
    if (!tactics.length) throw new Error(`technique ${c.technique.id} has no tactic in the ATT&CK data file; cannot place it in a Navigator layer`);
    return tactics.map((tactic) => ({
      techniqueID: c.technique.id,
      tactic,
      ...(tested ? { score, color: LAYER_COLORS[c.status as Tested] } : {}),
      comment,
      enabled: true,
      showSubtechniques: false,
      metadata,
      links: [{ label: `${c.technique.id} on attack.mitre.org`, url: c.technique.url }],
    }));
  });

  return {
    name: `purple ${report.run_id}`,
    versions: { attack: attackVersion(), navigator: '5.1', layer: '4.5' },
    domain: 'enterprise-attack',
    description: visible(`${summaryLine(report)}. Detection validation by purple on ${report.environment.host} (${report.environment.target}), ${report.started} to ${report.finished}. Score: percentage of verdicts that met their expectation, for techniques whose emulations ran; not tested techniques have no score and no colour.`),
    filters: { platforms: platforms.size ? [...platforms] : ['Linux'] },
    sorting: 0,
    layout: { layout: 'side', showID: true, showName: true, expandedSubtechniques: 'annotated' },
    hideDisabled: false,
    techniques,
    gradient: { colors: [LAYER_COLORS.failed, LAYER_COLORS['some-met'], LAYER_COLORS['all-met']], minValue: 0, maxValue: 100 },
    legendItems: (Object.keys(LEGEND) as Tested[]).map((s) => ({ label: LEGEND[s], color: LAYER_COLORS[s] })),
    metadata: [
      { name: 'run', value: report.run_id },
      { name: 'host', value: visible(report.environment.host) },
      { name: 'techniques', value: `${coverage.filter((c) => c.status !== 'not-tested').length} tested, ${coverage.filter((c) => c.status === 'not-tested').length} not tested` },
      { name: 'purple', value: report.environment.purple },
    ],
    showTacticRowBackground: false,
    tacticRowBackground: '#dddddd',
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
  };
}
