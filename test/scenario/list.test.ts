import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../../harness/attack/catalog.js';
import { DEFAULT_SCENARIOS_DIR, loadScenarios } from '../../harness/scenario/loader.js';
import { lineOf, TempScenarios } from './helpers.js';

const CLI = fileURLToPath(new URL('../../harness/cli/main.js', import.meta.url));
const purple = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
const purpleAt = (columns: number, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: String(columns), NO_COLOR: '1' } });

describe('purple list', () => {
  const shipped = loadScenarios(DEFAULT_SCENARIOS_DIR).scenarios;

  it('prints every scenario with kind, twin, analytic, technique name and platforms', () => {
    // Wide enough for the full layout (issue 17: the list fits $COLUMNS, 80 by default, by dropping details).
    const r = purpleAt(200, 'list');
    expect(r.status, r.stderr).to.equal(0);
    for (const s of shipped) {
      const row = r.stdout.split('\n').find((l) => l.includes(` ${s.id} `));
      expect(row, s.id).to.not.equal(undefined);
      const technique = loadCatalog().get(s.analytic)!.techniques.find((t) => t.id === s.technique)!;
      expect(row).to.include(`${s.technique} ${technique.name}`);
      expect(row).to.include(s.analytic);
      expect(row).to.include(s.kind === 'benign' ? `benign (twin of ${s.twinOf})` : 'emulation');
      expect(row).to.include(s.platforms.join(', '));
    }
    expect(r.stdout).to.match(new RegExp(`${shipped.length} scenarios: \\d+ emulation, \\d+ benign`));
    expect(r.stdout).to.not.match(/\x1b\[/); // no colours when stdout is not a terminal
  });

  it('--json gives the same list with catalog names', () => {
    const r = purple('list', '--json');
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.errors).to.deep.equal([]);
    expect(out.scenarios.map((s: { id: string }) => s.id)).to.deep.equal(shipped.map((s) => s.id));
    const scp = out.scenarios.find((s: { id: string }) => s.id === 'an1170-cron-scp-exfil');
    expect(scp.technique).to.deep.equal({ id: 'T1071.002', name: 'File Transfer Protocols' });
    expect(scp.analytic.detectionStrategy).to.equal(loadCatalog().get('AN1170')!.detectionStrategy.id);
    expect(scp.inputs[0]).to.deep.include({ name: 'size_mb', type: 'integer', default: 20 });
  });

  describe('with other folders', () => {
    let tmp: TempScenarios;
    beforeEach(() => (tmp = new TempScenarios()));
    afterEach(() => tmp.remove());

    it('an empty folder prints a friendly empty result', () => {
      const r = purple('list', '--scenarios', tmp.root);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^No scenarios in .*A scenario is a folder <id>\/ holding scenario\.yaml/);
      const j = purple('list', '--json', '--scenarios', tmp.root);
      expect(JSON.parse(j.stdout)).to.deep.equal({ scenarios: [], errors: [] });
      const missing = purple('list', '--scenarios', path.join(tmp.root, 'nowhere'));
      expect(missing.status).to.equal(0);
    });

    it('a broken file is reported with file:line, the others still listed, exit 2', () => {
      tmp.copy('an1529-padded-binary-exec');
      const broken = tmp.copy('an1170-cron-scp-exfil');
      const text = tmp.edit(broken, ['launch: cron', 'launch: crontab']);
      mkdirSync(path.join(tmp.root, 'stray'));
      const r = purple('list', '--scenarios', tmp.root);
      expect(r.status).to.equal(2);
      expect(r.stdout).to.include('an1529-padded-binary-exec');
      expect(r.stdout).to.not.include('an1170-cron-scp-exfil');
      expect(r.stderr).to.include(`${path.join(broken, 'scenario.yaml')}:${lineOf(text, 'crontab')}: steps[1].launch: must be one of exec, cron, tty (got "crontab")`);
      expect(r.stderr).to.match(/stray\/scenario\.yaml: missing scenario\.yaml/);
      expect(r.stderr).to.match(/2 problems in scenario files/);
    });
  });

  it('an unknown option is a usage error, with a suggestion instead of the whole help', () => {
    const r = purple('list', '--analytc', 'AN1214');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('purple list: unknown option --analytc (did you mean --analytic?)');
    expect(r.stderr).to.not.include('usage: purple list');
  });

  it('fits the width: no line longer than $COLUMNS, every scenario still listed', () => {
    for (const columns of [80, 60]) {
      const r = purpleAt(columns, 'list');
      expect(r.status, r.stderr).to.equal(0);
      for (const line of r.stdout.split('\n')) expect([...line].length, line).to.be.at.most(columns);
      for (const s of shipped) expect(r.stdout).to.match(new RegExp(` ${s.id.slice(0, 20)}`));
    }
  });

  it('filters by analytic, technique (with sub-techniques), tactic and kind; suggests on a typo', () => {
    const ids = (...args: string[]) => {
      const r = purpleAt(200, 'list', '--json', ...args);
      expect(r.status, r.stderr).to.equal(0);
      return (JSON.parse(r.stdout).scenarios as { id: string }[]).map((s) => s.id);
    };
    expect(ids('--analytic', 'AN1529')).to.deep.equal(shipped.filter((s) => s.analytic === 'AN1529').map((s) => s.id));
    expect(ids('--technique', 'T1560')).to.deep.equal(shipped.filter((s) => s.technique.startsWith('T1560.')).map((s) => s.id));
    const tactic = loadCatalog().get('AN1170')!.techniques[0]!.tactics[0]!;
    expect(ids('--tactic', tactic)).to.deep.equal(shipped.filter((s) => s.analytic === 'AN1170').map((s) => s.id));
    expect(ids('--kind', 'benign', '--analytic', 'an1214')).to.deep.equal(shipped.filter((s) => s.kind === 'benign' && s.analytic === 'AN1214').map((s) => s.id));
    const bad = purple('list', '--analytic', 'AN1241');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('--analytic AN1241: unknown (did you mean AN1214?)');
  });

  it('purple show ID prints description, inputs with defaults, steps, expectations and telemetry checks', () => {
    const r = purpleAt(80, 'show', 'an1170-cron-scp-exfil');
    expect(r.status, r.stderr).to.equal(0);
    for (const line of r.stdout.split('\n')) expect([...line].length, line).to.be.at.most(80);
    const text = r.stdout.replace(/\n\s+/g, ' ');
    expect(text).to.include('size_mb = 20 (integer');
    expect(text).to.include('cron job uploads it with scp');
    expect(text).to.include('AN1170: alert expected');
    expect(text).to.include('execve of scp as alice, tty none, under cron');
    const typo = purple('show', 'an1170-cron-scp-exfl');
    expect(typo.status).to.equal(2);
    expect(typo.stderr).to.include('did you mean an1170-cron-scp-exfil?');
  });
});
