// The CI regression gate: a detector switched off by configuration turns a previously detected
// scenario into a regression (exit 1, named in every output), and switching it back passes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { purple, readReport, tempDir } from './helpers.js';

describe('purple run --baseline (real Docker + auditd)', function () {
  const scenarios = ['an1214-python-xor-archive', 'an1214-benign-text-report'];
  let work: string;
  let baseline: string;

  before(async function () {
    work = tempDir('baseline');
    baseline = path.join(work, 'baseline.json');
    const r = await purple(['run', ...scenarios, '--out', path.join(work, 'first'), '--update-baseline', baseline, '--quiet']);
    expect(r.exitCode, String(r.all)).to.equal(0);
  });

  it('writes the baseline deliberately', function () {
    expect(readReport(path.join(work, 'first')).run_id).to.equal(JSON.parse(readFileSync(baseline, 'utf8')).run_id);
  });

  it('fails with a named regression when the detector is switched off', async function () {
    const config = path.join(work, 'off.yaml');
    writeFileSync(config, 'analytics:\n  AN1214:\n    enabled: false\n');
    const out = path.join(work, 'off');
    const r = await purple(['run', ...scenarios, '--out', out, '--config', config, '--baseline', baseline]);
    expect(r.exitCode, String(r.all)).to.equal(1);
    const report = readReport(out);
    expect(report.baseline?.regressions).to.deep.include({
      scenario: 'an1214-python-xor-archive',
      analytic: 'AN1214',
      kind: 'newly-missed',
      before: 'detected',
      now: 'missed',
    });
    expect(String(r.stdout)).to.match(/regression/i).and.to.include('an1214-python-xor-archive');
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).to.match(/regression/i);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).to.match(/regression/i);
  });

  it('passes again when the detector is back', async function () {
    const out = path.join(work, 'back');
    const r = await purple(['run', ...scenarios, '--out', out, '--baseline', baseline, '--quiet']);
    expect(r.exitCode, String(r.all)).to.equal(0);
    expect(readReport(out).baseline?.regressions).to.deep.equal([]);
  });
});
