// The files for the user's rules, next to a run's other reports: a rules x scenarios matrix (rules.md, rules.html),
// JUnit with one test case per rule and scenario (rules-junit.xml), and an ATT&CK Navigator layer of what the rule
// set caught (rules-attack-layer.json). Each hit shows the rule's title, author, level and references.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunReport } from '../harness/run/results.js';
import { escapeXml as x } from './escape.js';
import { md } from './markdown.js';
import { activeRows, CELL, rulesView, type RuleRow, type RulesView } from './rules-model.js';

export const RULE_FILES = { md: 'rules.md', html: 'rules.html', junit: 'rules-junit.xml', layer: 'rules-attack-layer.json' } as const;

export function writeRuleOutputs(report: RunReport, dir: string): string[] {
  const view = rulesView(report);
  if (!view) return [];
  const files: [string, string][] = [
    [RULE_FILES.md, renderRulesMarkdown(report, view)],
    [RULE_FILES.html, renderRulesHtml(report, view)],
    [RULE_FILES.junit, renderRulesJUnit(report, view)],
    [RULE_FILES.layer, JSON.stringify(renderRulesLayer(report, view), null, 2) + '\n'],
  ];
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  return files.map(([name]) => path.join(dir, name));
}

function ruleMeta(row: RuleRow): { level: string; author: string; references: string[]; path: string } {
  const r = row.entry.rule;
  return { level: r?.level ?? '', author: r?.author ?? (row.entry.detector ? `external detector ${row.entry.detector}` : ''), references: r?.references ?? [], path: r?.path ?? '' };
}

export function renderRulesMarkdown(report: RunReport, view: RulesView): string {
  const rows = activeRows(view);
  const out = [`# Your detections: run ${md(report.run_id)}`, '', ...view.summaries.map((s) => `- **${md(s.analytic)}** (${md(s.technique)}): ${md(s.line)}`), ''];
  out.push(`## Rules × scenarios`, '', `Only rules that were expected somewhere or fired are listed (${rows.length} of ${view.rows.length}); an empty cell is quiet where nothing was expected.`, '');
  out.push(`| rule | ${view.scenarios.map((s) => md(s.label)).join(' | ')} |`, `| --- | ${view.scenarios.map(() => '---').join(' | ')} |`);
  for (const row of rows) out.push(`| ${md(row.name)} | ${row.cells.map((c) => (c ? md(CELL[c.verdict]) : '')).join(' | ')} |`);
  out.push('', '## Hits', '');
  for (const row of rows) {
    const m = ruleMeta(row);
    const hits = row.cells.map((c, i) => ({ c, s: view.scenarios[i]! })).filter(({ c }) => c && c.verdict !== 'quiet' && c.verdict !== 'missed');
    if (!hits.length) continue;
    out.push(`### ${md(row.name)}`, '', `level ${md(m.level || '—')}; author ${md(m.author || '—')}; ${m.path ? `\`${m.path.replace(/`/g, "'")}\`` : ''}`);
    for (const ref of m.references) out.push(`- reference: ${md(ref)}`);
    for (const { c, s } of hits) out.push(`- **${md(CELL[c!.verdict])}** on ${md(s.label)}${c!.steps.length ? ` (step ${md(c!.steps.join(', '))})` : ''}: ${md(c!.reason)}; events ${md(c!.eventIds.join(', ') || '—')}`);
    out.push('');
  }
  out.push('Sigma rules by their authors, under the Detection Rule License (DRL) 1.1 where they come from SigmaHQ.', '');
  return out.join('\n');
}

export function renderRulesHtml(report: RunReport, view: RulesView): string {
  const rows = activeRows(view);
  const color: Record<string, string> = { detected: '#cfe8b0', missed: '#f6c1c1', 'FALSE ALARM': '#f6c1c1', error: '#f6c1c1', incomplete: '#ffe3a3', quiet: '#eee', 'fired on': '#dde6f5' };
  const cell = (c: RuleRow['cells'][number]) => {
    if (!c) return '<td></td>';
    const text = CELL[c.verdict];
    return `<td style="background:${color[text]}" title="${x(c.reason)}">${x(text)}${c.steps.length ? `<br><small>${x(c.steps.join(', '))}</small>` : ''}</td>`;
  };
  const body = rows
    .map((row) => {
      const m = ruleMeta(row);
      const refs = m.references.map((r) => `<a href="${x(/^https?:\/\//.test(r) ? r : '#')}">${x(r)}</a>`).join('<br>');
      return `<tr><th scope="row">${x(row.name)}<br><small>${x([m.level && `level ${m.level}`, m.author && `by ${m.author}`].filter(Boolean).join(', '))}</small>${refs ? `<br><small>${refs}</small>` : ''}</th>${row.cells.map(cell).join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your detections: run ${x(report.run_id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}thead th{writing-mode:vertical-rl;transform:rotate(180deg)}small{color:#555}</style></head>
<body><h1>Your detections: run ${x(report.run_id)}</h1>
<ul>${view.summaries.map((s) => `<li><strong>${x(s.analytic)}</strong> (${x(s.technique)}): ${x(s.line)}</li>`).join('')}</ul>
<p>Rules that were expected somewhere or fired: ${rows.length} of ${view.rows.length}. An empty cell is quiet where nothing was expected.</p>
<table><thead><tr><th>rule</th>${view.scenarios.map((s) => `<th>${x(s.label)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>
<p><small>Sigma rules by their authors, under the Detection Rule License (DRL) 1.1 where they come from SigmaHQ.</small></p>
</body></html>
`;
}

export function renderRulesJUnit(report: RunReport, view: RulesView): string {
  const suites = view.rows.map((row) => {
    const cases = row.cells
      .map((c, i) => ({ c, s: view.scenarios[i]! }))
      .filter(({ c }) => c !== null)
      .map(({ c, s }) => {
        const name = `${s.label}: ${CELL[c!.verdict]}`;
        const failing = c!.verdict === 'missed' || c!.verdict === 'false-alarm';
        const child = c!.verdict === 'error' ? `<error message="${x(c!.reason)}"/>` : failing ? `<failure message="${x(c!.reason)}"/>` : c!.verdict === 'incomplete' ? `<skipped message="${x(c!.reason)}"/>` : '';
        return `    <testcase classname="${x(row.entry.key)}" name="${x(name)}" time="${((c!.latencyMs ?? 0) / 1000).toFixed(3)}">${child}<system-out>${x(c!.reason)}</system-out></testcase>`;
      });
    const failures = row.counts.missed + row.counts['false-alarm'];
    return `  <testsuite name="${x(row.name)}" tests="${cases.length}" failures="${failures}" errors="${row.counts.error}" skipped="${row.counts.incomplete}">
${cases.join('\n')}
  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="purple rules ${x(report.run_id)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** One layer for the whole rule set: per technique emulated, green when the rules caught every emulation. */
export function renderRulesLayer(report: RunReport, view: RulesView): object {
  const byTechnique = new Map<string, { emulations: number; caught: number; falseAlarms: number; rules: Set<string> }>();
  for (const s of view.scenarios) {
    const t = s.result.technique;
    const e = byTechnique.get(t) ?? { emulations: 0, caught: 0, falseAlarms: 0, rules: new Set<string>() };
    byTechnique.set(t, e);
    const verdicts = s.result.ruleVerdicts ?? [];
    if (s.result.kind === 'emulation') {
      e.emulations++;
      if (verdicts.some((v) => v.verdict === 'detected')) e.caught++;
    } else e.falseAlarms += verdicts.filter((v) => v.verdict === 'false-alarm').length;
    for (const v of verdicts) if (v.verdict === 'detected') e.rules.add(view.rows.find((r) => r.entry.key === v.key)?.name ?? v.key);
  }
  const colorOf = (e: { emulations: number; caught: number }) => (e.emulations && e.caught === e.emulations ? '#8ec843' : e.caught ? '#ffb000' : '#ff6666');
  return {
    name: `purple ${report.run_id}: your rules`,
    versions: { attack: '17', navigator: '5.1.0', layer: '4.5' },
    domain: 'enterprise-attack',
    description: `What the rule set (${report.rules!.paths.join(', ') || 'external detectors'}) caught in purple run ${report.run_id}`,
    techniques: [...byTechnique].map(([techniqueID, e]) => ({
      techniqueID,
      score: e.emulations ? Math.round((100 * e.caught) / e.emulations) : 0,
      color: colorOf(e),
      comment: `${e.caught} of ${e.emulations} emulations caught, ${e.falseAlarms} false alarms${e.rules.size ? `; by ${[...e.rules].join(', ')}` : ''}`,
      enabled: true,
      showSubtechniques: true,
    })),
    gradient: { colors: ['#ff6666', '#ffb000', '#8ec843'], minValue: 0, maxValue: 100 },
    legendItems: [
      { label: 'every emulation caught', color: '#8ec843' },
      { label: 'some caught', color: '#ffb000' },
      { label: 'none caught', color: '#ff6666' },
    ],
  };
}
