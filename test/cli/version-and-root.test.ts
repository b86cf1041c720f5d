// Issue 17: `purple --version` says the package's version, and `purple doctor` run by a non-root user says to run it
// as root instead of blaming the host for what the missing privilege hides.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { CLI } from '../run/helpers.js';

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };

describe('purple --version and a non-root doctor', () => {
  it('--version prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await execa('node', [CLI, flag], { reject: false });
      expect(r.exitCode).to.equal(0);
      expect(r.stdout.trim()).to.equal(`purple ${pkg.version}`);
    }
  });

  it('doctor as a non-root user says to run it as root, and checks nothing else', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const r = await execa('runuser', ['-u', 'nobody', '--', process.execPath, CLI, 'doctor'], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stderr).to.equal(1);
    expect(r.stdout).to.include('purple runs as uid 65534, not root').and.include('fix: run it as root');
    expect(r.stdout).to.not.include('audit log does not exist').and.not.include('provision.sh');
  });
});
