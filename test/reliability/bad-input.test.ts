// Bad command-line input and bad files stop the CLI with exit 2 and a message naming the culprit.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { purple, tempDir } from '../run/helpers.js';

describe('purple run / replay reject bad input with exit 2', function () {
  this.timeout(60_000);

  it('names an unknown --set input', async function () {
    const r = await purple(['run', 'an1214-benign-text-report', '--set', 'nosuchinput=1', '--out', tempDir('rel-bad')]);
    expect(r.exitCode, String(r.all)).to.equal(2);
    expect(String(r.all)).to.include('nosuchinput');
  });

  it('names an unknown scenario id', async function () {
    const r = await purple(['run', 'nosuchscenario', '--out', tempDir('rel-bad')]);
    expect(r.exitCode, String(r.all)).to.equal(2);
    expect(String(r.all)).to.include('nosuchscenario');
  });

  it('names file, line and field of a broken scenario.yaml', async function () {
    const dir = tempDir('rel-bad-scenarios');
    mkdirSync(path.join(dir, 'broken'));
    const file = path.join(dir, 'broken', 'scenario.yaml');
    writeFileSync(file, 'id: broken\nname: Broken\ndescription: x\nanalytic: AN1214\ntechnique: T1560.003\nkind: emulation\nplatforms: [container]\nrequires: []\ncontainers: [victim]\nsteps:\n  - name: s\n    container: victim\n    user: root\n    run: "true"\n    timeout: soon\ntimeout: 60s\nexpect:\n  AN1214: alert\n');
    const r = await purple(['run', '--scenarios', dir, '--out', tempDir('rel-bad')]);
    expect(r.exitCode, String(r.all)).to.equal(2);
    expect(String(r.all)).to.match(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:15\\b.*timeout`));
  });

  it('names a missing --audit-log file', async function () {
    const r = await purple(['replay', '--audit-log', '/nonexistent/audit.log']);
    expect(r.exitCode, String(r.all)).to.equal(2);
    expect(String(r.all)).to.include('/nonexistent/audit.log');
  });

  it('names file and line of a bad --config YAML', async function () {
    const dir = tempDir('rel-bad-config');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'trusted_cidrs:\n  - 10.0.0.0/8\nstandard_users: [alice\n');
    const log = path.join(dir, 'audit.log');
    writeFileSync(log, '');
    const r = await purple(['replay', '--audit-log', log, '--config', config]);
    expect(r.exitCode, String(r.all)).to.equal(2);
    expect(String(r.all)).to.match(new RegExp(`${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+`));
  });
});
