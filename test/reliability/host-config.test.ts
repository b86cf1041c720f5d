// A run adds and removes only its own audit rules: the host's rules keep their order, the audit
// settings (backlog limit, failure mode), the sysctls provisioning manages and the Docker objects
// that are not the run's are unchanged afterwards.
import { expect } from 'chai';
import { execa } from 'execa';
import { imageRef } from '../../harness/host/images.js';
import { leftovers, purple, readReport, tempDir } from '../run/helpers.js';

const OWN_RULES = [
  ['-w', '/etc/hosts', '-p', 'wa', '-k', 'host-own-1'],
  ['-w', '/etc/hostname', '-p', 'wa', '-k', 'host-own-2'],
];

// Other runs on this machine (other purple-keyed rules) may come and go meanwhile; ignore them.
async function hostRules(): Promise<string[]> {
  return (await execa('auditctl', ['-l'])).stdout.split('\n').filter((l) => !/-k purple-|key=purple-/.test(l));
}

async function settings(): Promise<Record<string, string>> {
  const lines = (await execa('auditctl', ['-s'])).stdout.split('\n');
  const pick = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? '';
  return { backlog_limit: pick('backlog_limit'), failure: pick('failure'), enabled: pick('enabled') };
}

const SYSCTLS = ['net.netfilter.nf_conntrack_acct', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.ip_forward'];

async function sysctls(): Promise<string> {
  return (await execa('sysctl', SYSCTLS)).stdout;
}

/** Every container and network on the engine that is not a purple run's, with its state. */
async function otherDockerObjects(): Promise<string[]> {
  const label = '|{{.Label "purple.run"}}';
  const containers = (await execa('docker', ['ps', '-a', '--format', `{{.ID}} {{.Names}} {{.State}}${label}`])).stdout;
  const networks = (await execa('docker', ['network', 'ls', '--format', `{{.ID}} {{.Name}}${label}`])).stdout;
  // Lines of a (concurrent) run's objects carry its id after the bar.
  return [...containers.split('\n'), ...networks.split('\n')].filter((l) => l.endsWith('|')).map((l) => l.slice(0, -1));
}

describe('purple run leaves the host configuration as it found it (real Docker + auditd)', function () {
  this.timeout(120_000);
  const name = `host-own-${process.pid}`;

  before(async function () {
    for (const rule of OWN_RULES) await execa('auditctl', rule);
    // A container and a network of the host's own, as a workstation or CI runner would have.
    await execa('docker', ['network', 'create', name]);
    await execa('docker', ['run', '-d', '--name', name, '--network', name, '--entrypoint', 'sleep', imageRef('victim'), 'infinity']);
  });

  after(async function () {
    for (const rule of OWN_RULES) await execa('auditctl', ['-W', ...rule.slice(1)], { reject: false });
    await execa('docker', ['rm', '-f', name], { reject: false });
    await execa('docker', ['network', 'rm', name], { reject: false });
  });

  it('keeps the same rules in the same order and the same settings', async function () {
    const rulesBefore = await hostRules();
    expect(rulesBefore.join('\n')).to.include('-k host-own-1').and.include('-k host-own-2');
    const settingsBefore = await settings();
    const sysctlsBefore = await sysctls();
    const dockerBefore = await otherDockerObjects();
    expect(dockerBefore.join('\n')).to.include(`${name} running`);
    const out = tempDir('rel-host');
    const r = await purple(['run', 'an1214-benign-text-report', '--out', out, '--quiet']);
    expect(r.exitCode, String(r.all)).to.equal(0);
    expect(await hostRules()).to.deep.equal(rulesBefore);
    expect(await settings()).to.deep.equal(settingsBefore);
    expect(await sysctls()).to.equal(sysctlsBefore);
    expect(await otherDockerObjects()).to.deep.equal(dockerBefore);
    expect(await leftovers(readReport(out).run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
  });
});
