import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatCheck, hostReady, parseAuditStatus, runDoctorChecks } from '../../harness/host/doctor.js';
import type { ExecResult, HostExec } from '../../harness/host/exec.js';
import { localHost } from '../../harness/host/exec.js';
import { ensureImages } from '../../harness/host/images.js';

const mainJs = fileURLToPath(new URL('../../harness/cli/main.js', import.meta.url));

/** The real host, except for the programs listed in `answers`, whose output is replaced. */
function hostWith(answers: Record<string, Partial<ExecResult>>): HostExec {
  return {
    where: 'test host',
    async run(program, args, options) {
      const key = [program, ...args].join(' ');
      const answer = answers[key] ?? answers[program];
      if (answer) return { code: 0, stdout: '', stderr: '', ...answer };
      return localHost.run(program, args, options);
    },
  };
}

describe('host: purple doctor', function () {
  this.timeout(240_000);
  before(async () => {
    await ensureImages(); // no-op when current; a cold build otherwise
  });

  it('passes every check on the provisioned host', async () => {
    const checks = await runDoctorChecks();
    const names = checks.map((c) => c.name);
    for (const expected of ['docker', 'kernel audit', 'auditd', 'audit backlog', 'audit lost', 'audit log', 'conntrack', 'conntrack accounting', 'bridge netfilter', 'images']) {
      expect(names).to.include(expected);
    }
    // `lost` counts since boot, so earlier load (other tests) may have raised it: the one check provisioning can't clear.
    const notOk = checks.filter((c) => !c.ok && c.name !== 'audit lost');
    expect(notOk, JSON.stringify(checks, null, 2)).to.deep.equal([]);
    expect(hostReady(checks)).to.equal(true);
    expect(checks.find((c) => c.name === 'docker')!.detail).to.match(/Docker engine \d+\.\d+/);
  });

  it('`purple doctor` prints one line per check and exits 0; --json gives the structure', async () => {
    const text = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('node', [mainJs, 'doctor'], (err, stdout) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout })),
    );
    expect(text.code, text.stdout).to.equal(0);
    expect(text.stdout).to.match(/^✓ docker\s+Docker engine/m);
    expect(text.stdout).to.match(/^ready/m);
    expect(text.stdout).to.not.match(/\x1b\[/); // no colour when not a TTY
    const json = await new Promise<string>((resolve, reject) =>
      execFile('node', [mainJs, 'doctor', '--json'], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const parsed = JSON.parse(json) as { ready: boolean; checks: { name: string; ok: boolean }[] };
    expect(parsed.ready).to.equal(true);
    expect(parsed.checks.every((c) => c.ok || c.name === 'audit lost')).to.equal(true);
  });

  it('fails an immutable audit configuration and a dead engine, each with a fix', async () => {
    const checks = await runDoctorChecks(
      hostWith({
        'auditctl -s': { stdout: 'enabled 2\nfailure 1\npid 0\nrate_limit 0\nbacklog_limit 64\nlost 17\nbacklog 0\n' },
        docker: { code: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' },
      }),
    );
    const by = (name: string) => checks.find((c) => c.name === name)!;
    expect(by('kernel audit')).to.include({ ok: false, severity: 'fail' });
    expect(by('kernel audit').detail).to.contain('immutable');
    expect(by('kernel audit').fix).to.contain('-e 2');
    expect(by('auditd')).to.include({ ok: false, severity: 'fail' });
    expect(by('audit backlog')).to.include({ ok: false, severity: 'warn', fix: 'auditctl -b 8192' });
    expect(by('audit lost')).to.include({ ok: false, severity: 'warn' });
    expect(by('audit lost').detail).to.contain('17');
    expect(by('docker')).to.include({ ok: false, severity: 'fail' });
    expect(by('docker').detail).to.contain('Cannot connect');
    expect(by('docker').fix).to.contain('containers/provision.sh');
    expect(hostReady(checks)).to.equal(false);
    expect(formatCheck(by('docker'), false)).to.match(/^✗ docker .*\n {2}fix: sudo bash containers\/provision\.sh$/);
  });

  it('warnings alone leave the host ready', async () => {
    const checks = await runDoctorChecks(hostWith({ 'auditctl -s': { stdout: `enabled 1\npid ${(await auditdPid())}\nbacklog_limit 320\nlost 3\n` } }));
    expect(checks.filter((c) => !c.ok).map((c) => c.severity)).to.deep.equal(['warn', 'warn']);
    expect(hostReady(checks)).to.equal(true);
  });

  it('parses auditctl -s, ignoring non-numeric lines', () => {
    expect(parseAuditStatus('enabled 1\npid 3697\nloginuid_immutable 0 unlocked\nbacklog_wait_time 15000\n')).to.deep.equal({
      enabled: 1,
      pid: 3697,
      loginuid_immutable: 0,
      backlog_wait_time: 15000,
    });
  });
});

async function auditdPid(): Promise<number> {
  const res = await localHost.run('auditctl', ['-s']);
  return parseAuditStatus(res.stdout).pid ?? 0;
}
