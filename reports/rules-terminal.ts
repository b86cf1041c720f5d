// The terminal's part for the user's rules: the per-analytic summary line, then which rule caught which scenario.
import type { RunReport } from '../harness/run/results.js';
import { sanitize } from '../detectors/sigma/text.js';
import type { RuleEntry } from '../harness/run/rule-scoring.js';
import { activeRows, CELL, rulesView } from './rules-model.js';

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
      hits.push(clip(`  ${CELL[cell.verdict].padEnd(11)} ${view.scenarios[i]!.label}: ${shortAttribution(row.entry)}${step}`));
    });
  }
  const errors = report.scenarios.flatMap((s) => (s.detectors ?? []).filter((d) => d.error).map((d) => `  error       ${s.id}: detector ${d.name}: ${d.error}`));
  if (hits.length || errors.length) out.push('', 'Rule verdicts (detected, missed, false alarms, fired on other scenarios):');
  out.push(...[...errors, ...hits].slice(0, MAX_LINES).map(sanitize));
  if (errors.length + hits.length > MAX_LINES) out.push(`  ... and ${errors.length + hits.length - MAX_LINES} more (rules.md, rules.html, report.json)`);
  const failing = report.scenarios.flatMap((s) => s.ruleVerdicts ?? []).filter((v) => v.verdict === 'missed' || v.verdict === 'false-alarm' || v.verdict === 'error');
  const count = (k: string) => failing.filter((v) => v.verdict === k).length;
  out.push('', failing.length ? `your detections: ${count('missed')} missed, ${count('false-alarm')} false alarms, ${count('error')} errors` : 'your detections: every expectation met');
  return out.join('\n') + '\n';
}

/** Title, level, author and the first reference (all references: rules.md, rules.html). */
function shortAttribution(entry: RuleEntry): string {
  if (entry.source === 'detector') return `external detector ${entry.detector}`;
  const r = entry.rule!;
  return [`"${r.title}"`, r.level, r.author && `by ${r.author}`, r.references[0] && `ref ${r.references[0]}${r.references.length > 1 ? ` (+${r.references.length - 1})` : ''}`].filter(Boolean).join('; ');
}

function clip(line: string): string {
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
