// purple run --repeat N runs each scenario N times in fresh containers and reports, per scenario,
// how often it met its expectation (real Docker + auditd).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { leftovers, purple, readReport, tempDir } from './helpers.js';

describe('purple run --repeat (real Docker + auditd)', function () {
  it('runs each scenario N times, each in its own containers, and folds the tally per scenario', async function () {
    const out = tempDir('repeat');
    const r = await purple(['run', 'an1214-python-xor-archive', 'an1214-benign-text-report', '--repeat', '2', '--out', out]);
    expect(r.exitCode, String(r.all)).to.equal(0);
    const report = readReport(out);
    expect(report.scenarios.map((s) => `${s.id}#${s.repetition} ${s.verdict}`).sort()).to.deep.equal([
      'an1214-benign-text-report#1 quiet',
      'an1214-benign-text-report#2 quiet',
      'an1214-python-xor-archive#1 detected',
      'an1214-python-xor-archive#2 detected',
    ]);
    // Fresh containers each time: each repetition saw its own archive being written.
    const archives = report.scenarios
      .filter((s) => s.id === 'an1214-python-xor-archive')
      .map((s) => s.alerts.find((a) => a.analytic === 'AN1214')!.evidence.eventIds.join(','));
    expect(new Set(archives).size).to.equal(2);
    expect(new Set(report.scenarios.map((s) => s.dir)).size).to.equal(4);

    const terminal = String(r.stdout);
    // The compact view (issue 17): the emulation's cell folds the tally, the twin's quiet cells are dots.
    expect(terminal).to.match(/an1214-python-xor-archive\s+2\/2 detected\s/);
    expect(terminal).to.match(/an1214-benign-text-report \(benign\)\s+·\s+·\s+·/);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).to.include('2/2 detected');
    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
  });
});
