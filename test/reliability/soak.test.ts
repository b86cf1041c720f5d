// Soak: purple used as a team or a CI runner uses it. Three runs at once on this host:
//   A. the whole shipped suite with --repeat 2;
//   B. the long run that used to crash: 'an1214-*' --repeat 3 --parallel 1, over two shipped AN1214
//      scenarios and a benign twin that holds for 22 s, so the run goes on well past 60 s after its
//      first cleanup however fast the machine is (the crash came 60 s after a cleanup step);
//   C. a subset of short scenarios (AN1529, AN1170 cron) with --repeat 2.
// Every run must exit 0 with every expectation met, write every report, and leave nothing behind
// (containers, networks, audit rules, live-run file, work dirs), judged by its own run id only.
// B and C are subsets on purpose: with A they keep the soak to a few minutes of CI on 2 cores
// while still overlapping three runs' rules, containers and audit streams for the whole time.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Result } from 'execa';
import { DEFAULT_SCENARIOS_DIR, SHARED_PAYLOADS, loadScenarios } from '../../harness/scenario/loader.js';
import type { RunReport } from '../../harness/run/results.js';
import { CLEAN, leftBehind, purple, readReport, tempDir } from '../run/helpers.js';

const OUTPUTS = ['report.json', 'junit.xml', 'report.html', 'report.md', 'attack-layer.json', 'attire.json'];
const HOLD_S = 22;
/** Only a hung run should hit this: a loaded machine makes the suite slow, not wrong. */
const RUN_TIMEOUT_MS = 1_500_000;

/** Two shipped AN1214 scenarios and a benign twin that only waits, in a folder of their own. */
function longRunScenarios(): string {
  const dir = tempDir('soak-long');
  // The shared payload folder goes along: the scenarios' steps name its scripts.
  for (const id of ['an1214-python-xor-archive', 'an1214-benign-text-report', SHARED_PAYLOADS]) cpSync(path.join(DEFAULT_SCENARIOS_DIR, id), path.join(dir, id), { recursive: true });
  mkdirSync(path.join(dir, 'an1214-zz-hold'));
  writeFileSync(
    path.join(dir, 'an1214-zz-hold', 'scenario.yaml'),
    `id: an1214-zz-hold
name: "Soak: a benign step that holds the run open"
description: Waits, so that the run lasts past the 60 s after its first cleanup whatever the machine's speed.
analytic: AN1214
technique: T1560.003
kind: benign
twin_of: an1214-python-xor-archive
platforms: [container]
requires: []
containers: [victim]
steps:
  - {name: hold, container: victim, user: alice, run: "sleep ${HOLD_S}", timeout: 40s}
cleanup:
  - {container: victim, user: root, run: "true"}
timeout: 60s
expect:
  AN1214: no-alert
`,
  );
  return dir;
}

describe('soak: the whole suite twice and two concurrent runs (real Docker + auditd)', function () {
  this.timeout(1_800_000);
  const shipped = loadScenarios(DEFAULT_SCENARIOS_DIR).scenarios.length;
  const runs: Record<'suite' | 'long' | 'subset', { out: string; result?: Result; report?: RunReport; expected: number }> = {
    suite: { out: '', expected: shipped * 2 },
    long: { out: '', expected: 3 * 3 },
    subset: { out: '', expected: 2 * 2 },
  };

  before(async function () {
    for (const run of Object.values(runs)) run.out = path.join(tempDir('soak'), 'run');
    const long = longRunScenarios();
    const [suite, longRun, subset] = await Promise.all([
      purple(['run', '--repeat', '2', '--parallel', '2', '--out', runs.suite.out, '--quiet'], { timeout: RUN_TIMEOUT_MS }),
      purple(['run', 'an1214-*', '--scenarios', long, '--repeat', '3', '--parallel', '1', '--out', runs.long.out, '--quiet'], { timeout: RUN_TIMEOUT_MS }),
      purple(['run', 'an1529-benign-user-binary', 'an1170-benign-cron-scp-tiny', '--repeat', '2', '--parallel', '1', '--out', runs.subset.out, '--quiet'], { timeout: RUN_TIMEOUT_MS }),
    ]);
    runs.suite.result = suite;
    runs.long.result = longRun;
    runs.subset.result = subset;
    for (const run of Object.values(runs)) {
      try {
        run.report = readReport(run.out);
      } catch {
        // asserted below, with the run's output
      }
    }
  });

  for (const name of ['suite', 'long', 'subset'] as const) {
    it(`${name}: exit 0, every expectation met in every repetition, every report written, nothing left`, async function () {
      const run = runs[name];
      const output = String(run.result?.all);
      expect(run.report, `no report.json: ${output}`).to.not.equal(undefined);
      const report = run.report!;
      const wrong = report.scenarios.flatMap((s) =>
        s.verdicts.filter((v) => !['detected', 'quiet'].includes(v.verdict)).map((v) => `${s.id} r${s.repetition}/${v.analytic}: ${v.verdict}: ${v.reason}`),
      );
      expect(wrong, output).to.deep.equal([]);
      expect(report.scenarios, output).to.have.length(run.expected);
      expect(run.result?.exitCode, output).to.equal(0);
      expect(report.warnings.filter((w) => /harness error|interrupted|did not run|could not be removed/.test(w)), output).to.deep.equal([]);
      for (const file of OUTPUTS) expect(existsSync(path.join(run.out, file)), file).to.equal(true);
      expect(await leftBehind(report.run_id)).to.deep.equal(CLEAN);
    });
  }

  it('long: went on for more than 60 s after its first scenario was cleaned up', function () {
    const report = runs.long.report!;
    const firstDone = Math.min(...report.scenarios.map((s) => Date.parse(s.finished)));
    expect(Date.parse(report.finished) - firstDone).to.be.greaterThan(60_000);
  });
});
