// A new detector is one file: its declared needs reach the audit rules purple loads, the doctor's blind-spot
// check, the live artifact collector and replay's content lookups, with nothing else touched. The toy is dropped
// into a copy of the built tree (never into this one) and exercised in a fresh node process there.
import { expect } from 'chai';
import { execa } from 'execa';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../run/helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** AN9999: alerts when a file under /srv/toy that somebody read holds the word "toy". One file, like any detector. */
const TOY = `
import { register } from './registry.js';

const analytic = {
  id: 'AN9999', name: 'Toy', stixId: 'x-mitre-analytic--toy', description: 'A toy analytic for tests.', url: null,
  platforms: ['Linux'], detectionStrategy: { id: 'DET9999', name: 'Toy', stixId: 'x-mitre-detection-strategy--toy' },
  techniques: [{ id: 'T0000', name: 'Toy' }], logSources: [], mutableElements: [],
};

export const detector = register({
  analytic,
  needs: {
    audit: [{ syscalls: ['unlinkat', 'unlink'], filters: ['success=1', 'uid>=1000'], why: 'toy: deletions by users' }],
    records: ['SYSCALL', 'PATH', 'TOY_RECORD'],
    content: { readUnder: ['/srv/toy'] },
    flows: false,
  },
  defaults: {},
  configure: () => ({}),
  create: () => ({
    push(item) {
      if (item.kind !== 'artifact' || !item.artifact.path.startsWith('/srv/toy/') || !item.artifact.text?.includes('toy')) return [];
      return [{
        analytic: 'AN9999', detectionStrategy: 'DET9999', technique: 'T0000', firstTime: item.artifact.time, time: item.artifact.time,
        host: item.artifact.host ?? null, summary: 'toy read ' + item.artifact.path, confidence: 'low',
        evidence: { eventIds: [], processChain: [], facts: {} },
      }];
    },
    flush: () => [],
    stats: () => ({}),
  }),
});
`;

/** One openat(O_RDONLY) of /srv/toy/secret by uid 1000, as auditd logs it. */
const AUDIT_LOG = [
  'type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=0 a3=0 items=1 ppid=1 pid=100 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=1 comm="cat" exe="/usr/bin/cat" key="purple-toy"',
  'type=CWD msg=audit(1700000000.123:42): cwd="/srv/toy"',
  'type=PATH msg=audit(1700000000.123:42): item=0 name="/srv/toy/secret" inode=1 dev=00:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0',
  'type=PROCTITLE msg=audit(1700000000.123:42): proctitle=636174',
  '',
].join('\n');

/** Run in the copy: what the harness derives from the detectors' needs, as JSON. */
const PROBE = `
import { readFileSync } from 'node:fs';
import { auditEvents } from './dist/harness/audit/index.js';
import { ruleArgs } from './dist/harness/collectors/audit-rules.js';
import { auditDemand } from './dist/harness/events/needs.js';
import { detectorNeeds } from './dist/detectors/engine.js';
import { newArtifactCollector } from './dist/harness/run/scenario-run.js';
import { replay } from './dist/detectors/replay.js';
import { auditBlindSpots } from './dist/harness/host/audit-blind-spots.js';
import { Readable } from 'node:stream';

const [log, root] = process.argv.slice(2);
const events = [];
for await (const e of auditEvents(Readable.from([readFileSync(log, 'utf8')]))) events.push(e);
const collector = newArtifactCollector('victim');
for (const e of events) collector.observe(e);
const replayed = await replay({ auditLog: log, root, host: 'victim', shared: { trustedCidrs: [], standardUsers: [] } });
console.log(JSON.stringify({
  rules: ruleArgs('purple-toy', detectorNeeds()).map((a) => a.join(' ')),
  demand: auditDemand(detectorNeeds()),
  blindSpots: auditBlindSpots('-a never,exit -F arch=b64 -S unlinkat -F uid=1000\\n-a always,exclude -F msgtype=TOY_RECORD', auditDemand(detectorNeeds())),
  collected: collector.selected,
  replay: { selected: replayed.stats.content.selected, analysed: replayed.stats.content.analysed, alerts: replayed.alerts.map((a) => a.summary) },
}));
`;

async function probe(tree: string, work: string): Promise<{
  rules: string[];
  demand: { syscalls: string[]; records: string[] };
  blindSpots: string[];
  collected: string[];
  replay: { selected: string[]; analysed: number; alerts: string[] };
}> {
  writeFileSync(path.join(tree, 'probe.mjs'), PROBE);
  const r = await execa('node', ['probe.mjs', path.join(work, 'audit.log'), path.join(work, 'root')], { cwd: tree, reject: false });
  if (r.exitCode !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('a toy detector in one file', function () {
  this.timeout(120_000);
  let work: string;
  let withToy: Awaited<ReturnType<typeof probe>>;
  let without: Awaited<ReturnType<typeof probe>>;

  before(async function () {
    work = tempDir('toy-detector');
    writeFileSync(path.join(work, 'audit.log'), AUDIT_LOG);
    mkdirSync(path.join(work, 'root/srv/toy'), { recursive: true });
    writeFileSync(path.join(work, 'root/srv/toy/secret'), 'a toy secret\n');
    const copy = (name: string, toy: boolean): string => {
      const tree = path.join(work, name);
      mkdirSync(tree);
      cpSync(path.join(repoRoot, 'dist'), path.join(tree, 'dist'), { recursive: true });
      for (const entry of ['package.json', 'node_modules', 'detectors', 'scenarios']) symlinkSync(path.join(repoRoot, entry), path.join(tree, entry));
      if (toy) writeFileSync(path.join(tree, 'dist/detectors/an9999-toy.js'), TOY);
      return tree;
    };
    [withToy, without] = await Promise.all([probe(copy('with', true), work), probe(copy('without', false), work)]);
  });

  it('its audit rule is loaded, and only with it', function () {
    const toyRule = '-a always,exit -F arch=b64 -S unlinkat,unlink -F success=1 -F uid>=1000 -k purple-toy';
    expect(withToy.rules).to.include(toyRule);
    expect(without.rules).to.not.include(toyRule);
    // Everything else is unchanged by the toy.
    expect(withToy.rules.filter((r) => r !== toyRule)).to.deep.equal(without.rules);
  });

  it('the doctor checks that host rules do not hide what it needs', function () {
    expect(withToy.demand.syscalls).to.include.members(['unlinkat', 'unlink']);
    expect(withToy.demand.records).to.include('TOY_RECORD');
    expect(withToy.blindSpots.join('\n')).to.match(/hides unlinkat/).and.to.match(/drops TOY_RECORD/);
    expect(without.blindSpots).to.deep.equal([]);
  });

  it('the live collector and replay both select the file it needs, and only with it', function () {
    expect(withToy.collected).to.deep.equal(['/srv/toy/secret']);
    expect(withToy.replay.selected).to.deep.equal(withToy.collected);
    expect(without.collected).to.deep.equal([]);
    expect(without.replay.selected).to.deep.equal([]);
  });

  it('replay reads that file under --root and the toy decides on it', function () {
    expect(withToy.replay.analysed).to.equal(1);
    expect(withToy.replay.alerts).to.deep.equal(['toy read /srv/toy/secret']);
    expect(without.replay.alerts).to.deep.equal([]);
  });
});
