// Host targets over SSH against a real sshd on loopback (this machine plays the remote host):
// the host-capable scenarios run in their private work dirs, are detected from the audit log
// streamed over the SSH connection, and leave nothing behind; wrong host keys are refused; a
// dropped connection still ends in cleanup (by the guardian on the "remote" side).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownText } from '../../reports/sanitize.js';
import { expect } from 'chai';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import type { RunReport } from '../../harness/run/results.js';
import { DEFAULT_SCENARIOS_DIR, loadScenarios } from '../../harness/scenario/loader.js';
import { CLI, purple, readReport, runIdOf, savedEvents, tempDir } from '../run/helpers.js';
import { startSshd, type TestSshd } from './sshd.js';

const USER_MAP = ['--user-map', 'alice=nobody', '--user-map', 'svc-app=www-data'];

async function purpleRules(runId: string): Promise<string[]> {
  return (await execa('auditctl', ['-l'])).stdout.split('\n').filter((l) => l.includes(`key=purple-${runId}`));
}

function workdirs(runId: string): string[] {
  return readdirSync('/tmp').filter((d) => d.startsWith(`purple-${runId}-`));
}

describe('purple run --target ssh:// (real sshd on loopback, real auditd)', function () {
  let sshd: TestSshd;
  const ssh = () => ['--target', sshd.target, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts];

  before(async function () {
    sshd = await startSshd();
  });
  after(async function () {
    await sshd?.stop();
  });

  describe('the host-capable scenarios', function () {
    let out: string;
    let report: RunReport;
    let output: string;
    let exitCode: number | undefined;

    before(async function () {
      out = tempDir('ssh-run');
      const r = await purple(['run', ...ssh(), ...USER_MAP, '--parallel', '3', '--out', out, '--quiet']);
      output = String(r.all);
      exitCode = r.exitCode;
      report = readReport(out);
    });

    it('runs exactly the scenarios declared for hosts, all on that target', function () {
      const hostCapable = loadScenarios(DEFAULT_SCENARIOS_DIR).scenarios.filter((s) => s.platforms.includes('host')).map((s) => s.id);
      expect(hostCapable.length).to.be.greaterThan(0);
      expect(report.scenarios.map((s) => s.id).sort()).to.deep.equal(hostCapable.sort());
      expect(report.scenarios.every((s) => s.target === `ssh://root@127.0.0.1:${sshd.port}`)).to.equal(true);
      expect(report.environment.target).to.equal(`ssh://root@127.0.0.1:${sshd.port}`);
    });

    it('detects every emulation and stays quiet on every benign twin, exit 0', function () {
      const wrong = report.scenarios.flatMap((s) =>
        s.verdicts.filter((v) => !['detected', 'quiet'].includes(v.verdict)).map((v) => `${s.id}/${v.analytic}: ${v.verdict}: ${v.reason} ${s.error ?? ''}`),
      );
      expect(wrong, output).to.deep.equal([]);
      expect(exitCode, output).to.equal(0);
      expect(report.scenarios.every((s) => s.telemetry.checks.every((c) => c.satisfied)), output).to.equal(true);
    });

    it('ran the steps as the mapped users inside the private work dir', async function () {
      const s = report.scenarios.find((x) => x.id === 'an1529-padded-binary-exec')!;
      const events = await savedEvents(path.join(out, s.dir));
      const exec = events.find((e) => e.syscall === 'execve' && e.process.exe?.endsWith('/update-agent'));
      expect(exec, 'execve of the dropped binary').to.not.equal(undefined);
      expect(exec!.process.exe!).to.match(new RegExp(`^/tmp/purple-${report.run_id}-an1529-padded-binary-exec\\.[0-9a-f]{16}/`));
      expect(exec!.process.uid).to.equal(33); // www-data
      const context = JSON.parse(readFileSync(path.join(out, s.dir, 'context.json'), 'utf8')) as { workdir: string };
      expect(context.workdir).to.match(new RegExp(`^/tmp/purple-${report.run_id}-an1529-padded-binary-exec\\.[0-9a-f]{16}$`));
      const creator = events.find((e) => e.files.some((f) => f.nametype === 'CREATE' && f.name?.endsWith('update-agent')));
      expect(creator?.process.uid).to.equal(65534); // alice mapped to nobody
    });

    it('leaves no audit rule and no work dir behind', async function () {
      expect(await purpleRules(report.run_id)).to.deep.equal([]);
      expect(workdirs(report.run_id)).to.deep.equal([]);
    });
  });

  it('fans out over several targets (--targets FILE), keeping each target apart, with coverage per host', async function () {
    const out = tempDir('ssh-multi');
    const list = path.join(tempDir('ssh-multi-targets'), 'targets.txt');
    writeFileSync(list, `# the same machine twice\n${sshd.target}\nssh://root@127.0.0.1:${sshd.secondPort}  # second port\n`);
    const r = await purple(['run', 'an1214-python-xor-archive', 'an1214-benign-python-zip', '--targets', list, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts, ...USER_MAP, '--out', out, '--quiet']);
    const report = readReport(out);
    const errors = report.scenarios.filter((s) => s.error).map((s) => `${s.id} on ${s.target}: ${s.error}`);
    expect(r.exitCode, [String(r.all), ...errors].join('\n')).to.equal(0);
    const targets = [sshd.target, `ssh://root@127.0.0.1:${sshd.secondPort}`];
    expect(report.scenarios.map((s) => `${s.id} ${s.target}`)).to.deep.equal([
      `an1214-python-xor-archive ${targets[0]}`,
      `an1214-python-xor-archive ${targets[1]}`,
      `an1214-benign-python-zip ${targets[0]}`,
      `an1214-benign-python-zip ${targets[1]}`,
    ]);
    expect(new Set(report.scenarios.map((s) => s.dir)).size).to.equal(4);
    expect(report.scenarios.map((s) => s.verdict)).to.deep.equal(['detected', 'detected', 'quiet', 'quiet']);
    // Each target loaded its own rules (the same machine twice must not collide) and removed them.
    expect(report.auditRules.some((l) => l.startsWith(`${targets[0]}: `) && l.includes(`-k purple-${report.run_id}-t1`))).to.equal(true);
    expect(report.auditRules.some((l) => l.startsWith(`${targets[1]}: `) && l.includes(`-k purple-${report.run_id}-t2`))).to.equal(true);
    expect(await purpleRules(report.run_id)).to.deep.equal([]);
    expect(workdirs(report.run_id)).to.deep.equal([]);
    const markdown = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(markdown).to.include('## Coverage per host');
    // Shown as Markdown text: no @-mention of the user part (reports/sanitize.ts).
    for (const t of targets) expect(markdown).to.include(`| ${markdownText(t)} | 2 |`);
  });

  it('refuses a host key that does not match known_hosts, naming the fingerprint and the fix', async function () {
    const dir = tempDir('ssh-badkey');
    const other = path.join(dir, 'other');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const kh = path.join(dir, 'known_hosts');
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${readFileSync(other + '.pub', 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const out = path.join(dir, 'run');
    const r = await purple(['run', '--target', sshd.target, '--identity', sshd.identity, '--known-hosts', kh, ...USER_MAP, '--out', out]);
    expect(r.exitCode, String(r.all)).to.equal(3);
    expect(String(r.all)).to.match(/HOST KEY MISMATCH for \[127\.0\.0\.1\]:\d+: the server presented ssh-ed25519 SHA256:/);
    expect(String(r.all)).to.include('ssh-keygen -R');
    expect(existsSync(path.join(out, 'report.json'))).to.equal(false);
  });

  it('refuses an unknown host key with the fingerprint to check', async function () {
    const dir = tempDir('ssh-unknown');
    const kh = path.join(dir, 'known_hosts');
    writeFileSync(kh, '');
    const r = await purple(['doctor', '--target', sshd.target, '--identity', sshd.identity, '--known-hosts', kh]);
    expect(r.exitCode, String(r.all)).to.equal(3);
    const fp = (await execa('ssh-keygen', ['-l', '-f', path.join(sshd.dir, 'host_key.pub')])).stdout.split(' ')[1]!;
    expect(String(r.all)).to.include(`is not in ${kh} (the server presented ssh-ed25519 ${fp})`);
  });

  it('refuses a container-only scenario with --target (exit 2, naming it)', async function () {
    const r = await purple(['run', 'an1170-cron-scp-exfil', ...ssh()]);
    expect(r.exitCode).to.equal(2);
    expect(String(r.all)).to.include('scenario an1170-cron-scp-exfil only runs in containers');
  });

  it('refuses a user that does not exist on the host, naming it and the fix', async function () {
    // This machine may well have an `alice`: map the scenario's user to a name no account has.
    const absent = `purple-absent-${process.pid}`;
    expect((await execa('getent', ['passwd', absent], { reject: false })).exitCode, `${absent} exists`).to.not.equal(0);
    const r = await purple(['run', 'an1214-python-xor-archive', ...ssh(), '--user-map', `alice=${absent}`]);
    expect(r.exitCode, String(r.all)).to.equal(3);
    expect(String(r.all)).to.include(`user ${absent} (mapped from alice) does not exist on ${sshd.target}`);
    expect(String(r.all)).to.include('--user-map alice=USER');
  });

  it('refuses a non-root login without password-less sudo, naming the user, host and fix', async function () {
    // Any account of this machine with a login shell will do (the test sshd's AuthorizedKeysFile is shared).
    const account = (await execa('getent', ['passwd'])).stdout
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => Number(f[2]) >= 1000 && Number(f[2]) < 65534 && /\/(ba|da)?sh$/.test(f[6] ?? ''))?.[0];
    if (!account) this.skip(); // no such account on this machine: nothing to log in as
    const target = `ssh://${account}@127.0.0.1:${sshd.port}`;
    const r = await purple(['run', 'an1529-benign-user-binary', '--target', target, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts, ...USER_MAP]);
    expect(r.exitCode, String(r.all)).to.equal(3);
    expect(String(r.all)).to.include(`${account} on ${target} cannot use sudo without a password`);
    expect(String(r.all)).to.include('NOPASSWD');
  });

  it('checks the remote host with purple doctor --target (Docker not needed)', async function () {
    const r = await purple(['doctor', '--json', ...ssh()]);
    const { ready, checks } = JSON.parse(String(r.stdout)) as { ready: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.root?.ok).to.equal(true);
    expect(byName['kernel audit']?.ok).to.equal(true);
    expect(byName['audit log']?.ok, byName['audit log']?.detail).to.equal(true);
    expect(byName.docker?.detail).to.equal('not needed on a host target');
    expect(ready).to.equal(r.exitCode === 0);
  });

});

describe('purple run --target ssh:// when the connection drops', function () {
  let sshd: TestSshd;
  before(async function () {
    sshd = await startSshd();
  });
  after(async function () {
    await sshd?.stop();
  });

  /** Starts a run, waits until it has rules and a work dir on the "remote", then calls `cut`. */
  async function cutMidRun(cut: (child: ReturnType<typeof spawn>) => Promise<void>): Promise<{ runId: string; out: string; code: number | null }> {
    const ssh = ['--target', sshd.target, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts];
    const out = tempDir('ssh-drop');
    const child = spawn('node', [CLI, 'run', ...ssh, ...USER_MAP, '--parallel', '1', '--out', out, '--quiet'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let runId: string | undefined;
    const until = Date.now() + 60_000;
    while (!runId && Date.now() < until) {
      const id = runIdOf(child.pid!);
      if (id && workdirs(id).length > 0 && (await purpleRules(id)).length > 0) runId = id;
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(runId, 'a run with a work dir and rules').to.be.a('string');
    await cut(child);
    const code = await exited;
    return { runId: runId!, out, code };
  }

  /** The guardian works on the "remote" side: give it a moment after the drop. */
  async function expectCleanedUp(runId: string): Promise<void> {
    let rules: string[] = [];
    let dirs: string[] = [];
    for (let i = 0; i < 100; i++) {
      [rules, dirs] = [await purpleRules(runId), workdirs(runId)];
      if (!rules.length && !dirs.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rules).to.deep.equal([]);
    expect(dirs).to.deep.equal([]);
  }

  it('cleans up rules and work dirs when purple itself is killed -9 mid-run', async function () {
    const { runId, code } = await cutMidRun(async (child) => {
      child.kill('SIGKILL');
    });
    expect(code).to.equal(null);
    await expectCleanedUp(runId);
  });

  // Last: it kills this sshd.
  it('cleans up rules and work dirs when the connection drops mid-run', async function () {
    const { runId, out, code } = await cutMidRun(() => sshd.killSessions());
    expect(code).to.not.equal(null);
    await expectCleanedUp(runId);
    const report = readReport(out);
    expect(report.warnings.some((w) => w.includes('during the run: the guardian left on the host removes')), report.warnings.join('\n')).to.equal(true);
    expect(report.scenarios.some((s) => s.error !== null)).to.equal(true);
  });
});
