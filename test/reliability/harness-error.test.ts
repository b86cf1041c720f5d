// The last resort: a rejection nothing handled, during a run, becomes a harness error charged to
// the scenario whose work raised it; the run stops within seconds, cleans up, writes every report
// and exits 4. The fault is injected from outside purple's code: a preload module wraps the real
// DockerEnvironment.launch to leave a rejected promise behind after a step, as a leaked background
// promise would.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { asScenario, guardRun } from '../../harness/run/guard.js';
import { CLEAN, CLI, leftBehind, readReport, tempDir } from '../run/helpers.js';
import { tempScenario, waitForOutput } from './scenarios.js';

describe('harness errors', function () {
  it('the guard charges a late rejection to the scenario whose work left it behind', async function () {
    const seen: string[] = [];
    const guard = guardRun((f) => seen.push(`${f.scenario}: ${f.message}`));
    try {
      await asScenario('scenario-a', async () => {
        setTimeout(() => void Promise.reject(new Error('late in a')), 20);
      });
      setTimeout(() => void Promise.reject(new Error('outside any scenario')), 40);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      guard.dispose();
    }
    expect(seen.map((s) => s.replace(/ \(at .*\)$/, ''))).to.deep.equal(['scenario-a: late in a', 'null: outside any scenario']);
    expect(guard.failures.map((f) => f.scenario)).to.deep.equal(['scenario-a', null]);
  });

  describe('a run that hits one (real Docker + auditd)', function () {
    this.timeout(180_000);

    it('stops within seconds, reports it in every output with its scenario, cleans up and exits 4', async function () {
      const preload = path.join(tempDir('fault'), 'leak-after-step.mjs');
      const module = pathToFileURL(path.resolve(path.dirname(CLI), '../targets/docker-environment.js')).href;
      writeFileSync(
        preload,
        `import { DockerEnvironment } from ${JSON.stringify(module)};
const launch = DockerEnvironment.prototype.launch;
DockerEnvironment.prototype.launch = async function (request) {
  const result = await launch.call(this, request);
  setTimeout(() => { Promise.reject(new Error('injected fault: a promise nobody awaited')); }, 200);
  return result;
};
`,
      );
      const { dir, id } = tempScenario('rel-fault', [
        { name: 'first', run: 'true', timeout: '10s' },
        { name: 'long', run: 'sleep 40', timeout: '60s' },
      ], '90s');
      const out = path.join(tempDir('fault-out'), 'run');
      const child = execa('node', ['--import', preload, CLI, 'run', id, '--scenarios', dir, '--out', out], { reject: false, all: true });
      // Timed from the fault, not from the start: starting containers on a loaded machine is slow, stopping must not be.
      await waitForOutput(child.stderr!, 'harness error in', 120_000);
      const faulted = Date.now();
      const r = await child;
      expect(r.exitCode, String(r.all)).to.equal(4);
      expect(Date.now() - faulted, 'the 40 s step was cut short').to.be.lessThan(30_000);
      expect(String(r.all)).to.include(`harness error in ${id}: injected fault`);
      const report = readReport(out);
      expect(report.warnings.join('\n')).to.include(`harness error in ${id}: injected fault`);
      const [scenario] = report.scenarios;
      expect(scenario!.verdict).to.equal('error');
      expect(scenario!.verdicts.every((v) => v.verdict === 'error' && v.reason.startsWith(`harness error in ${id}`))).to.equal(true);
      // Every output names it: the terminal (above), report.json, JUnit, Markdown and HTML.
      for (const file of ['junit.xml', 'report.md', 'report.html']) {
        const text = (await execa('cat', [path.join(out, file)])).stdout;
        expect(text, file).to.include('injected fault');
      }
      expect(await leftBehind(report.run_id)).to.deep.equal(CLEAN);
    });
  });
});
