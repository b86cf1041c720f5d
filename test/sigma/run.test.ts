// A real run (Docker, auditd) with a team's own Sigma rule, an external detector written here, and every public
// SigmaHQ Linux rule: the team rule and the detector are detected on their emulation and quiet on its twin, the
// harness's own processes never reach them, and replaying the saved run gives the same rule alerts.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { purple, readReport, tempDir } from '../run/helpers.js';
import { sigmaRulesDir } from '../shared-data.js';
import { loadReport } from '../../reports/schema.js';

const TEAM_RULE = `title: Team rule - Python XOR archiver
id: 6f1c2a9e-0d4b-4c1e-9a77-2b8f3c4d5e61
status: experimental
description: python3 running the XOR archiver our red team uses
author: Blue Team
references:
  - https://example.org/blue/xor
tags:
  - attack.collection
  - attack.t1560.003
logsource:
  product: linux
  category: process_creation
detection:
  selection:
    Image|contains: '/python3'
    CommandLine|contains: 'xor-archive.py'
  condition: selection
level: high
`;

const DETECTOR = `import readline from 'node:readline';
for await (const line of readline.createInterface({ input: process.stdin })) {
  const m = JSON.parse(line);
  if (m.kind === 'event' && m.event.syscall === 'execve' && m.event.process.argv.some((a) => a.endsWith('xor-archive.py')))
    console.log(JSON.stringify({ id: 'xor-' + m.event.id, title: 'XOR archiver', techniques: ['T1560.003'], summary: 'ran ' + m.event.process.argv.join(' '), eventIds: [m.event.id] }));
}
`;

const EMULATION = 'an1214-python-xor-archive';
const TWIN = 'an1214-benign-python-zip';
const TEAM_KEY = 'sigma:6f1c2a9e-0d4b-4c1e-9a77-2b8f3c4d5e61';

describe('bring your own detections: a real run', function () {
  this.timeout(600_000);
  const dir = tempDir('byod');
  const rules = path.join(dir, 'team-rules');
  const out = path.join(dir, 'run');
  const detector = path.join(dir, 'xor-detector.mjs');
  let report: ReturnType<typeof readReport>;
  let stdout = '';

  before(async () => {
    process.env.PURPLE_CACHE_DIR ??= '/work/main/.cache/purple';
    mkdirSync(rules);
    writeFileSync(path.join(rules, 'team_python_xor.yml'), TEAM_RULE);
    writeFileSync(detector, DETECTOR);
    const r = await purple(['run', EMULATION, TWIN, 'an1170-cron-scp-exfil', '--rules', rules, '--rules', sigmaRulesDir, '--detector', `node ${detector}`, '--out', out]);
    stdout = String(r.all ?? '');
    expect(existsSync(path.join(out, 'report.json')), stdout).to.equal(true);
    report = readReport(out);
  });

  const verdict = (scenario: string, key: string) => report.scenarios.find((s) => s.id === scenario)!.ruleVerdicts!.find((v) => v.key === key);

  it("scores the team's rule and the external detector: detected on the emulation, quiet on its twin", () => {
    expect(verdict(EMULATION, TEAM_KEY)).to.include({ verdict: 'detected' });
    expect(verdict(EMULATION, TEAM_KEY)!.steps).to.deep.equal(['XOR-archive the documents with python']);
    expect(verdict(TWIN, TEAM_KEY)).to.include({ verdict: 'quiet' });
    expect(verdict(EMULATION, 'detector:xor-detector.mjs')).to.include({ verdict: 'detected' });
    expect(verdict(TWIN, 'detector:xor-detector.mjs')).to.include({ verdict: 'quiet' });
    expect(verdict('an1170-cron-scp-exfil', TEAM_KEY)).to.equal(undefined);
  });

  it('every rule alert comes from a step, never from the harness (wrappers, cron restarts, polling, cleanup)', () => {
    const alerts = report.scenarios.flatMap((s) => s.ruleAlerts ?? []);
    expect(alerts.length).to.be.greaterThan(1);
    for (const a of alerts) {
      expect(a.step, a.summary).to.be.a('string');
      expect(a.step!.startsWith('cleanup'), a.summary).to.equal(false);
      expect(JSON.stringify(a.evidence.facts)).to.not.match(/purple-step|\/var\/log\/purple|pkill -x cron/);
    }
  });

  it('shows which rule caught which scenario, with attribution, in every output', () => {
    expect(stdout).to.match(/your rules: 1 of 1 AN1214 emulation caught, \d+ false alarms?/);
    // The terminal's short attribution: title, level, author, first reference (all of them: rules.md, rules.html).
    expect(stdout).to.match(/detected\s+an1214-python-xor-archive: "Team rule - Python XOR archiver"; high; by Blue Team; ref https:\/\/example.org\/blue\/xor/);
    expect(report.rules!.lint.ok).to.equal(218);
    loadReport(path.join(out, 'report.json')); // valid against report.schema.json
    const md = readFileSync(path.join(out, 'rules.md'), 'utf8');
    expect(md).to.match(/\| Team rule - Python XOR archiver \| detected \| quiet \|/);
    expect(readFileSync(path.join(out, 'rules.html'), 'utf8')).to.contain('Blue Team');
    expect(readFileSync(path.join(out, 'rules-junit.xml'), 'utf8')).to.contain(`classname="${TEAM_KEY}"`);
    const layer = JSON.parse(readFileSync(path.join(out, 'rules-attack-layer.json'), 'utf8'));
    expect(layer.techniques.find((t: { techniqueID: string }) => t.techniqueID === 'T1560.003').color).to.equal('#8ec843');
    const saved = JSON.parse(readFileSync(path.join(out, 'scenarios', EMULATION, 'alerts.json'), 'utf8')) as { source: string; rule?: { title: string } }[];
    expect([...new Set(saved.map((a) => a.source))].sort()).to.include.members(['builtin', 'detector', 'sigma']);
  });

  it('replaying the saved run gives the same rule alerts', async () => {
    const r = await purple(['replay', '--run', out, '--rules', rules, '--detector', `node ${detector}`, '--no-builtin', '--format', 'json']);
    expect(r.exitCode, String(r.all)).to.equal(0);
    const replayed = JSON.parse(String(r.stdout)) as { scenarios: { id: string; alerts: unknown[]; ruleAlerts: { source: string; id: string; step: string | null }[] }[] };
    const emulation = replayed.scenarios.find((s) => s.id === EMULATION)!;
    const live = report.scenarios.find((s) => s.id === EMULATION)!.ruleAlerts!.filter((a) => a.rule?.id === TEAM_KEY.slice(6) || a.source === 'detector');
    expect(emulation.alerts).to.deep.equal([]);
    expect(emulation.ruleAlerts.map((a) => [a.source, a.step]).sort()).to.deep.equal(live.map((a) => [a.source, a.step]).sort());
    expect(replayed.scenarios.find((s) => s.id === TWIN)!.ruleAlerts).to.deep.equal([]);
  });

  it('purple rules lint: ok, unsupported with the reason, invalid with file and line (exit 2)', async () => {
    const ok = await purple(['rules', 'lint', sigmaRulesDir, '--format', 'json']);
    expect(ok.exitCode).to.equal(0);
    expect(JSON.parse(String(ok.stdout)).counts).to.deep.equal({ ok: 217, unsupported: 31, invalid: 0 });
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, 'title: bad\nlogsource: {product: linux, category: process_creation}\ndetection:\n  sel: {Image|endwith: /nc}\n  condition: sel\n');
    const r = await purple(['rules', 'lint', bad, '--format', 'table']);
    expect(r.exitCode).to.equal(2);
    expect(String(r.stdout)).to.match(/invalid/).and.to.match(/bad\.yml:4/).and.to.match(/unknown value modifier \|endwith/);
    const run = await purple(['run', EMULATION, '--rules', bad]);
    expect(run.exitCode).to.equal(2);
    expect(String(run.all)).to.match(/bad\.yml:4: invalid/);
    expect((await purple(['rules', 'lint', path.join(dir, 'nope')])).exitCode).to.equal(2);
  });
});
