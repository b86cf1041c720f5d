import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { writeRunOutputs } from '../../reports/index.js';
import { makeBaselineReport, makeReport, makeScenarios } from './factory.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../harness/cli/main.js');

function purple(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('purple report', () => {
  let dir: string;
  let failing: string;
  let passing: string;
  let baseline: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purple-cli-'));
    failing = path.join(dir, 'failing');
    passing = path.join(dir, 'passing');
    baseline = path.join(dir, 'baseline');
    writeRunOutputs(makeReport(), failing, { formats: ['json'] });
    writeRunOutputs(makeReport({ scenarios: makeScenarios().filter((s) => s.id === 'archive-xor-python') }), passing, { formats: ['json'] });
    writeRunOutputs(makeBaselineReport(), baseline, { formats: ['json'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the terminal view of a run folder, without colour off a TTY, and exits like the run', () => {
    const r = purple('report', failing);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('purple run 20260302-100000-ab12').and.include('2/3 detected (1 missed) — flaky');
    expect(r.stdout).not.to.match(/\x1b\[/);
    expect(purple('report', path.join(passing, 'report.json')).code).to.equal(0);
  });

  it('prints one format to stdout', () => {
    const junit = purple('report', failing, '--format', 'junit');
    expect(junit.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).to.equal(true);
    const layer = JSON.parse(purple('report', failing, '--format', 'layer').stdout);
    expect(layer.versions.layer).to.equal('4.5');
    const json = purple('report', failing, '--format', 'json').stdout;
    expect(json).to.equal(readFileSync(path.join(failing, 'report.json'), 'utf8'));
  });

  it('writes every format into --out', () => {
    const out = path.join(dir, 'rendered');
    const r = purple('report', failing, '--format', 'all', '--out', out);
    expect(r.stdout.trim().split('\n').map((l) => path.basename(l))).to.have.members(readdirSync(out));
    expect(readdirSync(out)).to.have.members(['report.json', 'junit.xml', 'report.html', 'report.md', 'attack-layer.json', 'attire.json']);
  });

  it('compares with a baseline and reports the regressions', () => {
    const r = purple('report', failing, '--baseline', baseline, '--format', 'md');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('newly missed: binary-padding-dd / AN1529').and.include('new false alarm: archive-tar-benign / AN1214');
  });

  it('exits 2 with the fix on bad usage or an unreadable report', () => {
    const badFormat = purple('report', failing, '--format', 'pdf');
    expect(badFormat.code).to.equal(2);
    expect(badFormat.stderr).to.include('unknown format "pdf"; use one of terminal, json, junit, html, md, layer, attire, all');
    const none = purple('report');
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include('which run?');
    const missing = purple('report', path.join(dir, 'nope'));
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('no such file or folder');
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "run_id": "x",\n  "scenarios": [,]\n}\n');
    const bad = purple('report', broken);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include(`${broken}:3:17: not valid JSON`);
  });
});
