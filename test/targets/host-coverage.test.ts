// A run over several targets keeps each target's results apart and every renderer shows
// coverage per host; a one-target run shows no such section.
import { expect } from 'chai';
import type { RunReport } from '../../harness/run/results.js';
import { hostCoverage } from '../../harness/run/judge/index.js';
import { groupScenarios, tallyLabel } from '../../harness/run/judge/index.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { validateReport } from '../../reports/schema.js';
import { renderTerminal } from '../../reports/terminal.js';
import { makeReport } from '../reports/factory.js';

function twoHosts(): RunReport {
  const report = makeReport();
  const hosts = ['ssh://root@10.0.0.5:22', 'ssh://deploy@10.0.0.6:2222'];
  report.scenarios = report.scenarios.map((s, i) => ({ ...s, target: hosts[i % 2]! }));
  report.environment.target = hosts.join(' ');
  return report;
}

describe('coverage per host', function () {
  it('splits the verdicts by target', function () {
    const report = twoHosts();
    const hosts = hostCoverage(report);
    expect(hosts.map((h) => h.target)).to.deep.equal(['ssh://root@10.0.0.5:22', 'ssh://deploy@10.0.0.6:2222']);
    expect(hosts.reduce((n, h) => n + h.runs, 0)).to.equal(report.scenarios.length);
    expect(hosts.reduce((n, h) => n + h.verdicts, 0)).to.equal(report.scenarios.flatMap((s) => s.verdicts).length);
    for (const h of hosts) {
      const own = report.scenarios.filter((s) => s.target === h.target).flatMap((s) => s.verdicts);
      expect(h.met).to.equal(own.filter((v) => v.verdict === 'detected' || v.verdict === 'quiet').length);
    }
  });

  it('is shown by the terminal, Markdown and HTML renderers, only with several targets', function () {
    const report = twoHosts();
    expect(renderTerminal(report, { color: false })).to.match(/Per host\n {2}ssh:\/\/root@10\.0\.0\.5:22: \d+\/\d+ expectations met/);
    expect(renderMarkdown(report)).to.include('## Coverage per host');
    expect(renderHtml(report)).to.include('id="hosts"');
    const single = makeReport();
    expect(hostCoverage(single)).to.deep.equal([]);
    expect(renderTerminal(single, { color: false })).to.not.include('Per host');
    expect(renderMarkdown(single)).to.not.include('Coverage per host');
  });

  it('keeps report.json valid against the strict schema with targets', function () {
    expect(validateReport(JSON.parse(JSON.stringify(twoHosts())))).to.deep.equal([]);
    const bad = twoHosts();
    bad.scenarios[0]!.target = 'ftp://nowhere';
    expect(validateReport(JSON.parse(JSON.stringify(bad)))).to.have.length.greaterThan(0);
  });

  it('keeps each target its own rows: one target failing is a failure there, not a flaky scenario', function () {
    const report = makeReport();
    const good = report.scenarios.find((s) => s.id === 'archive-xor-python')!;
    const failed = { ...good, target: 'docker+ssh://ci@10.0.0.6:22', verdict: 'error' as const, verdicts: good.verdicts.map((v) => ({ ...v, verdict: 'error' as const, reason: 'scp: Connection closed' })) };
    report.scenarios = [{ ...good, target: 'docker://ci' }, failed];
    report.environment.target = 'docker://ci docker+ssh://ci@10.0.0.6:22';

    const groups = groupScenarios(report);
    expect(groups.map((g) => g.label)).to.deep.equal(['archive-xor-python @ docker://ci', 'archive-xor-python @ docker+ssh://ci@10.0.0.6:22']);
    expect(groups.flatMap((g) => g.expectations).map((e) => [tallyLabel(e), e.flaky])).to.deep.equal([
      ['detected', false],
      ['error', false],
    ]);
    const terminal = renderTerminal(report, { color: false });
    expect(terminal).to.include('archive-xor-python @ docker+ssh://ci@10.0.0.6:22 / AN1214: error');
    expect(terminal).to.not.include('flaky');
    expect(renderMarkdown(report)).to.include('| archive-xor-python @ docker://ci | emulation | AN1214 |');
    expect(renderHtml(report)).to.include('id="scenario-archive-xor-python@docker://ci"');
  });
});

