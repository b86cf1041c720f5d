// `purple replay` end to end on this host: a real audit trail of a Python XOR archiver and look-alikes (recorded with
// our own keyed audit rule, removed afterwards), replayed with --root / through the compiled CLI.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Alert } from '../../detectors/types.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(repoRoot, 'dist/harness/cli/main.js');
const AUDIT_LOG = '/var/log/audit/audit.log';

const XOR_SCRIPT = `import os, sys
data = b''.join(open(p, 'rb').read() for p in sys.argv[2:])
key = os.urandom(256)
out = bytes(b ^ key[i % len(key)] for i, b in enumerate(data))
open(sys.argv[1], 'wb').write(len(data).to_bytes(8, 'little') + out)
`;
const ZIP_SCRIPT = `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for p in sys.argv[2:]: z.write(p)
`;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('purple replay (compiled CLI)', function () {
  this.timeout(60_000);
  const key = `purple-det-${process.pid}-${randomBytes(3).toString('hex')}`;
  const rule = ['-a', 'always,exit', '-F', 'arch=b64', '-S', 'execve,openat,open,creat', '-F', `ppid=${process.pid}`, '-k', key];
  let dir: string;
  let log: string;
  let ruleAdded = false;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'purple-replay-'));
    const docs = path.join(dir, 'docs');
    mkdirSync(docs);
    const docFiles = [1, 2, 3].map((i) => {
      const p = path.join(docs, `report-${i}.csv`);
      writeFileSync(p, `id,region,amount\n${Array.from({ length: 4000 }, (_, n) => `${n},r${n % 7},${(n * 37) % 1000}`).join('\n')}\n`);
      return p;
    });
    writeFileSync(path.join(dir, 'pack.py'), XOR_SCRIPT);
    writeFileSync(path.join(dir, 'zipit.py'), ZIP_SCRIPT);
    execFileSync('auditctl', rule);
    ruleAdded = true;
    const python = (args: string[]) => {
      const r = spawnSync('/usr/bin/python3', args, { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} exited ${r.status}`);
      return r.pid;
    };
    const children = [
      python([path.join(dir, 'pack.py'), path.join(dir, 'blob.dat'), ...docFiles]),
      python([path.join(dir, 'zipit.py'), path.join(dir, 'docs.zip'), ...docFiles]),
      python(['-c', `open('${dir}/notes.txt', 'w').write('plain text ' * 5000)`]),
    ];
    // Wait for the events to reach the log, then keep only our children's events (every record of each serial).
    // Select by pid and ppid rather than key: a concurrent `purple run` rule may match first and stamp its own key,
    // and earlier children of this test process may be in the log too.
    const ours = (l: string) => l.startsWith('type=SYSCALL') && l.includes(` ppid=${process.pid} `) && children.some((pid) => l.includes(` pid=${pid} `));
    let lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      lines = readFileSync(AUDIT_LOG, 'utf8').split('\n');
      if (lines.some((l) => l.includes(`name="${dir}/notes.txt"`))) break; // the last file created
      await new Promise((r) => setTimeout(r, 200));
    }
    const stampOf = (l: string) => /msg=audit\(([\d.:]+)\)/.exec(l)?.[1];
    const stamps = new Set(lines.filter(ours).map(stampOf));
    log = path.join(dir, 'audit.log');
    writeFileSync(log, lines.filter((l) => stamps.has(stampOf(l))).join('\n') + '\n');
  });

  after(() => {
    if (ruleAdded) execFileSync('auditctl', ['-d', ...rule.slice(1)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('with --root /: one AN1214 alert for the XOR archive, none for the zip or the text', () => {
    const r = cli(['replay', '--audit-log', log, '--root', '/', '--format', 'json']);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { alerts: Alert[]; stats: { content: { analysed: number }; engine: { detectors: Record<string, Record<string, number>> } } };
    expect(out.alerts.map((a) => [a.analytic, a.evidence.facts.path])).to.deep.equal([['AN1214', path.join(dir, 'blob.dat')]]);
    const alert = out.alerts[0]!;
    expect(alert.confidence).to.equal('high'); // the script read under --root shows the XOR
    expect(alert.summary).to.match(/^python3\.11 \(pid \d+, uid 0\) wrote .*blob\.dat: \d+ KB, no known header; entropy 7\.9\d bits\/byte \(script .*pack\.py, uses XOR\)$/);
    expect(out.stats.content.analysed).to.be.greaterThan(3);
    expect(out.stats.engine.detectors.AN1214!.standardHeader).to.equal(1);
    expect(out.stats.engine.detectors.AN1214!.lowEntropy).to.be.greaterThan(0);
  });

  it('without --root or artifacts: no alert, and the stats say content was missing', () => {
    const r = cli(['replay', '--audit-log', log, '--format', 'json']);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { alerts: Alert[]; stats: { engine: { detectors: Record<string, Record<string, number>> } } };
    expect(out.alerts).to.deep.equal([]);
    expect(out.stats.engine.detectors.AN1214!.noContent).to.equal(3);
  });

  it('--run DIR replays each saved scenario with its artifacts and context', () => {
    const sdir = path.join(dir, 'run/scenarios/an1214-python-xor');
    mkdirSync(sdir, { recursive: true });
    writeFileSync(path.join(sdir, 'audit.log'), readFileSync(log));
    const analysed = JSON.parse(cli(['replay', '--audit-log', log, '--root', '/', '--format', 'json']).stdout) as { alerts: Alert[] };
    writeFileSync(path.join(sdir, 'artifacts.json'), JSON.stringify(analysed.alerts[0]!.evidence.artifacts));
    writeFileSync(path.join(sdir, 'context.json'), JSON.stringify({ host: 'purple-victim', trusted_cidrs: ['10.9.0.0/16'] }));
    writeFileSync(path.join(sdir, 'flows.conntrack'), '[1700000000.000001]\tipv4 2 tcp 6 10 ESTABLISHED src=10.9.0.2 dst=10.9.0.3 sport=1 dport=22 packets=1 bytes=60 src=10.9.0.3 dst=10.9.0.2 sport=22 dport=1 packets=1 bytes=60 mark=0 use=1\n');
    const r = cli(['replay', '--run', path.join(dir, 'run'), '--format', 'json']);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { scenarios: { id: string; alerts: Alert[] }[] };
    expect(out.scenarios.map((s) => s.id)).to.deep.equal(['an1214-python-xor']);
    expect(out.scenarios[0]!.alerts.map((a) => [a.analytic, a.host])).to.deep.equal([['AN1214', 'purple-victim']]);
    const table = cli(['replay', '--run', path.join(dir, 'run'), '--format', 'table']);
    expect(table.stdout).to.contain('== an1214-python-xor').and.to.contain('AN1214').and.to.contain('T1560.003');
  });

  it('usage and configuration errors exit 2 and name the file and line', () => {
    const missing = cli(['replay', '--audit-log', '/nonexistent.log']);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.contain('cannot read audit log /nonexistent.log: ENOENT');
    const cfg = path.join(dir, 'bad.yaml');
    writeFileSync(cfg, 'analytics:\n  AN1214:\n    EntropyThreshold: lots\n');
    const bad = cli(['replay', '--audit-log', log, '--config', cfg]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain(`${cfg}:3:23: analytics.AN1214.EntropyThreshold: expected a number`);
    const art = path.join(dir, 'bad.json');
    writeFileSync(art, '[\n {"path": "/x",\n "time": }\n]');
    const badArt = cli(['replay', '--audit-log', log, '--artifacts', art]);
    expect(badArt.status).to.equal(2);
    expect(badArt.stderr).to.match(new RegExp(`${art}:3: not valid JSON`));
    expect(cli(['replay']).status).to.equal(2);
    expect(cli(['replay', '--audit-log', log, '--format', 'xml']).status).to.equal(2);
  });
});
