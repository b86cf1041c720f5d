// A hostile target cannot reach the harness host through the files purple reads (issue 13), tried for real:
// a scenario whose step creates /tmp/d/<name>, then swaps /tmp/d for a symlink to the host's /etc (where a
// root-only file of that name holds a marker) or to /proc, and makes a 6 GB sparse file. The run must
// end within its deadline plus a small margin, no byte of the host file may appear in anything it writes, and
// each refused or sampled read is recorded with its reason, which the telemetry check shows. Then the same
// files under `purple replay --root`.
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import type { FileArtifact } from '../../harness/telemetry/types.js';
import { purple, readReport, tempDir } from '../run/helpers.js';

const MARKER = `purple-host-secret-${randomBytes(12).toString('hex')}`;
const NAME = `purple-leak-${randomBytes(6).toString('hex')}`;
const HOST_FILE = `/etc/${NAME}`;
const BIG = 6 * 1024 ** 3;

function hostileScenario(): { dir: string; id: string } {
  const id = `hostile-reads-${randomBytes(3).toString('hex')}`;
  const dir = tempDir('hostile-scenarios');
  mkdirSync(path.join(dir, id));
  const step = [
    `mkdir /tmp/d && echo x > /tmp/d/${NAME} && rm -rf /tmp/d && ln -s /etc /tmp/d`,
    'mkdir /tmp/p && echo x > /tmp/p/kmsg && rm -rf /tmp/p && ln -s /proc /tmp/p',
    'truncate -s 6G /tmp/big',
  ].join(' && ');
  writeFileSync(
    path.join(dir, id, 'scenario.yaml'),
    `id: ${id}
name: "Hostile target: symlinked parents, /proc and a 6 GB file"
description: A throw-away scenario written by a test; its files try to make purple read the harness host.
analytic: AN1214
technique: T1560.003
kind: emulation
platforms: [container]
requires: []
containers: [victim]
steps:
  - name: plant
    container: victim
    user: root
    run: ${JSON.stringify(step)}
    timeout: 15s
timeout: 30s
expect:
  AN1214: alert
telemetry:
  - {file: {created_in: /tmp/d, min_size: 1}}
`,
  );
  return { dir, id };
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (readFileSync(file).includes(needle)) hits.push(file);
  }
  return hits;
}

describe('a hostile target cannot make purple read the harness host', function () {
  let out: string;
  let seconds: number;
  let artifacts: FileArtifact[];
  let runOutput: string;

  before(async function () {
    writeFileSync(HOST_FILE, `${MARKER}\n`, { mode: 0o600 });
    chmodSync(HOST_FILE, 0o600);
    const { dir } = hostileScenario();
    out = tempDir('hostile-run');
    const started = Date.now();
    const r = await purple(['run', '--scenarios', dir, '--out', out, '--quiet'], { timeout: 180_000 });
    seconds = (Date.now() - started) / 1000;
    runOutput = String(r.all);
    const scenarioDir = path.join(out, 'scenarios', readdirSync(path.join(out, 'scenarios'))[0]!);
    artifacts = JSON.parse(readFileSync(path.join(scenarioDir, 'artifacts.json'), 'utf8')) as FileArtifact[];
  });
  after(function () {
    rmSync(HOST_FILE, { force: true });
  });

  it('ends within the scenario deadline plus a small margin (no read blocks or hashes 6 GB)', function () {
    // 30 s scenario deadline; containers start and stop around it.
    expect(seconds, runOutput).to.be.below(30 + 45);
  });

  it('writes no byte of the host file anywhere in its output', function () {
    expect(filesContaining(out, MARKER)).to.deep.equal([]);
    expect(runOutput).to.not.include(MARKER);
  });

  it('records each refused read with its reason, and the telemetry check shows it', function () {
    const byPath = new Map(artifacts.map((a) => [a.path, a]));
    expect(byPath.get(`/tmp/d/${NAME}`)?.unread, JSON.stringify(artifacts, null, 1)).to.equal('not read: /tmp/d is a symlink (not followed)');
    expect(byPath.get('/tmp/p/kmsg')?.unread).to.equal('not read: /tmp/p is a symlink (not followed)');
    const report = readReport(out);
    const check = report.scenarios[0]!.telemetry.checks.find((c) => c.description.startsWith('file created in /tmp/d'));
    expect(check?.satisfied).to.equal(false);
    expect(check?.description).to.include(`content not read: /tmp/d/${NAME}: not read: /tmp/d is a symlink (not followed)`);
  });

  it('measures a 6 GB file from fstat and a bounded sample, saying so', function () {
    const big = artifacts.find((a) => a.path === '/tmp/big');
    expect(big, JSON.stringify(artifacts, null, 1)).to.not.equal(undefined);
    expect(big!.size).to.equal(BIG);
    expect(big!.unread).to.equal(undefined);
    expect(big!.sampled).to.match(/^6442450944 bytes is more than the 16777216-byte read limit/);
    expect(big!.sha256).to.equal(null);
    expect(big!.entropy).to.equal(0);
  });

  it('replay --root applies the same rules to a recorded root', async function () {
    const root = tempDir('hostile-root');
    mkdirSync(path.join(root, 'tmp'));
    symlinkSync('/etc', path.join(root, 'tmp/d'));
    symlinkSync('/proc', path.join(root, 'tmp/p'));
    symlinkSync('/etc', path.join(root, 'etc')); // passwd of the host must not be used either
    await execa('truncate', ['-s', '6G', path.join(root, 'tmp/big')]);
    const scenarioDir = path.join(out, 'scenarios', readdirSync(path.join(out, 'scenarios'))[0]!);
    const started = Date.now();
    const r = await purple(['replay', '--audit-log', path.join(scenarioDir, 'audit.log'), '--root', root, '--format', 'json'], { timeout: 120_000 });
    const took = (Date.now() - started) / 1000;
    expect(took, String(r.all)).to.be.below(30);
    expect(String(r.all)).to.not.include(MARKER);
    const stats = (JSON.parse(String(r.stdout)) as { stats: { content: { analysed: number; unread: number; missing: number } } }).stats.content;
    expect(stats.unread, String(r.stdout)).to.be.at.least(2); // /tmp/d/<name>, /tmp/p/kmsg
    expect(stats.analysed).to.be.at.least(1); // /tmp/big, sampled
    expect(statSync(path.join(root, 'tmp/big')).size).to.equal(BIG);
  });
});
