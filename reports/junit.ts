// junit.xml for CI (GitHub, GitLab, Jenkins): one testsuite per analytic, one testcase per scenario
// expectation (repetitions folded into one case), regressions as failing cases of their own suite.
// Valid against both the strict Ant schema (windyroad JUnit.xsd: a bare <testsuites>, properties,
// system-out and system-err in every suite, nothing but failure/error/skipped in a case) and the Jenkins
// xUnit plugin's; times are wall times (parallel scenarios are not summed); names carry no path or host.
import type { RunReport, ScenarioResult } from '../harness/run/results.js';
import {
  alarmExplanation,
  analyticCoverage,
  expectationLabel,
  failureReason,
  groupScenarios,
  missExplanation,
  regressionLabel,
  summaryLine,
  tallyLabel,
  verdictLabel,
  type ExpectationGroup,
} from '../harness/run/judge/index.js';
import { escapeXml as x } from './escape.js';
import { describeNearMiss } from '../detectors/lib/near-misses.js';

interface Case {
  classname: string;
  name: string;
  /** Wall-clock window of the case's runs (ms since the epoch). */
  start: number;
  end: number;
  /** The child element (failure/error/skipped) or '' for a pass. */
  body: string;
  systemOut: string;
  kind: 'pass' | 'failure' | 'error' | 'skipped';
}

export function renderJUnit(report: RunReport): string {
  const groups = groupScenarios(report);
  const expectations = groups.flatMap((g) => g.expectations);
  const suites: { name: string; cases: Case[]; properties: [string, string][] }[] = [];

  const names = new Map(analyticCoverage(report, groups).map((c) => [c.summary.analytic, c]));
  const analytics = [...new Set(expectations.map((e) => e.analytic))];
  for (const analytic of analytics) {
    const c = names.get(analytic);
    const title = c ? `${analytic} ${c.ref?.name ?? c.summary.name} (${c.detectionStrategy.id}; ${c.technique.id} ${c.technique.name})` : analytic;
    suites.push({
      name: title,
      properties: c ? [['detection-strategy', `${c.detectionStrategy.id} ${c.detectionStrategy.name}`.trim()], ['technique', `${c.technique.id} ${c.technique.name}`.trim()], ['tactics', c.technique.tactics.join(', ')]] : [],
      cases: expectations.filter((e) => e.analytic === analytic).map(caseFor),
    });
  }

  if (report.baseline) {
    const t = Date.parse(report.finished);
    suites.push({
      name: 'regressions against the baseline',
      properties: [
        ['baseline', report.baseline.path],
        ['new-scenarios', (report.baseline.newScenarios ?? []).join(', ')],
        ['removed-scenarios', (report.baseline.removedScenarios ?? []).join(', ')],
      ],
      cases: report.baseline.regressions.map((r) => ({
        classname: `regression/${r.analytic}`,
        name: `${r.scenario}: ${r.kind}`,
        start: t,
        end: t,
        body: `<failure message="${x(regressionLabel(r))}" type="${x(r.kind)}">${x(regressionLabel(r))}</failure>`,
        systemOut: '',
        kind: 'failure',
      })),
    });
  }

  const count = (cases: Case[], kind: Case['kind']) => cases.filter((c) => c.kind === kind).length;
  const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);
  // The strict schema wants a local date-time without zone or fraction; report times are UTC.
  const timestamp = (ms: number) => new Date(Number.isFinite(ms) ? ms : 0).toISOString().slice(0, 19);
  const runStart = Date.parse(report.started);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  const summary = summaryLine(report);
  suites.forEach((suite, id) => {
    const start = suite.cases.length ? Math.min(...suite.cases.map((c) => c.start)) : runStart;
    const end = suite.cases.length ? Math.max(...suite.cases.map((c) => c.end)) : runStart;
    lines.push(
      `  <testsuite id="${id}" name="${x(suite.name)}" package="purple" hostname="${x(report.environment.host || 'unknown')}" timestamp="${timestamp(start)}" tests="${suite.cases.length}" failures="${count(suite.cases, 'failure')}" errors="${count(suite.cases, 'error')}" skipped="${count(suite.cases, 'skipped')}" time="${seconds(end - start)}">`,
    );
    lines.push('    <properties>');
    for (const [name, value] of [['run', report.run_id] as [string, string], ['summary', summary] as [string, string], ...suite.properties]) lines.push(`      <property name="${x(name)}" value="${x(value)}"/>`);
    lines.push('    </properties>');
    for (const c of suite.cases) {
      lines.push(`    <testcase classname="${x(c.classname)}" name="${x(c.name)}" time="${seconds(c.end - c.start)}">`);
      if (c.body) lines.push(`      ${c.body}`);
      lines.push('    </testcase>');
    }
    lines.push(`    <system-out>${x(suite.cases.map((c) => c.systemOut).filter(Boolean).join('\n\n'))}</system-out>`);
    lines.push('    <system-err></system-err>');
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function caseFor(e: ExpectationGroup): Case {
  const base = {
    classname: `${e.analytic}/${e.technique}`,
    name: `${e.scenario}: ${expectationLabel(e.expectation)}`,
    start: Math.min(...e.runs.map((run) => Date.parse(run.started))),
    end: Math.max(...e.runs.map((run) => Date.parse(run.finished))),
    systemOut: details(e),
  };
  const message = failureReason(e);
  const text = details(e);
  // A waiver in force turns a failing case into a skipped one (visible, not gating); an expired one fails it.
  if (e.waiver?.expired) return { ...base, kind: 'failure', body: `<failure message="${x(message)}" type="waiver-expired">${x(text)}</failure>` };
  if (e.outcome !== 'met' && e.waiver) return { ...base, kind: 'skipped', body: `<skipped message="${x(`waived: ${message}`)}">${x(text)}</skipped>` };
  switch (e.outcome) {
    case 'met':
      return { ...base, body: '', kind: 'pass' };
    case 'failed': {
      const v = e.deciding;
      const type = v.verdict === 'missed' ? `missed-${v.failedLayer ?? 'unknown-layer'}` : v.verdict;
      return { ...base, kind: 'failure', body: `<failure message="${x(message)}" type="${x(e.flaky ? `${type} (flaky)` : type)}">${x(text)}</failure>` };
    }
    case 'incomplete':
      return { ...base, kind: 'skipped', body: `<skipped message="${x(message)}">${x(text)}</skipped>` };
    case 'error':
      return { ...base, kind: 'error', body: `<error message="${x(message)}" type="error">${x(text)}</error>` };
  }
}

/** Per repetition: verdict, reason, alerts and unmet telemetry checks (the evidence a CI reader needs). */
function details(e: ExpectationGroup): string {
  const lines: string[] = [`${e.scenario} / ${e.analytic}: ${tallyLabel(e)}`];
  e.verdicts.forEach((v, i) => {
    const run: ScenarioResult = e.runs[i]!;
    const rep = run.repetition !== undefined ? ` (repetition ${run.repetition})` : '';
    lines.push(`- ${verdictLabel(v.verdict)}${rep}: ${v.reason}${v.failedLayer ? ` [${v.failedLayer}]` : ''}`);
    for (const miss of v.verdict === 'missed' ? (v.nearMisses ?? []) : []) lines.push(`  near miss: ${describeNearMiss(miss, true)}`);
    const why = missExplanation(v);
    if (why && !v.nearMisses?.length) lines.push(`  ${why}`);
    for (const a of run.alerts.filter((a) => a.analytic === e.analytic)) {
      lines.push(`  alert (${a.confidence}): ${a.summary}`);
      const fired = alarmExplanation(a, true);
      if (fired) lines.push(`    ${fired}`);
    }
    for (const check of run.telemetry.checks.filter((c) => !c.satisfied)) lines.push(`  telemetry check not satisfied: ${check.description}`);
    if (run.error) lines.push(`  error: ${run.error}`);
  });
  return lines.join('\n');
}
