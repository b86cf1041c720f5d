// A run stopped by Ctrl-C or SIGTERM mid-step exits 130 or 143 (as shells report a signal) within
// seconds, says "interrupted" for the scenario it cut short, and still removes its containers,
// network, audit rules and state file. So does a run whose output nobody reads any more (`| head`).
import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LIVE_RUNS_DIR } from '../../harness/run/live-runs.js';
import { CLI, leftovers, readReport, tempDir } from '../run/helpers.js';
import { runIdOfScenario, tempScenario, waitForOutput } from './scenarios.js';

describe('purple run interrupted mid-step (real Docker + auditd)', function () {
  this.timeout(90_000);

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`cleans up everything after ${signal}`, async function () {
      const { dir, id } = tempScenario('rel-interrupt', [{ name: 'sleep', run: 'sleep 60', timeout: '90s' }], '120s');
      const out = path.join(tempDir('rel-interrupt-out'), 'run');
      const child = execa('node', [CLI, 'run', id, '--scenarios', dir, '--out', out], { reject: false, all: true });
      await waitForOutput(child.stderr!, 'step 1/1');
      const runId = await runIdOfScenario(id);
      expect(runId, 'run id from the container labels').to.be.a('string');
      const during = await leftovers(runId!);
      expect(during.containers, 'container running before the signal').to.not.equal('');
      expect(during.rules, 'audit rules loaded before the signal').to.not.equal('');
      const started = Date.now();
      child.kill(signal);
      const r = await child;
      expect(r.exitCode, String(r.all)).to.equal(code);
      // Generous for a loaded machine; the step alone would take 60 s.
      expect(Date.now() - started, 'stopped within seconds').to.be.lessThan(30_000);
      expect(await leftovers(runId!)).to.deep.equal({ containers: '', networks: '', rules: '' });
      expect(existsSync(path.join(LIVE_RUNS_DIR, `${runId}.json`)), 'the run\'s state file').to.equal(false);
      // An interrupted run still says what happened, marked as such, never as a result.
      const report = readReport(out);
      expect(report.warnings.some((w) => w.startsWith('run interrupted'))).to.equal(true);
      expect(report.scenarios.map((s) => s.verdict)).to.deep.equal(['error']);
      expect(report.scenarios[0]!.error).to.equal(`interrupted (${signal})`);
      expect(report.scenarios[0]!.verdicts.every((v) => v.reason === `interrupted (${signal})`)).to.equal(true);
    });
  }

  it('cleans up everything when the reader of its output goes away (purple run | head), as after SIGHUP', async function () {
    // The pipe's end is closed during the first step; the next progress line finds it closed.
    const { dir, id } = tempScenario('rel-epipe', [{ name: 'short', run: 'sleep 2', timeout: '30s' }, { name: 'long', run: 'sleep 60', timeout: '90s' }], '120s');
    const out = path.join(tempDir('rel-epipe-out'), 'run');
    const child = execa('node', [CLI, 'run', id, '--scenarios', dir, '--out', out], { reject: false });
    await waitForOutput(child.stderr!, 'step 1/2');
    const runId = await runIdOfScenario(id);
    expect(runId, 'run id from the container labels').to.be.a('string');
    const started = Date.now();
    child.stdout!.destroy();
    child.stderr!.destroy();
    const r = await child;
    expect(r.exitCode).to.equal(129);
    expect(Date.now() - started, 'stopped at the next progress line, not after the 60 s step').to.be.lessThan(40_000);
    expect(await leftovers(runId!)).to.deep.equal({ containers: '', networks: '', rules: '' });
    expect(existsSync(path.join(LIVE_RUNS_DIR, `${runId}.json`)), 'the run\'s state file').to.equal(false);
    const report = readReport(out);
    expect(report.scenarios[0]!.error).to.equal('interrupted (SIGHUP)');
  });
});
