import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { provisionScript } from '../../harness/host/paths.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(program, args, { env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(); // no stdin, like .ci/run
  });
}

/** What provisioning must never change once the host is ready. */
async function hostState(): Promise<Record<string, string>> {
  const [rules, containers, images, sysctls, status] = await Promise.all([
    sh('auditctl', ['-l']),
    sh('docker', ['ps', '-aq', '--no-trunc']),
    sh('docker', ['images', '-aq', '--no-trunc']),
    sh('sysctl', ['-a']),
    sh('auditctl', ['-s']),
  ]);
  const sorted = (text: string) => text.split('\n').filter(Boolean).sort().join('\n');
  // Counters that move on their own (conntrack counts, random seeds, timers) are not settings, and
  // container veth interfaces come and go with other tests' containers (removal is asynchronous).
  const volatile = /^(net\.ipv[46]\.(conf|neigh)\.veth|fs\.(dentry|inode|file-nr|aio-nr)|kernel\.(random|ns_last_pid|pty\.nr|perf_event)|net\.netfilter\.nf_conntrack_count|fs\.quota|kernel\.sched_domain|vm\.stat)/;
  return {
    rules: rules.stdout,
    containers: sorted(containers.stdout),
    images: sorted(images.stdout),
    sysctls: sorted(sysctls.stdout.split('\n').filter((l) => !volatile.test(l)).join('\n')),
    audit: status.stdout.split('\n').filter((l) => /^(enabled|pid|backlog_limit|rate_limit|failure) /.test(l)).join('\n'),
  };
}

describe('host: containers/provision.sh', function () {
  this.timeout(600_000);

  it('is idempotent: a second run changes nothing and says so', async () => {
    const first = await sh('bash', [provisionScript, '--test-tools']);
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const before = await hostState();

    const second = await sh('bash', [provisionScript, '--test-tools']);
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(second.stdout).to.match(/nothing changed/);
    expect(second.stdout).to.match(/dockerd\s+already running/);
    expect(second.stdout).to.match(/auditd\s+already running/);
    expect(second.stdout).to.match(/package docker\.io\s+already installed/);
    expect(second.stdout).to.not.match(/apt-get/);

    const after = await hostState();
    for (const key of Object.keys(before)) expect(after[key], key).to.equal(before[key]);
  });

  it('refuses to run as a non-root user, saying why', async () => {
    const run = await sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', provisionScript]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/must run as root/);
  });

  it('rejects an unknown option with the usage', async () => {
    const run = await sh('bash', [provisionScript, '--bogus']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/unknown option '--bogus'/);
  });
});
