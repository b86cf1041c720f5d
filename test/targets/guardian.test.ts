// The guardian a host target leaves on the host: when the connection drops (stdin closes with nothing
// written) it removes this target's leftovers only; after a normal end ("done") it leaves the rest alone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { expect } from 'chai';
import { guardianScript } from '../../harness/targets/ssh/host-run.js';

describe('host target guardian', function () {
  const runId = `20000101-000000-${process.pid.toString(16).slice(-4).padStart(4, '0')}`;
  const dirs = { t1: `/tmp/purple-${runId}-scenario-t1.0123456789abcdef`, t2: `/tmp/purple-${runId}-scenario-t2.fedcba9876543210` };
  let jobs: Record<keyof typeof dirs, ChildProcess>;

  beforeEach(function () {
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    // A step still running from each target's work dir ($0 carries the path into its command line).
    jobs = { t1: spawn('sh', ['-c', 'sleep 60', `${dirs.t1}/step`]), t2: spawn('sh', ['-c', 'sleep 60', `${dirs.t2}/step`]) };
  });
  afterEach(function () {
    for (const job of Object.values(jobs)) job.kill('SIGKILL');
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  });

  const guard = (stdin: string) => spawnSync('sh', ['-c', guardianScript(runId, `purple-${runId}-t1`, 'workdirs', '-t1')], { input: stdin, timeout: 20_000 });
  const alive = (job: ChildProcess) => job.exitCode === null && job.signalCode === null;
  const settle = () => new Promise((r) => setTimeout(r, 200));

  it("after a dropped connection, removes this target's work dirs and processes, not another target's", async function () {
    expect(guard('').status).to.equal(0);
    await settle();
    expect(existsSync(dirs.t1)).to.equal(false);
    expect(alive(jobs.t1)).to.equal(false);
    expect(existsSync(dirs.t2)).to.equal(true);
    expect(alive(jobs.t2)).to.equal(true);
  });

  it('after a normal end, touches no work dir or process', async function () {
    expect(guard('done\n').status).to.equal(0);
    await settle();
    expect(existsSync(dirs.t1) && existsSync(dirs.t2)).to.equal(true);
    expect(alive(jobs.t1) && alive(jobs.t2)).to.equal(true);
  });
});
