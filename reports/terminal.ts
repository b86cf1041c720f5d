// What a person sees after `purple run`: a verdict table, per-analytic summary lines, why each
// failure failed, baseline regressions, and one closing line (also the whole of --quiet).
import { styleText } from 'node:util';
import Table from 'cli-table3';
import type { RunReport } from '../harness/run/results.js';
import { regressionLabel } from './baseline.js';
import { analyticCoverage, hostCoverage } from './coverage.js';
import { exitCodeFor } from './exit-code.js';
import {
  expectationLabel,
  failureReason,
  formatRatio,
  groupScenarios,
  latencyLabel,
  tallyLabel,
  totals,
  type Outcome,
} from './model.js';

type Style = Parameters<typeof styleText>[0];

export interface TerminalOptions {
  /** ANSI colours; the CLI passes process.stdout.isTTY. */
  color: boolean;
}

const OUTCOME_STYLE: Record<Outcome, Style> = { met: 'green', failed: 'red', incomplete: 'yellow', error: 'magenta' };

export function renderTerminal(report: RunReport, options: TerminalOptions): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text, { validateStream: false }) : text);
  const groups = groupScenarios(report);
  const out: string[] = [];

  out.push(paint('bold', `purple run ${clean(report.run_id)}`) + `  ${clean(report.started)} → ${clean(report.finished)}  target ${clean(report.environment.target)} on ${clean(report.environment.host)}`);

  const table = new Table({
    head: ['Scenario', 'Analytic', 'Technique', 'Expectation', 'Verdict', 'Latency'],
    style: { head: [], border: [], compact: true },
    wordWrap: true,
    colWidths: [null, null, null, null, 34, null],
  });
  for (const group of groups) {
    for (const e of group.expectations) {
      table.push([
        clean(group.label) + (group.kind === 'benign' ? ' (benign)' : ''),
        clean(e.analytic),
        clean(e.technique),
        expectationLabel(e.expectation),
        paint(OUTCOME_STYLE[e.outcome], tallyLabel(e)),
        latencyLabel(e.verdicts.map((v) => v.latencyMs)),
      ]);
    }
  }
  out.push(groups.length ? table.toString() : '(no scenario ran)');

  const failures = groups.flatMap((g) => g.expectations).filter((e) => e.outcome !== 'met');
  if (failures.length) {
    out.push('', paint('bold', 'Failures'));
    for (const e of failures) {
      out.push(`  ${paint(OUTCOME_STYLE[e.outcome], '✗')} ${clean(e.scenario)} / ${clean(e.analytic)}: ${clean(failureReason(e))}`);
    }
  }

  const coverage = analyticCoverage(report, groups);
  if (coverage.length) {
    out.push('', paint('bold', 'Per analytic'));
    for (const c of coverage) {
      const s = c.summary;
      out.push(
        `  ${clean(s.analytic)} ${clean(c.ref?.name ?? s.name)} (${clean(c.technique.id)} ${clean(c.technique.name)}): ` +
          `TP ${s.truePositives} FN ${s.falseNegatives} FP ${s.falsePositives} TN ${s.trueNegatives}` +
          (s.incomplete ? ` incomplete ${s.incomplete}` : '') +
          `, precision ${formatRatio(s.precision)}, recall ${formatRatio(s.recall)}`,
      );
    }
  }

  const hosts = hostCoverage(report);
  if (hosts.length) {
    out.push('', paint('bold', 'Per host'));
    for (const host of hosts) {
      const analytics = host.analytics
        .map((s) => `${clean(s.analytic)} TP ${s.truePositives} FN ${s.falseNegatives} FP ${s.falsePositives} TN ${s.trueNegatives}${s.incomplete ? ` incomplete ${s.incomplete}` : ''}`)
        .join('; ');
      const style: Style = host.met === host.verdicts ? 'green' : 'red';
      out.push(`  ${clean(host.target)}: ${paint(style, `${host.met}/${host.verdicts} expectations met`)} over ${host.runs} runs (${analytics})`);
    }
  }

  if (report.baseline) {
    const { regressions, newScenarios = [], removedScenarios = [] } = report.baseline;
    out.push('', paint('bold', `Against baseline ${clean(report.baseline.path)}`));
    if (!regressions.length) out.push('  no regression');
    for (const r of regressions) out.push(`  ${paint('red', 'regression')} ${clean(regressionLabel(r))}`);
    if (newScenarios.length) out.push(`  new scenarios (not compared): ${newScenarios.map(clean).join(', ')}`);
    if (removedScenarios.length) out.push(`  scenarios no longer run: ${removedScenarios.map(clean).join(', ')}`);
  }

  if (report.warnings.length) {
    out.push('', paint('bold', 'Warnings'));
    for (const w of report.warnings) out.push(`  ${paint('yellow', '!')} ${clean(w)}`);
  }

  out.push('', renderQuiet(report, options));
  return out.join('\n') + '\n';
}

/** The one-line summary: `--quiet` prints only this. */
export function renderQuiet(report: RunReport, options: TerminalOptions = { color: false }): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text, { validateStream: false }) : text);
  const t = totals(groupScenarios(report));
  const regressions = report.baseline?.regressions.length ?? 0;
  const code = exitCodeFor(report);
  const parts = [
    `${t.expectations} expectation${t.expectations === 1 ? '' : 's'}`,
    `${t.met} met`,
    `${t.failed} failed`,
    `${t.incomplete} incomplete`,
    `${t.errors} error${t.errors === 1 ? '' : 's'}`,
  ];
  if (t.flaky) parts.push(`${t.flaky} flaky`);
  if (report.baseline) parts.push(`${regressions} regression${regressions === 1 ? '' : 's'}`);
  const verdict = code === 0 ? paint('green', 'PASSED') : paint('red', 'FAILED');
  return `purple ${clean(report.run_id)}: ${parts.join(', ')} — ${verdict} (exit ${code})`;
}

/** Run-supplied text must not drive the terminal: drop control characters (ANSI escapes included). */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, '');
}
