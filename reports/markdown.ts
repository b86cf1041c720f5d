// report.md: the run summary as GitHub-flavoured Markdown for pull requests and tickets,
// regressions first.
import type { RunReport } from '../harness/run/results.js';
import { regressionLabel } from './baseline.js';
import { analyticCoverage, hostCoverage, techniqueCoverage, type CoverageStatus } from './coverage.js';
import { exitCodeFor } from './exit-code.js';
import { expectationLabel, failureReason, formatRatio, groupScenarios, latencyLabel, tallyLabel } from './model.js';

const STATUS_WORDS: Record<CoverageStatus, string> = { 'all-met': '✅ all met', 'some-met': '⚠️ some met', failed: '❌ failed' };

export function renderMarkdown(report: RunReport): string {
  const groups = groupScenarios(report);
  const code = exitCodeFor(report);
  const out: string[] = [];
  out.push(`# purple run ${md(report.run_id)}: ${code === 0 ? 'PASSED' : 'FAILED'}`, '');

  if (report.baseline) {
    const { regressions, newScenarios = [], removedScenarios = [] } = report.baseline;
    if (regressions.length) {
      out.push(`> [!CAUTION]`, `> **${regressions.length} regression${regressions.length === 1 ? '' : 's'}** against baseline \`${code_(report.baseline.path)}\`:`);
      for (const r of regressions) out.push(`> - ${md(regressionLabel(r))}`);
    } else {
      out.push(`> No regression against baseline \`${code_(report.baseline.path)}\`.`);
    }
    if (newScenarios.length) out.push('>', `> New scenarios (not compared): ${newScenarios.map(md).join(', ')}`);
    if (removedScenarios.length) out.push('>', `> Scenarios no longer run: ${removedScenarios.map(md).join(', ')}`);
    out.push('');
  }

  const env = report.environment;
  out.push(
    `- **Run:** ${md(report.run_id)}, ${md(report.started)} → ${md(report.finished)}`,
    `- **Host:** ${md(env.host)}, kernel ${md(env.kernel)}, auditd ${md(env.auditd ?? 'unknown')}, Docker ${md(env.docker ?? 'unknown')}`,
    `- **Target:** ${md(env.target)}; purple ${md(env.purple)}`,
    '',
  );

  out.push('## Results', '');
  out.push(...table(
    ['Scenario', 'Kind', 'Analytic', 'Technique', 'Expectation', 'Verdict', 'Latency'],
    groups.flatMap((g) =>
      g.expectations.map((e) => [g.label, g.kind, e.analytic, e.technique, expectationLabel(e.expectation), tallyLabel(e), latencyLabel(e.verdicts.map((v) => v.latencyMs))]),
    ),
  ));

  const failures = groups.flatMap((g) => g.expectations).filter((e) => e.outcome !== 'met');
  if (failures.length) {
    out.push('', '## Failures', '');
    for (const e of failures) out.push(`- **${md(e.scenario)} / ${md(e.analytic)}**: ${md(failureReason(e))}`);
  }

  const hosts = hostCoverage(report);
  if (hosts.length) {
    out.push('', '## Coverage per host', '');
    out.push(...table(
      ['Target', 'Runs', 'Expectations met', 'Per analytic (TP/FN/FP/TN)'],
      hosts.map((h) => [
        h.target,
        String(h.runs),
        `${h.met}/${h.verdicts}`,
        h.analytics.map((s) => `${s.analytic} ${s.truePositives}/${s.falseNegatives}/${s.falsePositives}/${s.trueNegatives}`).join(', '),
      ]),
    ));
  }

  out.push('', '## Coverage per analytic', '');
  out.push(...table(
    ['Analytic', 'Detection strategy', 'Technique', 'Tactics', 'TP', 'FN', 'FP', 'TN', 'Incomplete', 'Precision', 'Recall'],
    analyticCoverage(report, groups).map((c) => [
      `${c.summary.analytic} ${c.ref?.name ?? c.summary.name}`,
      `${c.detectionStrategy.id} ${c.detectionStrategy.name}`.trim(),
      `${c.technique.id} ${c.technique.name}`.trim(),
      c.technique.tactics.join(', '),
      String(c.summary.truePositives),
      String(c.summary.falseNegatives),
      String(c.summary.falsePositives),
      String(c.summary.trueNegatives),
      String(c.summary.incomplete),
      formatRatio(c.summary.precision),
      formatRatio(c.summary.recall),
    ]),
  ));

  out.push('', '## Coverage per technique', '');
  out.push(...table(
    ['Technique', 'Tactics', 'Analytics', 'Result'],
    techniqueCoverage(report, groups).map((c) => [
      `${c.technique.id} ${c.technique.name}`.trim(),
      c.technique.tactics.join(', '),
      c.analytics.map((a) => a.id).join(', '),
      `${STATUS_WORDS[c.status]} (${c.met}/${c.verdicts})`,
    ]),
  ));

  if (report.warnings.length) {
    out.push('', '## Warnings', '');
    for (const w of report.warnings) out.push(`- ${md(w)}`);
  }
  return out.join('\n') + '\n';
}

function table(head: string[], rows: string[][]): string[] {
  if (!rows.length) return ['_none_'];
  return [`| ${head.map(md).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`)];
}

/** Run text in Markdown: no markup, no raw HTML, no table breakage. */
export function md(text: string): string {
  return text
    .replace(/[\\`*_[\]#~|!]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/** Inside a code span: backticks cannot be escaped, so they are replaced. */
function code_(text: string): string {
  return text.replace(/`/g, "'").replace(/\r?\n/g, ' ');
}
