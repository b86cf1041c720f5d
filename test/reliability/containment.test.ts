// Misbehaving steps are contained: a fork bomb hits the pids limit and the step timeout, an
// endless loop is killed at its timeout, filling /dev/shm stops at ShmSize; each is reported as
// an error with a reason and nothing is left behind.
import { expect } from 'chai';
import { execa } from 'execa';
import { leftovers, purple, readReport, tempDir } from '../run/helpers.js';
import { tempScenario, type TempStep } from './scenarios.js';

async function runOne(prefix: string, step: TempStep) {
  const { dir, id } = tempScenario(prefix, [step], '60s');
  const out = tempDir(`${prefix}-out`);
  const started = Date.now();
  const r = await purple(['run', id, '--scenarios', dir, '--out', out, '--quiet'], { timeout: 120_000 });
  const report = readReport(out);
  return { r, report, scenario: report.scenarios[0]!, seconds: (Date.now() - started) / 1000 };
}

describe('misbehaving steps are contained (real Docker + auditd)', function () {
  this.timeout(150_000);

  it('stops a fork bomb at the pids limit and the step timeout; the host can still fork', async function () {
    const { r, report, scenario, seconds } = await runOne('rel-forkbomb', { name: 'fork bomb', run: "bash -c ':(){ :|:& };:; sleep 30'", timeout: '5s' });
    expect(r.exitCode, String(r.all)).to.not.equal(0);
    expect(scenario.verdict, JSON.stringify(scenario)).to.equal('error');
    expect(JSON.stringify(scenario)).to.match(/timed out|timeout/i);
    expect(seconds).to.be.lessThan(60);
    expect((await execa('true')).exitCode, 'host can still fork').to.equal(0);
    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
  });

  it('kills an endless loop at its timeout', async function () {
    const { r, report, scenario, seconds } = await runOne('rel-loop', { name: 'spin', run: 'while true; do :; done', timeout: '3s' });
    expect(r.exitCode, String(r.all)).to.not.equal(0);
    expect(scenario.verdict, JSON.stringify(scenario)).to.equal('error');
    expect(JSON.stringify(scenario)).to.match(/timed out|timeout/i);
    expect(seconds).to.be.lessThan(40);
    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
  });

  it('fails a step that fills /dev/shm with "No space left" instead of filling the host', async function () {
    const { r, report, scenario } = await runOne('rel-fill', { name: 'fill shm', run: 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=2000', timeout: '30s' });
    expect(r.exitCode, String(r.all)).to.not.equal(0);
    expect(scenario.verdict, JSON.stringify(scenario)).to.equal('error');
    expect(JSON.stringify(scenario)).to.match(/No space left/i);
    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
  });
});
