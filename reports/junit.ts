// junit.xml for CI (GitHub, GitLab, Jenkins): one testsuite per analytic, one testcase per scenario
// expectation (repetitions folded into one case), regressions as failing cases of their own suite.
import type { RunReport, ScenarioResult } from '../harness/run/results.js';
import { regressionLabel } from './baseline.js';
import { analyticCoverage } from './coverage.js';
import { escapeXml as x } from './escape.js';
import {
  durationSeconds,
  expectationLabel,
  failureReason,
  groupScenarios,
  tallyLabel,
  verdictLabel,
  type ExpectationGroup,
} from './model.js';

interface Case {
  classname: string;
  name: string;
  time: number;
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
    suites.push({
      name: `regressions against ${report.baseline.path}`,
      properties: [
        ['baseline', report.baseline.path],
        ['new-scenarios', (report.baseline.newScenarios ?? []).join(', ')],
        ['removed-scenarios', (report.baseline.removedScenarios ?? []).join(', ')],
      ],
      cases: report.baseline.regressions.map((r) => ({
        classname: `regression/${r.analytic}`,
        name: `${r.scenario}: ${r.kind}`,
        time: 0,
        body: `<failure message="${x(regressionLabel(r))}" type="${x(r.kind)}">${x(regressionLabel(r))}</failure>`,
        systemOut: '',
        kind: 'failure',
      })),
    });
  }

  const count = (cases: Case[], kind: Case['kind']) => cases.filter((c) => c.kind === kind).length;
  const all = suites.flatMap((s) => s.cases);
  const seconds = (n: number) => n.toFixed(3);
  const timestamp = report.started.replace(/Z$|[+-]\d{2}:\d{2}$/, '');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(`purple ${report.run_id}`)}" tests="${all.length}" failures="${count(all, 'failure')}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${seconds(durationSeconds(report.started, report.finished))}" timestamp="${x(timestamp)}">`,
  ];
  suites.forEach((suite, id) => {
    const time = suite.cases.reduce((sum, c) => sum + c.time, 0);
    lines.push(
      `  <testsuite id="${id}" name="${x(suite.name)}" package="purple" hostname="${x(report.environment.host)}" timestamp="${x(timestamp)}" tests="${suite.cases.length}" failures="${count(suite.cases, 'failure')}" errors="${count(suite.cases, 'error')}" skipped="${count(suite.cases, 'skipped')}" time="${seconds(time)}">`,
    );
    if (suite.properties.length) {
      lines.push('    <properties>');
      for (const [name, value] of suite.properties) lines.push(`      <property name="${x(name)}" value="${x(value)}"/>`);
      lines.push('    </properties>');
    }
    for (const c of suite.cases) {
      lines.push(`    <testcase classname="${x(c.classname)}" name="${x(c.name)}" time="${seconds(c.time)}">`);
      if (c.body) lines.push(`      ${c.body}`);
      if (c.systemOut) lines.push(`      <system-out>${x(c.systemOut)}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function caseFor(e: ExpectationGroup): Case {
  const base = {
    classname: `${e.analytic}/${e.technique}`,
    name: `${e.scenario}: ${expectationLabel(e.expectation)}`,
    time: e.runs.reduce((sum, run) => sum + durationSeconds(run.started, run.finished), 0),
    systemOut: details(e),
  };
  const message = failureReason(e);
  switch (e.outcome) {
    case 'met':
      return { ...base, body: '', kind: 'pass' };
    case 'failed': {
      const v = e.deciding;
      const type = v.verdict === 'missed' ? `missed-${v.failedLayer ?? 'unknown-layer'}` : v.verdict;
      return { ...base, kind: 'failure', body: `<failure message="${x(message)}" type="${x(e.flaky ? `${type} (flaky)` : type)}">${x(message)}</failure>` };
    }
    case 'incomplete':
      return { ...base, kind: 'skipped', body: `<skipped message="${x(message)}"/>` };
    case 'error':
      return { ...base, kind: 'error', body: `<error message="${x(message)}" type="error">${x(message)}</error>` };
  }
}

/** Per repetition: verdict, reason, alerts and unmet telemetry checks (the evidence a CI reader needs). */
function details(e: ExpectationGroup): string {
  const lines: string[] = [`${e.scenario} / ${e.analytic}: ${tallyLabel(e)}`];
  e.verdicts.forEach((v, i) => {
    const run: ScenarioResult = e.runs[i]!;
    const rep = run.repetition !== undefined ? ` (repetition ${run.repetition})` : '';
    lines.push(`- ${verdictLabel(v.verdict)}${rep}: ${v.reason}${v.failedLayer ? ` [${v.failedLayer}]` : ''}`);
    for (const a of run.alerts.filter((a) => a.analytic === e.analytic)) lines.push(`  alert (${a.confidence}): ${a.summary}`);
    for (const check of run.telemetry.checks.filter((c) => !c.satisfied)) lines.push(`  telemetry check not satisfied: ${check.description}`);
    if (run.error) lines.push(`  error: ${run.error}`);
  });
  return lines.join('\n');
}
