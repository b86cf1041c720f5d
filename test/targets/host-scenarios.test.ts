// What the loader requires of a scenario that declares `platforms: [..., host]`: only the victim
// role, no cron launches, and {{workdir}} a known template name that no input may take.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DEFAULT_SCENARIOS_DIR, SHARED_PAYLOADS, formatScenarioError, loadScenarios } from '../../harness/scenario/loader.js';

const BASE = 'an1529-benign-user-binary';
const TWIN = 'an1529-padded-binary-exec';

describe('host-capable scenarios in the loader', function () {
  let root: string;
  beforeEach(function () {
    root = mkdtempSync(path.join(os.tmpdir(), 'purple-host-scenarios-'));
    // The shared payload folder goes along: the scenarios' steps name its scripts.
    for (const id of [BASE, TWIN, SHARED_PAYLOADS]) cpSync(path.join(DEFAULT_SCENARIOS_DIR, id), path.join(root, id), { recursive: true });
  });
  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });
  const file = () => path.join(root, BASE, 'scenario.yaml');
  const rewrite = (edit: (yaml: string) => string) => writeFileSync(file(), edit(readFileSync(file(), 'utf8')));
  const errors = () => loadScenarios(root).errors.map(formatScenarioError);

  it('loads the shipped scenario, whose paths use {{workdir}}', function () {
    expect(errors()).to.deep.equal([]);
    expect(readFileSync(file(), 'utf8')).to.include('{{workdir}}');
  });

  it('refuses a cron step in a host-capable scenario, saying why', function () {
    rewrite((y) => y.replace('    user: alice\n    run: "{{workdir}}/home/alice/bin/whoami-tool"', '    user: alice\n    launch: cron\n    run: "{{workdir}}/home/alice/bin/whoami-tool"'));
    expect(readFileSync(file(), 'utf8')).to.include('launch: cron');
    const found = errors();
    expect(found.some((e) => /platforms: host: steps\[1\] is launched by cron.*never on a host/.test(e)), found.join('\n')).to.equal(true);
  });

  it('refuses roles other than victim in a host-capable scenario', function () {
    rewrite((y) => y.replace('containers: [victim]', 'containers: [victim, sink]'));
    const found = errors();
    expect(found.some((e) => /platforms: host: a host target has only the victim role, but containers lists sink/.test(e)), found.join('\n')).to.equal(true);
  });

  it('accepts the same changes once host is dropped from platforms', function () {
    rewrite((y) => y.replace('platforms: [container, host]', 'platforms: [container]').replace('containers: [victim]', 'containers: [victim, sink]'));
    expect(errors()).to.deep.equal([]);
  });

  it('reserves workdir as a template name', function () {
    rewrite((y) => y.replace('containers: [victim]', 'inputs:\n  workdir: {type: string, default: x, description: clash}\ncontainers: [victim]'));
    const found = errors();
    expect(found.some((e) => e.includes('workdir is reserved for the work dir prefix')), found.join('\n')).to.equal(true);
  });
});
