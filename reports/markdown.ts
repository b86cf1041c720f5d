// report.md: the run summary as GitHub-flavoured Markdown for pull requests and tickets,
// regressions first.
import type { RunReport } from '../harness/run/results.js';
import {
  analyticCoverage,
  attackVersion,
  exitCodeFor,
  exitReasons,
  expectationLabel,
  failOnOf,
  failureReason,
  groupScenarios,
  hostCoverage,
  regressionLabel,
  scopeOf,
  summaryLine,
  tallyLabel,
  techniqueCoverage,
  waiverLabel,
  type CoverageStatus,
  type ExpectationGroup,
} from '../harness/run/judge/index.js';
import { configRows } from './config-view.js';
import { formatRatio, latencyLabel } from './model.js';
import { markdownText, visible } from './sanitize.js';

const STATUS_WORDS: Record<CoverageStatus, string> = { 'all-met': '✅ all met', 'some-met': '⚠️ some met', failed: '❌ failed', 'not-tested': 'not tested' };

export function renderMarkdown(report: RunReport): string {
  const groups = groupScenarios(report);
  const code = exitCodeFor(report);
  const out: string[] = [];
  out.push(`# purple run ${md(report.run_id)}: ${code === 0 ? 'PASSED' : 'FAILED'}`);
  out.push(`**${md(summaryLine(report))}**`, '');
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

  if (code) {
    out.push(`Fails (\`--fail-on ${failOnOf(report)}\`) because:`, '');
    for (const r of exitReasons(report).slice(0, 20)) out.push(`- ${md(r)}`);
    if (exitReasons(report).length > 20) out.push(`- … and ${exitReasons(report).length - 20} more`);
    out.push('');
  }

  const env = report.environment;
  out.push(
    `- **Run:** ${md(report.run_id)}, ${md(report.started)} → ${md(report.finished)}`,
    `- **Host:** ${md(env.host)}, kernel ${md(env.kernel)}, auditd ${md(env.auditd ?? 'unknown')}, Docker ${md(env.docker ?? 'unknown')}`,
    `- **Target:** ${md(env.target)}; purple ${md(env.purple)}`,
    '',
  );

  const scope = scopeOf(report);
  out.push('## Scope', '');
  out.push(
    `- **Tested:** ${scope.emulations} emulation${scope.emulations === 1 ? '' : 's'} and ${scope.benignTwins} benign twin${scope.benignTwins === 1 ? '' : 's'} of ${md(scope.testedAnalytics.join(', ') || 'no analytic')} (${md(scope.testedTechniques.join(', ') || 'no technique')})`,
    `- **Not tested** (no emulation ran; quiet verdicts on other scenarios claim no coverage): ${md(
      [...scope.untestedAnalytics.map((a) => `${a.id} ${a.name} (${a.techniques.join(', ')})`)].join('; ') || 'nothing: every analytic of the catalog had an emulation',
    )}`,
    `- **Platforms:** ${md(scope.platforms.covered.join(', '))}${scope.platforms.notCovered.length ? `; not covered: ${md(scope.platforms.notCovered.join(', '))}` : ''}`,
    `- **Targets:** ${md(scope.targets.join(', ') || 'none')}`,
    '',
  );

  out.push('## Results', '');
  out.push(...table(
    ['Scenario', 'Kind', 'Analytic', 'Technique', 'Expectation', 'Verdict', 'Latency'],
    groups.flatMap((g) =>
      g.expectations.map((e) => [g.label, g.kind, e.analytic, e.technique, expectationLabel(e.expectation), verdictCell(e), latencyLabel(e.verdicts.map((v) => v.latencyMs))]),
    ),
  ));

  const failures = groups.flatMap((g) => g.expectations).filter((e) => e.outcome !== 'met' || e.waiver?.expired);
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
      `${c.summary.analytic} ${c.ref?.name ?? c.summary.name}${c.tested ? '' : ' (not tested)'}`,
      `${c.detectionStrategy.id} ${c.detectionStrategy.name}`.trim(),
      `${c.technique.id} ${c.technique.name}`.trim(),
      c.technique.tactics.join(', '),
      String(c.summary.truePositives),
      String(c.summary.falseNegatives),
      String(c.summary.falsePositives),
      String(c.summary.trueNegatives),
      String(c.summary.incomplete),
      c.tested ? formatRatio(c.summary.precision) : 'not tested',
      c.tested ? formatRatio(c.summary.recall) : 'not tested',
    ]),
  ));

  out.push('', '## Coverage per technique', '');
  out.push(...table(
    ['Technique', 'Tactics', 'Analytics', 'Result'],
    techniqueCoverage(report, groups).map((c) => [
      `${c.technique.id} ${c.technique.name}`.trim(),
      c.technique.tactics.join(', '),
      c.analytics.map((a) => a.id).join(', '),
      c.status === 'not-tested' ? `${STATUS_WORDS[c.status]} (no emulation ran; quiet on ${c.verdicts} other)` : `${STATUS_WORDS[c.status]} (${c.met}/${c.verdicts})`,
    ]),
  ));

  out.push('', '## Configuration', '');
  out.push(...table(['Analytic', 'Setting', 'Value', 'Default'], configRows(report).map((r) => [r.analytic, r.setting, r.changed ? `${r.value} (changed)` : r.value, r.defaultValue])));
  out.push(
    '',
    `- **Trusted CIDRs:** ${report.config.trustedCidrs.length ? `${md(report.config.trustedCidrs.join(', '))} (changed)` : 'none (default)'}`,
    `- **Standard users:** ${report.config.standardUsers.length ? `${md(report.config.standardUsers.join(', '))} (changed)` : 'none (default)'}`,
    '',
    `Values that differ from the defaults are marked (changed). ATT&CK data: version ${md(attackVersion())}.`,
  );

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

/** Run text in Markdown: visible, no markup, no raw HTML, no table breakage, no autolink or mention. */
export const md = markdownText;

/** Inside a code span: backticks cannot be escaped, so they are replaced. */
function code_(text: string): string {
  return visible(text.replace(/`/g, "'").replace(/\r?\n/g, ' '));
}

function verdictCell(e: ExpectationGroup): string {
  const tally = tallyLabel(e);
  return e.waiver ? `${tally} (${waiverLabel(e.waiver)})` : tally;
}
