// What a person sees after `purple run`: the one-line summary, a verdict table (compact by default: one
// row per scenario, one column per analytic, fitted to the width; `wide`: a row per expectation), why each
// failure failed, per-analytic lines, baseline regressions, and one closing line (also the whole of --quiet).
// Every line fits `width`; every text from the run goes through `visible` (sanitize.ts).
import { styleText } from 'node:util';
import Table from 'cli-table3';
import type { RunReport } from '../harness/run/results.js';
import {
  analyticCoverage,
  exitCodeFor,
  expectationLabel,
  failureReason,
  groupScenarios,
  hostCoverage,
  regressionLabel,
  summaryLine,
  tallyLabel,
  totals,
  type ExpectationGroup,
  type Outcome,
  type ScenarioGroup,
} from '../harness/run/judge/index.js';
import { formatRatio, latencyLabel } from './model.js';
import { changedSettings } from './config-view.js';
import { visible } from './sanitize.js';
import { wrap } from './tty.js';

type Style = Parameters<typeof styleText>[0];

export interface TerminalOptions {
  /** ANSI colours; the CLI asks colorFor(process.stdout) (NO_COLOR, FORCE_COLOR, TTY). */
  color: boolean;
  /** Columns to fit (default 80); the CLI asks terminalWidth(). */
  width?: number;
  /** Today's full table: a row per scenario and analytic. */
  wide?: boolean;
}

const OUTCOME_STYLE: Record<Outcome, Style> = { met: 'green', failed: 'red', incomplete: 'yellow', error: 'magenta' };

export function renderTerminal(report: RunReport, options: TerminalOptions): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text, { validateStream: false }) : text);
  const width = options.width ?? 80;
  const groups = groupScenarios(report);
  const out: string[] = [];
  const para = (text: string, indent = '  ') => {
    for (const line of wrap(text, width - indent.length, '  ')) out.push(indent + line);
  };

  out.push(...wrap(`purple run ${clean(report.run_id)}  ${clean(report.started)} → ${clean(report.finished)}  target ${clean(report.environment.target)} on ${clean(report.environment.host)}`, width, '  ').map((l, i) => (i === 0 ? paint('bold', l) : l)));
  para(summaryLine(report), '');

  if (!groups.length) out.push('(no scenario ran)');
  else if (options.wide) out.push(wideTable(groups, paint));
  else out.push(...compactTable(groups, width, paint));

  const failures = groups.flatMap((g) => g.expectations).filter((e) => e.outcome !== 'met' || e.waiver?.expired);
  if (failures.length) {
    out.push('', paint('bold', 'Failures'));
    for (const e of failures) {
      const mark = e.waiver && !e.waiver.expired ? paint('yellow', '~') : paint(OUTCOME_STYLE[e.outcome], '✗');
      const lines = wrap(`${clean(e.scenario)} / ${clean(e.analytic)}: ${clean(failureReason(e))}`, width - 4, '  ');
      out.push(`  ${mark} ${lines[0]}`, ...lines.slice(1).map((l) => `    ${l}`));
    }
  }

  const coverage = analyticCoverage(report, groups);
  if (coverage.length) {
    out.push('', paint('bold', 'Per analytic'));
    for (const c of coverage) {
      const s = c.summary;
      para(
        `${clean(s.analytic)} ${clean(c.ref?.name ?? s.name)} (${clean(c.technique.id)} ${clean(c.technique.name)}): ` +
          (c.tested ? '' : 'not tested (no emulation ran), ') +
          `TP ${s.truePositives} FN ${s.falseNegatives} FP ${s.falsePositives} TN ${s.trueNegatives}` +
          (s.incomplete ? ` incomplete ${s.incomplete}` : '') +
          (c.tested ? `, precision ${formatRatio(s.precision)}, recall ${formatRatio(s.recall)}` : ''),
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
      const lines = wrap(`${clean(host.target)}: ${host.met}/${host.verdicts} expectations met over ${host.runs} runs (${analytics})`, width - 2, '  ');
      out.push(...lines.map((l, i) => `  ${i === 0 ? paint(style, l) : l}`));
    }
  }

  if (report.baseline) {
    const { regressions, newScenarios = [], removedScenarios = [] } = report.baseline;
    out.push('', ...wrap(`Against baseline ${clean(report.baseline.path)}`, width, '  ').map((l) => paint('bold', l)));
    if (!regressions.length) out.push('  no regression');
    for (const r of regressions) para(`${paint('red', 'regression')} ${clean(regressionLabel(r))}`);
    if (newScenarios.length) para(`new scenarios (not compared): ${newScenarios.map(clean).join(', ')}`);
    if (removedScenarios.length) para(`scenarios no longer run: ${removedScenarios.map(clean).join(', ')}`);
  }

  const changed = changedSettings(report);
  if (changed.length) {
    out.push('', paint('bold', 'Settings that differ from the defaults'));
    for (const line of changed) para(clean(line));
  }

  if (report.warnings.length) {
    out.push('', paint('bold', 'Warnings'));
    for (const w of report.warnings) para(`${paint('yellow', '!')} ${clean(w)}`);
  }

  out.push('', ...wrap(renderQuiet(report, { color: false }), width, '  ').map((l, i, all) => (i === all.length - 1 && options.color ? recolor(l) : l)));
  return out.join('\n') + '\n';
}

function recolor(line: string): string {
  return line.replace(/\b(PASSED|FAILED)\b/, (w) => styleText(w === 'PASSED' ? 'green' : 'red', w, { validateStream: false }));
}

/** Today's table: a row per scenario and analytic. */
function wideTable(groups: ScenarioGroup[], paint: (style: Style, text: string) => string): string {
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
        paint(OUTCOME_STYLE[e.outcome], clean(tallyLabel(e) + (e.waiver ? (e.waiver.expired ? ' (waiver expired)' : ' (waived)') : ''))),
        latencyLabel(e.verdicts.map((v) => v.latencyMs)),
      ]);
    }
  }
  return table.toString();
}

/**
 * One row per scenario, one column per analytic; a cell is spelled out only where an alert was expected or
 * one fired (or the verdict is incomplete or an error): a quiet "no alert expected" is "·". Fitted to `width`
 * by shortening the scenario column.
 */
function compactTable(groups: ScenarioGroup[], width: number, paint: (style: Style, text: string) => string): string[] {
  const analytics = [...new Set(groups.flatMap((g) => g.expectations.map((e) => e.analytic)))];
  const cell = (e: ExpectationGroup | undefined): string => {
    if (!e) return '';
    const spelled = e.expectation === 'alert' || e.verdicts.some((v) => v.verdict === 'false-alarm') || e.outcome === 'incomplete' || e.outcome === 'error';
    if (!spelled) return '·';
    const label = e.verdicts.length > 1 ? tallyLabel(e).replace(/ \(.*$/, '').replace(' — flaky', '') + (e.flaky ? ' flaky' : '') : tallyLabel(e);
    return e.waiver ? `${label} (${e.waiver.expired ? 'expired' : 'waived'})` : label;
  };
  const rows = groups.map((g) => {
    const cells = analytics.map((a) => g.expectations.find((e) => e.analytic === a));
    const own = g.expectations.find((e) => e.analytic === g.analytic);
    return {
      name: clean(g.label) + (g.kind === 'benign' ? ' (benign)' : ''),
      cells: cells.map((e) => ({ text: cell(e), outcome: e?.outcome ?? 'met', waived: Boolean(e?.waiver && !e.waiver.expired) })),
      latency: latencyLabel((own ?? g.expectations[0])?.verdicts.map((v) => v.latencyMs) ?? []),
    };
  });
  const gap = 2;
  const cellWidths = analytics.map((a, i) => Math.min(16, Math.max(a.length, ...rows.map((r) => r.cells[i]!.text.length))));
  const latencyWidth = Math.max('Latency'.length, ...rows.map((r) => r.latency.length));
  const fixed = cellWidths.reduce((sum, w) => sum + w + gap, 0) + latencyWidth;
  const nameWidth = Math.max(12, Math.min(Math.max('Scenario'.length, ...rows.map((r) => r.name.length)), width - fixed - gap));
  const fit = (text: string, w: number) => (text.length <= w ? text.padEnd(w) : `${text.slice(0, Math.max(0, w - 1))}…`);
  const line = (name: string, cells: string[], latency: string) => [fit(name, nameWidth), ...cells, latency.padStart(latencyWidth)].join(' '.repeat(gap)).trimEnd();
  const out = [paint('bold', line('Scenario', analytics.map((a, i) => fit(a, cellWidths[i]!)), 'Latency'))];
  for (const r of rows) {
    const cells = r.cells.map((c, i) => {
      const text = fit(c.text, cellWidths[i]!);
      if (c.text === '·' || !c.text) return text;
      return paint(c.waived ? 'yellow' : OUTCOME_STYLE[c.outcome], text);
    });
    out.push(line(r.name, cells, r.latency));
  }
  out.push(...wrap('· = quiet, as expected; a cell is spelled out where an alert was expected or fired (--wide: every expectation)', width).map((l) => paint('dim', l)));
  return out;
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

/** Run-supplied text must not drive the terminal: controls, escapes and bidi overrides made visible. */
const clean = (text: string): string => visible(text);
