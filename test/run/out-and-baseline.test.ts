// Run-level guards: --out is checked before anything starts (exit 2 naming the path, never a stack
// trace); a non-empty --out is refused unless --force, which empties it first; --update-baseline
// writes only a complete run (or with --force) and says what it wrote.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { CLI, purple, readReport, tempDir } from './helpers.js';
import { tempScenario } from '../reliability/scenarios.js';

/** Refused as a usage error, quickly (nothing started), naming `what`, without a stack trace. */
async function refused(args: string[], what: string | RegExp, cwd?: string): Promise<void> {
  const started = Date.now();
  const r = await execa('node', [CLI, 'run', ...args], { reject: false, all: true, ...(cwd ? { cwd } : {}), timeout: 60_000 });
  const output = String(r.all);
  expect(r.exitCode, output).to.equal(2);
  if (typeof what === 'string') expect(output).to.include(what);
  else expect(output).to.match(what);
  expect(output, 'no stack trace').to.not.match(/^\s+at /m);
  expect(Date.now() - started, 'refused before anything started').to.be.lessThan(60_000);
}

describe('purple run --out checks (before anything starts)', function () {
  it('refuses a folder inside /proc or /sys', async function () {
    await refused(['--out', '/proc/self/purple-out'], '--out /proc/self/purple-out');
    await refused(['--out', '/sys/kernel/purple-out'], 'inside /sys');
  });

  it('refuses a path that is a file, or under a file', async function () {
    const file = path.join(tempDir('out-file'), 'a-file');
    writeFileSync(file, 'x');
    await refused(['--out', file], `${file} is not a directory`);
    await refused(['--out', path.join(file, 'below')], `${file} is not a directory`);
  });

  it('refuses a folder that cannot be written (a read-only mount)', async function () {
    const mount = tempDir('out-ro');
    await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
    try {
      await refused(['--out', path.join(mount, 'run')], new RegExp(`${mount} is not writable \\(EROFS\\)`));
    } finally {
      await execa('umount', [mount]);
    }
  });

  it('refuses a non-empty folder without --force, naming it and the fix', async function () {
    const out = tempDir('out-used');
    writeFileSync(path.join(out, 'report.json'), '{}');
    await refused(['--out', out], new RegExp(`--out ${out} is not empty.*--force`, 's'));
    expect(readdirSync(out)).to.deep.equal(['report.json']);
  });

  it('--force will not empty the current folder or a parent of it', async function () {
    const cwd = tempDir('out-cwd');
    writeFileSync(path.join(cwd, 'precious'), 'keep me');
    await refused(['--out', '.', '--force'], 'will not empty', cwd);
    await refused(['--out', '..', '--force'], 'will not empty', cwd);
    expect(readFileSync(path.join(cwd, 'precious'), 'utf8')).to.equal('keep me');
  });
});

describe('purple run --force and --update-baseline (real Docker + auditd)', function () {
  this.timeout(300_000);
  let scenarios: string;
  let complete: string;
  let failing: string;

  before(function () {
    scenarios = tempDir('baseline-scenarios');
    // Throw-away emulations: one runs to the end (missed: complete), one whose step fails (error: incomplete).
    complete = tempScenario('rel-complete', [{ name: 'ok', run: 'true', timeout: '10s' }], '30s', { dir: scenarios }).id;
    failing = tempScenario('rel-failing', [{ name: 'fails', run: 'exit 3', timeout: '10s' }], '30s', { dir: scenarios }).id;
  });

  it('--force empties a used --out first: no stale scenario folder survives', async function () {
    const out = tempDir('out-force');
    mkdirSync(path.join(out, 'scenarios', 'stale-from-an-earlier-run'), { recursive: true });
    writeFileSync(path.join(out, 'report.json'), '{}');
    const r = await purple(['run', complete, '--scenarios', scenarios, '--out', out, '--force', '--quiet']);
    expect(r.exitCode, String(r.all)).to.equal(1);
    expect(readdirSync(path.join(out, 'scenarios'))).to.deep.equal([complete]);
    expect(readReport(out).scenarios.map((s) => s.id)).to.deep.equal([complete]);
  });

  it('writes the baseline after a complete run and says what it wrote', async function () {
    const baseline = path.join(tempDir('baseline-ok'), 'nested', 'baseline.json');
    const out = path.join(tempDir('baseline-ok-out'), 'run');
    const r = await purple(['run', complete, '--scenarios', scenarios, '--out', out, '--update-baseline', baseline, '--quiet']);
    expect(String(r.all)).to.include(`baseline ${baseline} updated from run ${readReport(out).run_id}: 1 scenario run(s), 1 missed`);
    expect(JSON.parse(readFileSync(baseline, 'utf8')).run_id).to.equal(readReport(out).run_id);
  });

  it('leaves the baseline alone after an incomplete run, unless --force', async function () {
    const baseline = path.join(tempDir('baseline-kept'), 'baseline.json');
    writeFileSync(baseline, '{"kept": true}');
    const out = path.join(tempDir('baseline-kept-out'), 'run');
    const r = await purple(['run', failing, '--scenarios', scenarios, '--out', out, '--update-baseline', baseline, '--quiet']);
    expect(r.exitCode, String(r.all)).to.equal(1);
    expect(String(r.all)).to.include(`baseline ${baseline} NOT updated: 1 scenario run(s) ended in error (add --force to write it anyway)`);
    expect(readFileSync(baseline, 'utf8')).to.equal('{"kept": true}');
    expect(existsSync(path.join(out, 'report.json')), 'the run itself is reported').to.equal(true);

    const forcedOut = path.join(tempDir('baseline-forced-out'), 'run');
    const forced = await purple(['run', failing, '--scenarios', scenarios, '--out', forcedOut, '--update-baseline', baseline, '--force', '--quiet']);
    expect(String(forced.all)).to.match(/updated from run .* \(forced although 1 scenario run\(s\) ended in error\)/);
    expect(JSON.parse(readFileSync(baseline, 'utf8')).run_id).to.equal(readReport(forcedOut).run_id);
  });
});
