// The terminal's part for the user's rules: the per-analytic summary line, then which rule caught which scenario.
import type { RunReport } from '../harness/run/results.js';
import { sanitize } from '../detectors/sigma/text.js';
import { activeRows, attribution, CELL, rulesView } from './rules-model.js';

const MAX_LINES = 60;

export function renderRuleSummary(report: RunReport): string {
  const view = rulesView(report);
  if (!view) return '';
  const r = report.rules!;
  const out: string[] = ['', `Your detections: ${r.entries.length} rules and detectors${r.builtin ? ', beside the built-ins' : ' (built-ins off)'}; ${r.lint.ok} rules loaded, ${r.lint.unsupported} unsupported`];
  for (const s of view.summaries) out.push(`  ${s.analytic} (${s.technique}): ${s.line}`);
  const hits: string[] = [];
  for (const row of activeRows(view)) {
    row.cells.forEach((cell, i) => {
      if (!cell || cell.verdict === 'quiet') return;
      const step = cell.steps.length ? ` in step "${cell.steps.join('", "')}"` : '';
      hits.push(`  ${CELL[cell.verdict].padEnd(11)} ${view.scenarios[i]!.label}: ${attribution(row.entry)}${step}`);
    });
  }
  const errors = report.scenarios.flatMap((s) => (s.detectors ?? []).filter((d) => d.error).map((d) => `  error       ${s.id}: detector ${d.name}: ${d.error}`));
  if (hits.length || errors.length) out.push('', 'Rule verdicts (detected, missed, false alarms, fired on other scenarios):');
  out.push(...[...errors, ...hits].slice(0, MAX_LINES).map(sanitize));
  if (errors.length + hits.length > MAX_LINES) out.push(`  ... and ${errors.length + hits.length - MAX_LINES} more (rules.md, rules.html, report.json)`);
  return out.join('\n') + '\n';
}
