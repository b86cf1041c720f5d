// A run stopped by Ctrl-C or SIGTERM mid-step exits non-zero and still removes its containers,
// network, audit rules and state file.
import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LIVE_RUNS_DIR } from '../../harness/run/live-runs.js';
import { CLI, leftovers, readReport, tempDir } from '../run/helpers.js';
import { runIdOfScenario, tempScenario, waitForOutput } from './scenarios.js';

describe('purple run interrupted mid-step (real Docker + auditd)', function () {
  this.timeout(90_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
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
      expect(r.exitCode, String(r.all)).to.not.equal(0);
      expect(r.exitCode, String(r.all)).to.not.equal(undefined);
      expect(Date.now() - started, 'stopped well before the step would have ended').to.be.lessThan(45_000);
      expect(await leftovers(runId!)).to.deep.equal({ containers: '', networks: '', rules: '' });
      expect(existsSync(path.join(LIVE_RUNS_DIR, `${runId}.json`)), 'the run\'s state file').to.equal(false);
      // An interrupted run still says what happened, marked as such, never as a result.
      const report = readReport(out);
      expect(report.warnings.some((w) => w.startsWith('run interrupted'))).to.equal(true);
      expect(report.scenarios.map((s) => s.verdict)).to.deep.equal(['error']);
    });
  }
});
