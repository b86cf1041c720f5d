// An exec's stop machinery (its timeout, its abort listener) lives exactly as long as the exec: a
// signal that fires after the container is gone reaches nothing, a container removed under a
// running exec ends the step (not the process), and an exec whose processes escape the kill still
// returns. Real Docker; the run-level tests also real auditd, ending with reports and a clean host.
import { getEventListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { docker } from '../../harness/host/docker.js';
import { ensureImages, imageRef } from '../../harness/host/images.js';
import { DockerEnvironment } from '../../harness/targets/docker-environment.js';
import { CLEAN, CLI, leftBehind, readReport, tempDir } from '../run/helpers.js';
import { runIdOfScenario, tempScenario, waitForOutput } from './scenarios.js';

/** Collects unhandled rejections and uncaught exceptions while `work` runs (and `settleMs` after). */
async function unhandledDuring(work: () => Promise<void>, settleMs: number): Promise<unknown[]> {
  const caught: unknown[] = [];
  const record = (err: unknown) => caught.push(err);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  } finally {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  }
  return caught;
}

describe('exec lifecycle (real Docker)', function () {
  this.timeout(120_000);
  const runId = `test-exec-${process.pid}-${randomBytes(3).toString('hex')}`;
  let env: DockerEnvironment;

  before(async function () {
    await ensureImages();
  });
  beforeEach(async function () {
    env = new DockerEnvironment(docker(), runId, `s${randomBytes(3).toString('hex')}`, imageRef);
    await env.start(['victim']);
  });
  afterEach(async function () {
    await env.teardown();
  });

  it('a signal that fires after the exec returned and the container was removed reaches nothing', async function () {
    const controller = new AbortController();
    const caught = await unhandledDuring(async () => {
      const r = await env.exec('victim', { user: 'root', cmd: ['true'], timeoutMs: 30_000, signal: controller.signal });
      expect(r.exitCode).to.equal(0);
      expect(getEventListeners(controller.signal, 'abort'), 'listeners left on the signal').to.have.length(0);
      await env.teardown();
      controller.abort(new Error('a cleanup timeout, long after'));
    }, 1_000);
    expect(caught.map(String)).to.deep.equal([]);
  });

  it('a container removed under a running exec ends the step with no exit code, not the process', async function () {
    const name = env.hostName('victim');
    const caught = await unhandledDuring(async () => {
      const controller = new AbortController();
      const running = env.exec('victim', { user: 'root', cmd: ['sleep', '60'], timeoutMs: 90_000, signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await execa('docker', ['rm', '-f', name]);
      const r = await running;
      expect(r.exitCode).to.not.equal(0);
      expect(r.timedOut).to.equal(false);
      // Aborting now (as an interrupted run would) touches an exec and a container that are gone.
      controller.abort();
    }, 1_000);
    expect(caught.map(String)).to.deep.equal([]);
    expect(await env.teardown(), 'teardown of a container already removed').to.deep.equal([]);
  });

  it('an exec whose processes outlive its signal (an orphan holding its output) still returns', async function () {
    const controller = new AbortController();
    // The orphan is re-parented to the container's init, out of the exec's process tree, and keeps stdout open.
    const started = Date.now();
    const running = env.exec('victim', {
      user: 'root',
      cmd: ['sh', '-c', '(trap "" HUP TERM; exec sleep 300) & echo started; exec sleep 300'],
      timeoutMs: 90_000,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    controller.abort();
    const r = await running;
    expect(r.timedOut, 'stopped by its signal').to.equal(true);
    expect(r.stdout).to.include('started');
    expect(Date.now() - started, 'returned within seconds of the signal').to.be.lessThan(30_000);
    const orphan = await execa('docker', ['exec', env.hostName('victim'), 'pgrep', '-x', 'sleep'], { reject: false });
    expect(orphan.stdout.trim(), 'the orphan outlived the signal').to.not.equal('');
  });
});

describe('container and network names', function () {
  it('stay distinct for repetitions of a long scenario id, within 60 characters', function () {
    // The soak found it: cut at 60 characters, "...-cron-backup-trusted-r1" and "-r2" got the same names.
    const names = ['r1', 'r2'].map((r) => new DockerEnvironment(docker(), '20261201-233558-f28f', `an1170-benign-cron-backup-trusted-${r}`).prefix);
    expect(names[0]).to.not.equal(names[1]);
    for (const name of names) expect(name.length).to.be.at.most(60);
    expect(new DockerEnvironment(docker(), '20261201-233558-f28f', 'an1214-perl-xor-archive').prefix).to.equal('purple-20261201-233558-f28f-an1214-perl-xor-archive');
  });
});

describe('runs whose execs end badly still end with reports and a clean host (real Docker + auditd)', function () {
  this.timeout(240_000);

  it('a container killed under a running step: the scenario is an error, the run reports and cleans up', async function () {
    const { dir, id } = tempScenario('rel-killed', [{ name: 'sleep', run: 'sleep 60', timeout: '90s' }], '120s');
    const out = path.join(tempDir('rel-killed-out'), 'run');
    const child = execa('node', [CLI, 'run', id, '--scenarios', dir, '--out', out], { reject: false, all: true });
    await waitForOutput(child.stderr!, 'step 1/1');
    const runId = await runIdOfScenario(id);
    expect(runId).to.be.a('string');
    await execa('sh', ['-c', `docker ps -aq --filter label=purple.scenario=${id} | xargs -r docker rm -f`]);
    const r = await child;
    expect(r.exitCode, String(r.all)).to.equal(1);
    const report = readReport(out);
    expect(report.scenarios.map((s) => s.verdict)).to.deep.equal(['error']);
    expect(report.scenarios[0]!.error, 'the step failed, naming why').to.match(/step "sleep" failed/);
    expect(await leftBehind(runId!)).to.deep.equal(CLEAN);
  });

  it('a cleanup step whose timeout fires long after its container was removed does not end the run', async function () {
    // The original crash, made quick: the cleanup step's signal (2 s) fires while the next scenario
    // still runs (6 s), on an exec whose container is gone. Before the fix: an unhandled 404, exit 1, no report.
    const scenarios = tempDir('rel-late-signal');
    const first = tempScenario('rel-late', [{ name: 'quick', run: 'true', timeout: '10s' }], '30s', {
      dir: scenarios,
      cleanup: [{ name: 'tidy', run: 'true', timeout: '2s' }],
    });
    const second = tempScenario('rel-later', [{ name: 'wait', run: 'sleep 6', timeout: '20s' }], '30s', { dir: scenarios });
    const out = path.join(tempDir('rel-late-out'), 'run');
    const r = await execa('node', [CLI, 'run', first.id, second.id, '--scenarios', scenarios, '--parallel', '1', '--out', out, '--quiet'], {
      reject: false,
      all: true,
    });
    expect(String(r.all)).to.not.match(/no such exec|unhandled|harness error/i);
    expect(r.exitCode, String(r.all)).to.equal(1); // the throw-away emulations expect an alert that never comes
    const report = readReport(out);
    expect(report.scenarios.map((s) => [s.id, s.verdict])).to.deep.equal([
      [first.id, 'missed'],
      [second.id, 'missed'],
    ]);
    expect(report.scenarios[0]!.steps.map((s) => s.name)).to.deep.equal(['quick', 'cleanup: tidy']);
    expect(await leftBehind(report.run_id)).to.deep.equal(CLEAN);
  });
});
