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

describe('purple list', () => {
  const shipped = loadScenarios(DEFAULT_SCENARIOS_DIR).scenarios;

  it('prints every scenario with kind, twin, analytic, technique name and platforms', () => {
    const r = purple('list');
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

  it('an unknown option is a usage error', () => {
    const r = purple('list', '--colour');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/Unknown option '--colour'[\s\S]*usage: purple list/);
  });
});
