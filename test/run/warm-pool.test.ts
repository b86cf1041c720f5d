// The warm pool (issue 19): the next scenarios' containers are started while the current one runs,
// each for its own scenario on its own network, and whatever it prepared is removed at the end of
// the run and when the run is interrupted (real Docker + auditd).
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { CLEAN, CLI, leftBehind, readReport, tempDir } from './helpers.js';
import { runIdOfScenario, tempScenario, waitForOutput } from '../reliability/scenarios.js';

/** Three throw-away scenarios in one folder, the first with `firstStep`. */
function threeScenarios(prefix: string, firstStep: string): { dir: string; ids: string[] } {
  const first = tempScenario(prefix, [{ name: 'first', run: firstStep, timeout: '90s' }], '120s');
  const ids = [first.id];
  for (const n of [2, 3]) ids.push(tempScenario(prefix, [{ name: `step of ${n}`, run: 'echo ok', timeout: '30s' }], '60s', { dir: first.dir }).id);
  return { dir: first.dir, ids };
}

describe('warm pool: targets prepared ahead, one per scenario, all removed (real Docker + auditd)', function () {
  this.timeout(300_000);

  it('runs each scenario in its own prepared containers, times what was prepared ahead, and leaves nothing', async function () {
    const { dir, ids } = threeScenarios('pool-run', 'echo first');
    const out = path.join(tempDir('pool-run-out'), 'run');
    const r = await execa('node', [CLI, 'run', ...ids, '--scenarios', dir, '--out', out, '--parallel', '1'], { reject: false, all: true });
    const report = readReport(out);
    expect(report.scenarios.map((s) => s.id)).to.have.members(ids);
    // Steps that write nothing: the emulations are missed, never errors (exit 1 is the unmet expectations).
    expect(report.scenarios.map((s) => [s.verdict, s.error]), String(r.all)).to.deep.equal(ids.map(() => ['missed', null]));
    for (const s of report.scenarios) {
      expect(s.timing!.phasesMs.steps, s.id).to.be.greaterThan(0);
      expect(s.timing!.totalMs).to.be.at.least(s.timing!.phasesMs.steps!);
    }
    // At --parallel 1 the first starts on demand and each next one is prepared while its predecessor runs.
    const prepared = report.scenarios.filter((s) => s.timing!.aheadMs);
    expect(prepared.length, 'scenarios prepared ahead').to.be.at.least(1);
    for (const s of prepared) expect(Object.keys(s.timing!.aheadMs!)).to.include.members(['network', 'containers', 'payloads']);
    expect(await leftBehind(report.run_id)).to.deep.equal(CLEAN);
  });

  it('removes the containers it prepared for scenarios that never ran when the run is interrupted', async function () {
    const { dir, ids } = threeScenarios('pool-int', 'sleep 60');
    const out = path.join(tempDir('pool-int-out'), 'run');
    const child = execa('node', [CLI, 'run', ...ids, '--scenarios', dir, '--out', out, '--parallel', '1'], { reject: false, all: true });
    await waitForOutput(child.stderr!, 'step 1/1: first');
    const runId = await runIdOfScenario(ids[0]!);
    expect(runId).to.be.a('string');
    // The next scenario's containers come up while the first one sleeps.
    const deadline = Date.now() + 60_000;
    while (!(await runIdOfScenario(ids[1]!)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await runIdOfScenario(ids[1]!), 'the second scenario prepared ahead').to.equal(runId);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.all)).to.equal(130);
    expect(await leftBehind(runId!)).to.deep.equal(CLEAN);
    const report = readReport(out);
    expect(report.scenarios.map((s) => [s.id, s.verdict])).to.deep.equal([[ids[0], 'error']]);
  });
});
