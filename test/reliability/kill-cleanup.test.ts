// A run killed with SIGKILL cannot clean up; `purple cleanup` then removes exactly what it left and
// nothing that belongs to someone else.
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { CLI, leftovers, purple, tempDir } from '../run/helpers.js';
import { runIdOfScenario, tempScenario, waitForOutput } from './scenarios.js';

const OWN_RULE = ['-w', '/etc/hosts', '-p', 'wa', '-k', 'host-own-test'];

describe('purple run killed with SIGKILL, then purple cleanup (real Docker + auditd)', function () {
  this.timeout(120_000);
  let unrelated = '';

  before(async function () {
    unrelated = (await execa('docker', ['run', '-d', '--rm', '--entrypoint', 'sleep', 'purple/victim', '300'])).stdout.trim();
    await execa('auditctl', OWN_RULE);
  });

  after(async function () {
    if (unrelated) await execa('docker', ['rm', '-f', unrelated], { reject: false });
    await execa('auditctl', ['-W', ...OWN_RULE.slice(1)], { reject: false });
  });

  it('leaves the run behind on SIGKILL and cleanup removes only that', async function () {
    const { dir, id } = tempScenario('rel-kill', [{ name: 'sleep', run: 'sleep 60', timeout: '90s' }], '120s');
    const out = path.join(tempDir('rel-kill-out'), 'run');
    const child = execa('node', [CLI, 'run', id, '--scenarios', dir, '--out', out], { reject: false });
    await waitForOutput(child.stderr!, 'step 1/1');
    const runId = (await runIdOfScenario(id))!;
    child.kill('SIGKILL');
    await child;

    const left = await leftovers(runId);
    expect(left.containers, 'container left by the killed run').to.not.equal('');
    expect(left.networks, 'network left by the killed run').to.not.equal('');
    expect(left.rules, 'audit rules left by the killed run').to.not.equal('');

    const r = await purple(['cleanup']);
    expect(r.exitCode, String(r.all)).to.equal(0);
    expect(await leftovers(runId)).to.deep.equal({ containers: '', networks: '', rules: '' });
    const stillThere = (await execa('docker', ['ps', '-q', '--no-trunc', '--filter', `id=${unrelated}`])).stdout.trim();
    expect(stillThere, 'unrelated container untouched').to.equal(unrelated);
    expect((await execa('auditctl', ['-l'])).stdout, 'unrelated audit rule untouched').to.include('-k host-own-test');
  });
});
