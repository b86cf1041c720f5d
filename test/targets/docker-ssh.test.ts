// A Docker engine reached over SSH as a run target (docker+ssh://), against a real sshd on loopback.
// A second dockerd of the test's own plays the remote engine (the sshd points its sessions' docker
// at it), so the images really are copied there and the same scenarios run on two engines at once,
// detected from the audit log read over SSH. Nothing is left behind, also when the connection drops.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { markdownText } from '../../reports/sanitize.js';
import { expect } from 'chai';
import { execa } from 'execa';
import { CLI, leftovers, purple, readReport, runIdOf, savedEvents, tempDir } from '../run/helpers.js';
import { imageRef } from '../../harness/host/images.js';
import { startSecondEngine, type SecondEngine } from './second-engine.js';
import { startSshd, type TestSshd } from './sshd.js';

const EMULATION = 'an1170-cron-scp-exfil';
const TWIN = 'an1214-benign-tar-backup';

describe('purple run --target docker+ssh:// (a second Docker engine behind a real sshd on loopback)', function () {
  let engine: SecondEngine;
  let sshd: TestSshd;
  let engineTarget: string;
  before(async function () {
    engine = await startSecondEngine();
    sshd = await startSshd({ env: { DOCKER_HOST: engine.host } });
    engineTarget = `docker+ssh://root@127.0.0.1:${sshd.port}`;
  });
  after(async function () {
    await sshd?.stop();
    await engine?.stop();
  });

  const run = async (scenarios: string[]) => {
    const dir = tempDir('engine-run');
    const r = await purple(['run', ...scenarios, '--target', engineTarget, '--target', 'local', '--identity', sshd.identity, '--known-hosts', sshd.knownHosts, '--out', dir]);
    return { r, dir, report: readReport(dir) };
  };

  it('copies the images there, runs the container scenarios on both engines at once, each detected or quiet, and leaves nothing', async function () {
    expect(await engine.docker(['images', '-q', 'purple/*'])).to.equal('');
    const { r, dir, report } = await run([EMULATION, TWIN]);
    expect(r.exitCode, String(r.all)).to.equal(0);
    expect(String(r.all)).to.match(/copying purple\/base:\w+ from this machine's engine/);
    expect((await engine.docker(['images', '--format', '{{.Repository}}'])).split('\n').sort()).to.include.members(['purple/base', 'purple/sink', 'purple/victim']);

    const local = report.scenarios.find((s) => s.target !== engineTarget)?.target;
    expect(local).to.match(/^docker:\/\//);
    expect(report.scenarios.map((s) => `${s.id} ${s.target} ${s.verdict}`).sort()).to.deep.equal(
      [`${EMULATION} ${engineTarget} detected`, `${EMULATION} ${local} detected`, `${TWIN} ${engineTarget} quiet`, `${TWIN} ${local} quiet`].sort(),
    );
    expect(report.scenarios.every((s) => s.telemetry.checks.every((c) => c.satisfied)), String(r.all)).to.equal(true);

    // The other engine's scenario was seen through the audit log streamed over SSH: the scp from cron, no TTY,
    // towards that engine's own sink, and the flow that carried the volume.
    const remote = report.scenarios.find((s) => s.id === EMULATION && s.target === engineTarget)!;
    const context = JSON.parse(readFileSync(path.join(dir, remote.dir, 'context.json'), 'utf8')) as { addresses: Record<string, string> };
    expect(context.addresses.sink).to.match(/^10\.213\./);
    const events = await savedEvents(path.join(dir, remote.dir));
    const scp = events.find((e) => e.syscall === 'execve' && e.process.exe?.endsWith('/scp'));
    expect(scp, 'execve of scp on the other engine').to.not.equal(undefined);
    expect(scp!.process.tty).to.equal(null);
    const flows = remote.alerts.find((a) => a.analytic === 'AN1170')?.evidence.flows ?? [];
    expect(flows.map((f) => f.dst)).to.include(context.addresses.sink);

    expect(report.auditRules.some((l) => l.startsWith(`${engineTarget}: `))).to.equal(true);
    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
    expect(await engine.docker(['ps', '-aq', '--filter', `label=purple.run=${report.run_id}`])).to.equal('');
    expect(await engine.docker(['network', 'ls', '-q', '--filter', `label=purple.run=${report.run_id}`])).to.equal('');
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).to.include(`| ${markdownText(engineTarget)} | 2 |`);
  });

  it("leaves this machine's engine as it was: its default bridge still carries containers", async function () {
    const r = await execa('docker', ['run', '--rm', '--entrypoint', 'true', imageRef('victim')], { reject: false, all: true });
    expect(r.exitCode, String(r.all)).to.equal(0);
  });

  it('copies nothing the second time: the images there are current', async function () {
    const { r } = await run([TWIN]);
    expect(r.exitCode, String(r.all)).to.equal(0);
    expect(String(r.all)).to.not.include('copying');
  });
});

describe('purple run --target docker+ssh:// when something goes wrong', function () {
  let sshd: TestSshd;
  let engineTarget: string;

  before(async function () {
    sshd = await startSshd();
    engineTarget = `docker+ssh://root@127.0.0.1:${sshd.port}`;
  });
  after(async function () {
    await sshd?.stop();
  });

  it('checks the engine before anything starts: a wrong host key is refused (exit 3) and nothing is written', async function () {
    const dir = tempDir('engine-badkey');
    const r = await purple(['run', TWIN, '--target', engineTarget, '--identity', sshd.identity, '--known-hosts', path.join(dir, 'empty'), '--out', dir]);
    expect(r.exitCode, String(r.all)).to.equal(3);
    expect(String(r.all)).to.include('the server presented ssh-ed25519 SHA256:');
    expect(existsSync(path.join(dir, 'report.json'))).to.equal(false);
  });

  // Last: it kills this sshd.
  it('removes the containers, networks and audit rules of the run when the connection drops mid-run', async function () {
    const dir = tempDir('engine-drop');
    const child = spawn('node', [CLI, 'run', EMULATION, '--target', engineTarget, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts, '--out', dir, '--quiet'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let runId: string | undefined;
    for (const until = Date.now() + 120_000; !runId && Date.now() < until; ) {
      const id = runIdOf(child.pid!);
      const left = id ? await leftovers(id) : undefined;
      if (id && left!.containers && left!.rules) runId = id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(runId, 'a run with containers and rules').to.be.a('string');
    await sshd.killSessions();
    expect(await exited).to.not.equal(null);

    let left = await leftovers(runId!);
    for (let i = 0; i < 150 && (left.containers || left.networks || left.rules); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await leftovers(runId!);
    }
    expect(left).to.deep.equal({ containers: '', networks: '', rules: '' });
    const report = readReport(dir);
    expect(report.warnings.some((w) => w.includes('the guardian left on the host removes')), report.warnings.join('\n')).to.equal(true);
    expect(report.scenarios.some((s) => s.verdict === 'error' || s.verdict === 'incomplete')).to.equal(true);
    expect((await execa('docker', ['ps', '-aq', '--filter', `label=purple.run=${runId}`])).stdout).to.equal('');
  });
});
