// report.html: one self-contained page for auditors (inline CSS, no script, nothing fetched; a CSP
// meta tag enforces it). Everything that came from the run is HTML-escaped.
import type { Alert } from '../detectors/types.js';
import type { RunReport, ScenarioResult } from '../harness/run/results.js';
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
  techniqueUrl,
  verdictLabel,
  waiverLabel,
  type CoverageStatus,
  type ExpectationGroup,
  type Outcome,
  type ScenarioGroup,
} from '../harness/run/judge/index.js';
import { configRows } from './config-view.js';
import { describeCondition } from '../detectors/lib/near-misses.js';
import { escapeHtml as h } from './escape.js';
import { durationSeconds, formatMs, formatRatio, latencyLabel } from './model.js';

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; background: #f6f7f9; margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 8px; }
h4 { font-size: 14px; margin: 16px 0 6px; }
section.card, article.scenario { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre, code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
td code { overflow-wrap: anywhere; }
td.num, td.id, th { white-space: nowrap; }
td, th { overflow-wrap: normal; word-break: normal; hyphens: none; }
.summary-line { font-size: 16px; font-weight: 600; margin: 8px 0; }
svg.chart { display: block; width: 100%; max-width: 720px; height: auto; margin: 6px 0 10px; }
svg.chart text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #1b1f24; }
.changed { font-weight: 600; }
.changed::after { content: " (changed)"; font-weight: 400; color: #57606a; }
.output-label { margin: 8px 0 0; font-size: 12px; color: #57606a; }
pre { background: #f3f4f6; border: 1px solid #d0d7de; padding: 6px 8px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; border: 1px solid; }
.met { background: #dafbe1; color: #116329; border-color: #4ac26b; }
.failed { background: #ffebe9; color: #a40e26; border-color: #ff8182; }
.incomplete { background: #fff8c5; color: #7d4e00; border-color: #d4a72c; }
.error { background: #fbefff; color: #6e2a8c; border-color: #c297ff; }
.status-all-met { background: #dafbe1; } .status-some-met { background: #fff8c5; } .status-failed { background: #ffebe9; } .status-not-tested { color: #57606a; font-style: italic; }
.banner { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 12px 0; border: 1px solid; }
.muted { color: #57606a; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.kv dt { font-weight: 600; } dl.kv dd { margin: 0; }
ul.reasons { margin: 4px 0; padding-left: 20px; }
.alert { border-left: 4px solid #cf222e; padding: 4px 12px; margin: 10px 0; background: #fff; }
.check-ok::before { content: "✔ "; color: #116329; } .check-no::before { content: "✘ "; color: #a40e26; }
details > summary { cursor: pointer; font-weight: 600; }
footer { margin: 32px 0 8px; font-size: 12px; color: #57606a; }
@page { margin: 12mm; }
@media print {
  body { background: #fff; color: #000; font-size: 10pt; }
  h1 { font-size: 16pt; } h2 { font-size: 13pt; margin: 12pt 0 4pt; }
  #results, #scenarios, #config { break-before: page; }
  main { max-width: none; padding: 0; }
  section.card, article.scenario { border: none; padding: 0; margin: 0 0 12pt; }
  article.scenario { break-before: page; }
  table, tr, .alert, pre, dl.kv { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  th { background: #fff; }
  pre { background: #fff; }
  a { color: #000; text-decoration: underline; }
  table { font-size: 9pt; }
  th, td { padding: 2pt 4pt; }
  svg.chart { max-width: 100%; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary { list-style: none; }
}
`;

export function renderHtml(report: RunReport): string {
  const groups = groupScenarios(report);
  const code = exitCodeFor(report);
  const env = report.environment;
  const body = [
    `<h1>purple run ${h(report.run_id)}</h1>`,
    `<p class="muted">Detection validation report, ${h(report.started)} to ${h(report.finished)} (${durationSeconds(report.started, report.finished).toFixed(1)} s)</p>`,
    `<p class="summary-line" id="summary-line">${h(summaryLine(report))}</p>`,
    `<div class="banner ${code === 0 ? 'met' : 'failed'}" id="result">${code === 0 ? 'PASSED: every expectation met' : 'FAILED'}${code ? ` (exit ${code}, --fail-on ${h(failOnOf(report))})` : ''}</div>`,
    code ? `<ul class="reasons">${exitReasons(report).map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : '',
    section('Summary', 'summary', `<dl class="kv">${kv([
      ['Run id', report.run_id],
      ['Started', report.started],
      ['Finished', report.finished],
      ['Command', report.command ?? 'not recorded'],
      ['Host', env.host],
      ['Kernel', env.kernel],
      ['auditd', env.auditd ?? 'unknown'],
      ['Docker', env.docker ?? 'unknown'],
      ['purple', env.purple],
      ['Target', env.target],
      ['Scenarios', `${groups.length} (${report.scenarios.length} runs)`],
      ['ATT&CK data', `version ${attackVersion()}`],
    ])}</dl>`),
    scopeSection(report),
    baselineSection(report),
    warningsSection(report),
    section('At a glance', 'charts', detectionChart(report, groups) + latencyChart(groups)),
    coverageSections(report, groups),
    hostSection(report),
    section('Results', 'results', resultsTable(groups)),
    `<h2 id="scenarios">Scenarios</h2>`,
    ...groups.map(scenarioArticle),
    configSection(report),
    section('Audit rules loaded', 'audit-rules', report.auditRules.length ? `<pre>${h(report.auditRules.join('\n'))}</pre>` : '<p class="muted">none recorded</p>'),
    `<footer>Generated by purple ${h(env.purple)} from report.json. ATT&amp;CK names and ids from the MITRE ATT&amp;CK data file; MITRE ATT&amp;CK® and ATT&amp;CK® are registered trademarks of The MITRE Corporation.</footer>`,
  ].join('\n');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>purple run ${h(report.run_id)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Coverage per target, only when the run fanned out over several. */
function hostSection(report: RunReport): string {
  const hosts = hostCoverage(report);
  if (!hosts.length) return '';
  const rows = hosts.map((c) => [
    h(c.target),
    String(c.runs),
    badge(c.met === c.verdicts ? 'met' : 'failed', `${c.met}/${c.verdicts}`),
    h(c.analytics.map((s) => `${s.analytic} TP ${s.truePositives} FN ${s.falseNegatives} FP ${s.falsePositives} TN ${s.trueNegatives}`).join('; ')),
  ]);
  return section('Coverage per host', 'hosts', table(['Target', 'Runs', 'Expectations met', 'Per analytic'], rows, [1]));
}

function section(title: string, id: string, content: string): string {
  return `<h2 id="${h(id)}">${h(title)}</h2>\n<section class="card">${content}</section>`;
}

function kv(rows: [string, string][]): string {
  return rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('');
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  if (!rows.length) return '<p class="muted">none</p>';
  const cells = (row: string[]) => row.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('');
  return `<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${cells(r)}</tr>`).join('')}</tbody></table>`;
}

function badge(outcome: Outcome, text: string): string {
  return `<span class="verdict ${outcome}">${h(text)}</span>`;
}

function link(url: string, text: string): string {
  return `<a href="${h(url)}">${h(text)}</a>`;
}

function baselineSection(report: RunReport): string {
  if (!report.baseline) return '';
  const { regressions, newScenarios = [], removedScenarios = [] } = report.baseline;
  const items = regressions.map((r) => `<li>${badge('failed', 'regression')} ${h(regressionLabel(r))}</li>`);
  return section(
    'Baseline regressions',
    'regressions',
    `<p>Compared with <code>${h(report.baseline.path)}</code>.</p>` +
      (items.length ? `<ul>${items.join('')}</ul>` : '<p>No regression.</p>') +
      (newScenarios.length ? `<p>New scenarios (not compared): ${h(newScenarios.join(', '))}</p>` : '') +
      (removedScenarios.length ? `<p>Scenarios no longer run: ${h(removedScenarios.join(', '))}</p>` : ''),
  );
}

function warningsSection(report: RunReport): string {
  if (!report.warnings.length) return '';
  return section('Warnings', 'warnings', `<ul>${report.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>`);
}

const STATUS_WORDS: Record<CoverageStatus, string> = { 'all-met': 'all expectations met', 'some-met': 'some expectations met', failed: 'failed', 'not-tested': 'not tested' };

function coverageSections(report: RunReport, groups: ScenarioGroup[]): string {
  const perAnalytic = analyticCoverage(report, groups).map((c) => {
    // The analytic's own scenarios in full; other analytics' scenarios only where they went wrong.
    const line = (e: (typeof c.expectations)[number]) => `${h(e.scenario)}: ${h(expectationLabel(e.expectation))}, ${badge(e.outcome, tallyLabel(e))}`;
    const own = c.expectations.filter((e) => e.runs[0]?.analytic === c.summary.analytic);
    const others = c.expectations.filter((e) => e.runs[0]?.analytic !== c.summary.analytic);
    const othersMet = others.filter((e) => e.outcome === 'met').length;
    const validated = [
      ...own.map(line),
      ...others.filter((e) => e.outcome !== 'met').map(line),
      ...(othersMet ? [`<span class="muted">quiet, as expected, on ${othersMet} scenario(s) of other analytics</span>`] : []),
    ].join('<br>');
    const name = c.ref?.name ?? c.summary.name;
    return [
      `<strong>${c.ref?.url ? link(c.ref.url, c.summary.analytic) : h(c.summary.analytic)}</strong> ${h(name)}`,
      `${h(c.detectionStrategy.id)} ${h(c.detectionStrategy.name)}<br>${link(c.technique.url, c.technique.id)} ${h(c.technique.name)}<br><span class="muted">${h(c.technique.tactics.join(', '))}</span>`,
      (c.tested ? '' : '<span class="status-not-tested">not tested: no emulation ran</span><br>') + (validated || '<span class="muted">nothing run</span>'),
      [
        `TP&nbsp;${c.summary.truePositives}`,
        `FN&nbsp;${c.summary.falseNegatives}`,
        `FP&nbsp;${c.summary.falsePositives}`,
        `TN&nbsp;${c.summary.trueNegatives}`,
        ...(c.summary.incomplete ? [`incomplete&nbsp;${c.summary.incomplete}`] : []),
      ].join('<br>'),
      c.tested ? `${formatRatio(c.summary.precision)}<br>${formatRatio(c.summary.recall)}` : '—',
    ];
  });
  const perTechnique = techniqueCoverage(report, groups).map((c) => [
    `${link(c.technique.url, c.technique.id)} ${h(c.technique.name)}`,
    h(c.technique.tactics.join(', ')),
    c.analytics.map((a) => `${h(a.id)} ${h(a.name)}<br><span class="muted">${h(a.detectionStrategy)}</span>`).join('<br>'),
    c.status === 'not-tested'
      ? `<span class="status-not-tested">not tested</span> <span class="muted">(no emulation ran; quiet on ${c.verdicts} verdicts of other scenarios)</span>`
      : `<span class="status-${c.status}">${h(STATUS_WORDS[c.status])}</span> (${c.met}/${c.verdicts} verdicts)`,
  ]);
  return (
    section('Coverage per ATT&CK analytic', 'coverage-analytic', table(
      ['Analytic', 'Strategy, technique, tactics', 'Validated by', 'Verdicts', 'Precision, recall'],
      perAnalytic,
      [3, 4],
    )) +
    '\n' +
    section('Coverage per technique', 'coverage-technique', table(['Technique', 'Tactics', 'Analytics', 'Result'], perTechnique))
  );
}

function resultsTable(groups: ScenarioGroup[]): string {
  return table(
    ['Scenario', 'Kind', 'Analytic', 'Technique', 'Expectation', 'Verdict', 'Latency'],
    groups.flatMap((g) =>
      g.expectations.map((e) => [
        `<a href="#${h(anchor(g))}">${h(g.label)}</a>`,
        h(g.kind),
        h(e.analytic),
        link(techniqueUrl(e.technique), e.technique),
        h(expectationLabel(e.expectation)),
        badge(e.outcome, tallyLabel(e)) + (e.waiver ? ` <span class="muted">${h(waiverLabel(e.waiver))}</span>` : ''),
        h(latencyLabel(e.verdicts.map((v) => v.latencyMs))),
      ]),
    ),
  );
}

function scenarioArticle(group: ScenarioGroup): string {
  const first = group.runs[0]!;
  const repeated = group.runs.length > 1;
  const parts = [
    `<h3>${h(group.label)}: ${h(group.name)}</h3>`,
    `<p class="muted">${h(group.kind)}${group.twinOf ? `, benign twin of ${h(group.twinOf)}` : ''}; ${h(group.analytic)} / ${h(group.technique)}${repeated ? `; ${group.runs.length} repetitions` : ''}</p>`,
    table(
      ['Analytic', 'Technique', 'Expectation', 'Verdict', 'Why', 'Latency'],
      group.expectations.map((e) => [
        h(e.analytic),
        h(e.technique),
        h(expectationLabel(e.expectation)),
        badge(e.outcome, tallyLabel(e)),
        h(e.outcome === 'met' ? e.deciding.reason : failureReason(e)),
        h(latencyLabel(e.verdicts.map((v) => v.latencyMs))),
      ]),
    ),
    nearMissTable(group),
    `<h4>Inputs</h4>`,
    Object.keys(first.inputs).length
      ? table(['Input', 'Value'], Object.entries(first.inputs).map(([k, v]) => [h(k), `<code>${h(String(v))}</code>`]))
      : '<p class="muted">none</p>',
    ...group.runs.map((run) => runDetails(run, group.expectations, repeated)),
  ];
  return `<article class="scenario" id="${h(anchor(group))}">\n${parts.join('\n')}\n</article>`;
}

/** A miss's nearest candidates that did not alert: the failed condition against its threshold, and what held. */
function nearMissTable(group: ScenarioGroup): string {
  const rows = group.expectations.flatMap((e) =>
    e.verdicts.flatMap((v) => (v.verdict === 'missed' ? (v.nearMisses ?? []) : []).map((m) => {
      const [failed, ...held] = m.conditions;
      return [h(m.analytic), h(m.candidate), failed ? `<code>${h(describeCondition(failed))}</code>` : '—', held.map((c) => h(describeCondition(c))).join('<br>') || '—'];
    })),
  );
  return rows.length ? `<h4>Why it was missed: nearest candidates</h4>${table(['Analytic', 'Candidate', 'Failed condition', 'Held'], rows)}` : '';
}

/** An HTML id (no whitespace) for a scenario group: one per scenario, or per scenario and target. */
function anchor(group: ScenarioGroup): string {
  return `scenario-${group.label.replace(/\s+/g, '')}`;
}

function runDetails(run: ScenarioResult, expectations: ExpectationGroup[], repeated: boolean): string {
  const title = repeated ? `Repetition ${run.repetition ?? '?'}: ${verdictLabel(run.verdict)}` : 'Run';
  const verdicts = repeated
    ? table(['Analytic', 'Verdict', 'Reason', 'Failed layer', 'Latency'], run.verdicts.map((v) => [h(v.analytic), h(verdictLabel(v.verdict)), h(v.reason), h(v.failedLayer ?? '—'), h(v.latencyMs === null ? '—' : formatMs(v.latencyMs))]))
    : '';
  const steps = table(
    ['Step', 'Command', 'Where', 'Launch', 'Started', 'Finished', 'Exit'],
    run.steps.map((s) => [
      h(s.name),
      s.command ? `<code>${h(s.command)}</code>` : '<span class="muted">—</span>',
      `${h(s.user)}@${h(s.container)}${typeof s.pid === 'number' ? ` pid ${s.pid}` : ''}`,
      h(s.launch),
      h(s.started),
      h(s.finished),
      `${s.exitCode === null ? '—' : s.exitCode}${s.timedOut ? ' <strong>timed out</strong>' : ''}`,
    ]),
  );
  const outputs = run.steps
    .flatMap((s) => [
      s.stdoutTail ? `<p class="output-label">stdout of ${h(s.name)} (tail)</p><pre>${h(s.stdoutTail)}</pre>` : '',
      s.stderrTail ? `<p class="output-label">stderr of ${h(s.name)} (tail)</p><pre class="stderr">${h(s.stderrTail)}</pre>` : '',
    ])
    .join('');
  const t = run.telemetry;
  const telemetry =
    `<p>${t.auditEvents} audit events, ${t.flows} flows, ${t.artifacts} artifacts, ${t.lostEvents} lost; collection ${t.complete ? 'complete' : '<strong>incomplete</strong>'}. Raw telemetry in <code>${h(run.dir)}</code>.</p>` +
    (t.checks.length
      ? `<ul>${t.checks.map((c) => `<li class="${c.satisfied ? 'check-ok' : 'check-no'}">${h(c.description)}${c.eventIds.length ? ` <span class="muted">(events ${h(c.eventIds.join(', '))})</span>` : ''}${c.satisfied ? '' : ' <strong>not satisfied</strong>'}</li>`).join('')}</ul>`
      : '');
  const relevant = new Set(expectations.map((e) => e.analytic));
  const alerts = run.alerts.length
    ? run.alerts.map((a) => alertBlock(a, relevant.has(a.analytic))).join('\n')
    : '<p class="muted">No alert fired.</p>';
  return `<details open><summary>${h(title)} (${h(run.started)} to ${h(run.finished)})</summary>
${run.error ? `<p class="banner error">Error: ${h(run.error)}</p>` : ''}${verdicts}
<h4>Steps</h4>
${steps}${outputs}
<h4>Telemetry</h4>
${telemetry}
<h4>Evidence chain: alerts</h4>
${alerts}
</details>`;
}

function alertBlock(a: Alert, relevant: boolean): string {
  const ev = a.evidence;
  const chain = table(
    ['#', 'pid', 'exe', 'argv', 'uid', 'tty'],
    ev.processChain.map((p, i) => [String(i), h(p.pid === null ? '?' : String(p.pid)), `<code>${h(p.exe ?? '?')}</code>`, `<code>${h(p.argv.join(' '))}</code>`, h(p.uid === null ? '?' : String(p.uid)), h(p.tty ?? '—')]),
  );
  const flows = ev.flows?.length
    ? `<h4>Flows</h4>` + table(['Time', 'Proto', 'From', 'To', 'Bytes out', 'Bytes in', 'Event', 'Host'], ev.flows.map((f) => [h(f.time), h(f.protocol), h(`${f.src}:${f.sport ?? '?'}`), h(`${f.dst}:${f.dport ?? '?'}`), String(f.bytesOut), String(f.bytesIn), h(f.event), h(f.host ?? '—')]), [4, 5])
    : '';
  const artifacts = ev.artifacts?.length
    ? `<h4>Artifacts</h4>` + table(['Time', 'Path', 'Size', 'Entropy', 'Format', 'Header', 'Mode', 'Owner', 'SHA-256'], ev.artifacts.map((f) => [h(f.time), `<code>${h(f.path)}</code>`, String(f.size), f.entropy.toFixed(2), h(f.format ?? 'unrecognised'), `<code>${h(f.header)}</code>`, h(f.mode ?? '—'), h(f.ownerUid === null ? '—' : String(f.ownerUid)), `<code>${h(f.sha256 ?? '—')}</code>`]), [2, 3])
    : '';
  const facts = Object.keys(ev.facts).length ? `<h4>Facts</h4><dl class="kv">${kv(Object.entries(ev.facts).map(([k, v]) => [k, String(v)]))}</dl>` : '';
  return `<div class="alert">
<p><strong>${h(a.summary)}</strong>${relevant ? '' : ' <span class="muted">(another analytic)</span>'}</p>
<dl class="kv">${kv([
    ['Analytic', `${a.analytic} (${a.detectionStrategy})`],
    ['Technique', a.technique],
    ['Confidence', a.confidence],
    ['First event', a.firstTime],
    ['Decided', a.time],
    ['Host', a.host ?? 'unknown'],
    ['Audit event ids', ev.eventIds.join(', ') || 'none'],
  ])}</dl>
<h4>Process chain</h4>
${chain}${flows}${artifacts}${facts}
</div>`;
}

function configSection(report: RunReport): string {
  // Values are code: a long pattern or list may wrap (td code), where a word of prose never does.
  const rows = configRows(report).map((r) => [h(r.analytic), h(r.setting), `<code${r.changed ? ' class="changed"' : ''}>${h(r.value)}</code>`, `<code class="muted">${h(r.defaultValue)}</code>`]);
  return section(
    'Configuration in force',
    'config',
    `<p class="muted">Human units; values that differ from the detector's defaults are marked (changed). ATT&amp;CK data version ${h(attackVersion())}.</p>` +
      `<h4>Thresholds</h4>${table(['Analytic', 'Setting', 'Value', 'Default'], rows)}` +
      `<h4>Trusted CIDRs</h4>${report.config.trustedCidrs.length ? `<p class="changed">${report.config.trustedCidrs.map((c) => `<code>${h(c)}</code>`).join(', ')}</p>` : '<p class="muted">none (default)</p>'}` +
      `<h4>Standard users</h4>${report.config.standardUsers.length ? `<p class="changed">${report.config.standardUsers.map((u) => `<code>${h(u)}</code>`).join(', ')}</p>` : '<p class="muted">none (default)</p>'}`,
  );
}

function scopeSection(report: RunReport): string {
  const scope = scopeOf(report);
  return section(
    'Scope',
    'scope',
    `<dl class="kv">${kv([
      ['Tested', `${scope.emulations} emulation(s) and ${scope.benignTwins} benign twin(s) of ${scope.testedAnalytics.join(', ') || 'no analytic'} (${scope.testedTechniques.join(', ') || 'no technique'})`],
      ['Not tested', scope.untestedAnalytics.map((a) => `${a.id} ${a.name} (${a.techniques.join(', ')})`).join('; ') || 'nothing: every analytic of the catalog had an emulation'],
      ['Why not', scope.untestedAnalytics.length ? 'no emulation of these analytics ran in this run: their quiet verdicts on other scenarios claim no coverage' : '—'],
      ['Platforms', `${scope.platforms.covered.join(', ')}${scope.platforms.notCovered.length ? `; not covered: ${scope.platforms.notCovered.join(', ')}` : ''}`],
      ['Targets', scope.targets.join(', ') || 'none'],
    ])}</dl>`,
  );
}

const BAR_COLORS = { met: '#2da44e', failed: '#cf222e', other: '#d4a72c', none: '#d0d7de' };

/** Detection per technique: share of verdicts met (green) and not (red); grey for "not tested". */
function detectionChart(report: RunReport, groups: ScenarioGroup[]): string {
  const rows = techniqueCoverage(report, groups);
  if (!rows.length) return '';
  const rowHeight = 22;
  const labelWidth = 230;
  const barWidth = 380;
  const height = rows.length * rowHeight + 24;
  const bars = rows.map((c, i) => {
    const y = 18 + i * rowHeight;
    const label = `<text x="0" y="${y + 12}">${h(`${c.technique.id} ${c.technique.name}`.slice(0, 40))}</text>`;
    if (c.status === 'not-tested') {
      return `${label}<rect x="${labelWidth}" y="${y}" width="${barWidth}" height="14" fill="${BAR_COLORS.none}"/><text x="${labelWidth + barWidth + 6}" y="${y + 12}">not tested</text>`;
    }
    const met = c.verdicts ? (barWidth * c.met) / c.verdicts : 0;
    return `${label}<rect x="${labelWidth}" y="${y}" width="${met.toFixed(1)}" height="14" fill="${BAR_COLORS.met}"/><rect x="${(labelWidth + met).toFixed(1)}" y="${y}" width="${(barWidth - met).toFixed(1)}" height="14" fill="${BAR_COLORS.failed}"/><text x="${labelWidth + barWidth + 6}" y="${y + 12}">${c.met}/${c.verdicts} met</text>`;
  });
  return `<h4>Detection per technique</h4><svg class="chart" role="img" aria-label="Detection per technique" viewBox="0 0 700 ${height}" xmlns="http://www.w3.org/2000/svg"><text x="${labelWidth}" y="10">share of verdicts that met their expectation</text>${bars.join('')}</svg>`;
}

/** Latency per emulation scenario (first alert of its own analytic), longest bar = slowest. */
function latencyChart(groups: ScenarioGroup[]): string {
  const rows = groups
    .filter((g) => g.kind === 'emulation')
    .map((g) => {
      const own = g.expectations.find((e) => e.analytic === g.analytic);
      const values = (own?.verdicts ?? []).map((v) => v.latencyMs).filter((v): v is number => v !== null);
      return { label: g.label, ms: values.length ? Math.max(...values) : null };
    });
  if (!rows.length) return '';
  const max = Math.max(1, ...rows.map((r) => r.ms ?? 0));
  const rowHeight = 22;
  const labelWidth = 230;
  const barWidth = 380;
  const height = rows.length * rowHeight + 24;
  const bars = rows.map((r, i) => {
    const y = 18 + i * rowHeight;
    const label = `<text x="0" y="${y + 12}">${h(r.label.slice(0, 38))}</text>`;
    if (r.ms === null) return `${label}<text x="${labelWidth}" y="${y + 12}" fill="${BAR_COLORS.failed}">no alert</text>`;
    const w = Math.max(1, (barWidth * r.ms) / max);
    return `${label}<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="14" fill="#0969da"/><text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 12}">${h(formatMs(r.ms))}</text>`;
  });
  return `<h4>Latency per scenario</h4><svg class="chart" role="img" aria-label="Latency per scenario" viewBox="0 0 700 ${height}" xmlns="http://www.w3.org/2000/svg"><text x="${labelWidth}" y="10">from the deciding action to the alert (slowest repetition)</text>${bars.join('')}</svg>`;
}
