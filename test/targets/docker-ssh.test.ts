// A Docker engine reached over SSH as a run target (docker+ssh://), against a real sshd on loopback:
// this machine's own engine plays the remote one, so the same scenarios can run on it and on the
// local engine at once. The container scenarios run there, are detected from the audit log read
// over SSH, and leave nothing behind, also when the connection drops mid-run.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { execa } from 'execa';
import { CLI, leftovers, purple, readReport, runIdOf, savedEvents, tempDir } from '../run/helpers.js';
import { startSshd, type TestSshd } from './sshd.js';

const EMULATION = 'an1170-cron-scp-exfil';
const TWIN = 'an1214-benign-tar-backup';

describe('purple run --target docker+ssh:// (a Docker engine over a real sshd on loopback)', function () {
  let sshd: TestSshd;
  let engineTarget: string;
  const made: string[] = [];
  const out = (prefix: string) => {
    const dir = tempDir(prefix);
    made.push(dir);
    return dir;
  };
  const keys = () => ['--identity', sshd.identity, '--known-hosts', sshd.knownHosts];

  before(async function () {
    sshd = await startSshd();
    engineTarget = `docker+ssh://root@127.0.0.1:${sshd.port}`;
  });
  after(async function () {
    await sshd?.stop();
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the container scenarios on the remote engine and the local one at once, each detected or quiet, with coverage per engine', async function () {
    const dir = out('engine-run');
    const r = await purple(['run', EMULATION, TWIN, '--target', engineTarget, '--target', 'local', ...keys(), '--out', dir, '--quiet']);
    const report = readReport(dir);
    expect(r.exitCode, String(r.all)).to.equal(0);

    const local = report.scenarios.find((s) => s.target !== engineTarget)?.target;
    expect(local).to.match(/^docker:\/\//);
    expect(report.scenarios.map((s) => `${s.id} ${s.target} ${s.verdict}`).sort()).to.deep.equal(
      [`${EMULATION} ${engineTarget} detected`, `${EMULATION} ${local} detected`, `${TWIN} ${engineTarget} quiet`, `${TWIN} ${local} quiet`].sort(),
    );
    expect(report.scenarios.every((s) => s.telemetry.checks.every((c) => c.satisfied)), String(r.all)).to.equal(true);

    // The remote engine's scenario was seen through the audit log streamed over SSH: the scp from cron, no TTY.
    const remote = report.scenarios.find((s) => s.id === EMULATION && s.target === engineTarget)!;
    const events = await savedEvents(path.join(dir, remote.dir));
    const scp = events.find((e) => e.syscall === 'execve' && e.process.exe?.endsWith('/scp'));
    expect(scp, 'execve of scp on the remote engine').to.not.equal(undefined);
    expect(scp!.process.tty).to.equal(null);
    const alert = remote.alerts.find((a) => a.analytic === 'AN1170');
    expect(alert?.evidence.flows?.length, 'the deciding flow, read over SSH').to.be.greaterThan(0);

    // Each target loaded its own keyed rules; every rule, container and network of the run is gone.
    expect(report.auditRules.some((l) => l.startsWith(`${engineTarget}: `))).to.equal(true);
    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).to.include(`| ${engineTarget} | 2 |`);
  });

  it('checks the engine before anything starts: a wrong host key is refused (exit 3) and nothing is written', async function () {
    const dir = out('engine-badkey');
    const r = await purple(['run', TWIN, '--target', engineTarget, '--identity', sshd.identity, '--known-hosts', path.join(dir, 'empty'), '--out', dir]);
    expect(r.exitCode, String(r.all)).to.equal(3);
    expect(String(r.all)).to.include('the server presented ssh-ed25519 SHA256:');
    expect(existsSync(path.join(dir, 'report.json'))).to.equal(false);
  });

  // Last: it kills this sshd.
  it('removes the containers, networks and audit rules of the run when the connection drops mid-run', async function () {
    const dir = out('engine-drop');
    const child = spawn('node', [CLI, 'run', EMULATION, '--target', engineTarget, ...keys(), '--out', dir, '--quiet'], { stdio: 'ignore' });
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
