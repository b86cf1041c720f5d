// A run adds and removes only its own audit rules: the host's rules keep their order and the
// audit settings (backlog limit, failure mode) are unchanged afterwards.
import { expect } from 'chai';
import { execa } from 'execa';
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

describe('purple run leaves the host audit configuration as it found it (real Docker + auditd)', function () {
  this.timeout(120_000);

  before(async function () {
    for (const rule of OWN_RULES) await execa('auditctl', rule);
  });

  after(async function () {
    for (const rule of OWN_RULES) await execa('auditctl', ['-W', ...rule.slice(1)], { reject: false });
  });

  it('keeps the same rules in the same order and the same settings', async function () {
    const rulesBefore = await hostRules();
    expect(rulesBefore.join('\n')).to.include('-k host-own-1').and.include('-k host-own-2');
    const settingsBefore = await settings();
    const out = tempDir('rel-host');
    const r = await purple(['run', 'an1214-benign-text-report', '--out', out, '--quiet']);
    expect(r.exitCode, String(r.all)).to.equal(0);
    expect(await hostRules()).to.deep.equal(rulesBefore);
    expect(await settings()).to.deep.equal(settingsBefore);
    expect(await leftovers(readReport(out).run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
  });
});
