import { expect } from 'chai';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCENARIOS_DIR, formatScenarioError, loadScenario, loadScenarios, payloadFile, requireScenarios, ScenarioLoadError, SHARED_PAYLOADS } from '../../harness/scenario/loader.js';
import { loadCatalog } from '../../harness/attack/catalog.js';
import type { ScenarioError } from '../../harness/scenario/types.js';
import { lineOf, TempScenarios } from './helpers.js';

const ids = (errors: ScenarioError[]) => errors.map(formatScenarioError).join('\n');

describe('scenario loader', () => {
  describe('the shipped scenarios', () => {
    const { scenarios, errors } = loadScenarios(DEFAULT_SCENARIOS_DIR);

    it('all load without errors', () => {
      expect(errors, ids(errors)).to.deep.equal([]);
      expect(scenarios.length).to.be.at.least(16);
    });

    it('cover every analytic of the catalog with emulations and benign twins', () => {
      for (const analytic of loadCatalog().keys()) {
        const mine = scenarios.filter((s) => s.analytic === analytic);
        expect(mine.some((s) => s.kind === 'emulation'), `${analytic} emulation`).to.equal(true);
        expect(mine.some((s) => s.kind === 'benign'), `${analytic} benign`).to.equal(true);
      }
    });

    it('name twins that are emulations of the same analytic, and expect accordingly', () => {
      const byId = new Map(scenarios.map((s) => [s.id, s]));
      for (const s of scenarios) {
        expect(s.expect[s.analytic]).to.equal(s.kind === 'emulation' ? 'alert' : 'no-alert');
        if (s.kind === 'benign') expect(byId.get(s.twinOf!)?.kind, s.id).to.equal('emulation');
        expect(s.telemetry.length, `${s.id} telemetry checks`).to.be.greaterThan(0);
      }
    });

    it('run the AN1170 transfers from cron, and the interactive twin on a TTY', () => {
      for (const s of scenarios.filter((x) => x.analytic === 'AN1170')) {
        const transfer = s.steps.at(-1)!;
        expect(transfer.launch, s.id).to.equal(s.id.includes('interactive') ? 'tty' : 'cron');
      }
    });

    it('keeps each step and scenario within its time budget', () => {
      for (const s of scenarios) for (const step of s.steps) expect(step.timeoutMs).to.be.at.most(s.timeoutMs);
    });

    it('every copy of a shared payload is identical (no drift between folders)', () => {
      const copies = new Map<string, Set<string>>();
      for (const s of scenarios)
        for (const step of s.steps)
          if ('script' in step.command) {
            const name = step.command.script;
            const set = copies.get(name) ?? new Set();
            set.add(readFileSync(payloadFile(s, name), 'utf8'));
            copies.set(name, set);
          }
      for (const [name, versions] of copies) expect(versions.size, `${name} differs between scenarios`).to.equal(1);
    });

    it('a payload used by several scenarios lives once, in the shared folder', () => {
      const users = new Map<string, Set<string>>();
      for (const s of scenarios)
        for (const step of [...s.steps, ...s.cleanup])
          if ('script' in step.command) users.set(step.command.script, (users.get(step.command.script) ?? new Set()).add(s.id));
      const shared = path.join(DEFAULT_SCENARIOS_DIR, SHARED_PAYLOADS);
      for (const [script, ids] of users) {
        if (ids.size < 2) continue;
        for (const s of scenarios.filter((x) => ids.has(x.id))) {
          expect(payloadFile(s, script), `${s.id} keeps its own copy of ${script}`).to.equal(path.join(shared, script));
        }
      }
      expect(readdirSync(shared).sort()).to.deep.equal(['ftplib-transfer.py', 'make-payload.sh', 'pad-binary.sh', 'scp-upload.sh', 'seed-documents.sh']);
    });

    it('host-capable scenarios put every path they write under {{workdir}}', () => {
      const writable = /(?<![}\w.])\/(home|tmp|var\/tmp|dev\/shm|usr\/local|srv|opt)\b/;
      for (const s of scenarios.filter((x) => x.platforms.includes('host'))) {
        const texts = [
          ...[...s.steps, ...s.cleanup].flatMap((st) => ('script' in st.command ? st.command.args : [st.command.run])),
          ...s.telemetry.flatMap((t) => Object.values(t).filter((v): v is string => typeof v === 'string')),
        ];
        for (const t of texts) expect(t, `${s.id}: ${t}`).to.not.match(writable);
        const pathInputs = s.inputs.filter((i) => i.type === 'path').map((i) => `{{${i.name}}}`);
        for (const t of texts) for (const ref of pathInputs) if (t.includes(ref)) expect(t, `${s.id}: ${t}`).to.include(`{{workdir}}${ref}`);
      }
    });

    it('requireScenarios returns the same list', () => {
      expect(requireScenarios(DEFAULT_SCENARIOS_DIR).map((s) => s.id)).to.deep.equal(scenarios.map((s) => s.id));
    });
  });

  describe('broken copies', () => {
    let tmp: TempScenarios;
    beforeEach(() => (tmp = new TempScenarios()));
    afterEach(() => tmp.remove());

    const only = (dir: string) => {
      const r = loadScenario(dir);
      expect(r.scenario).to.equal(null);
      return r.errors;
    };
    // Files under the working directory are shown relative to it, others (the temp folders) absolute.
    const file = (dir: string) => path.join(dir, 'scenario.yaml');

    it('a YAML syntax error names the file and line', () => {
      const dir = tmp.copy('an1214-python-xor-archive');
      const text = tmp.edit(dir, ['kind: emulation', 'kind: [emulation']);
      const errors = only(dir);
      expect(errors).to.have.length.greaterThan(0);
      expect(errors[0]!.file).to.equal(file(dir));
      expect(errors[0]!.message).to.match(/^YAML syntax/);
      expect(errors[0]!.line).to.be.within(lineOf(text, 'kind: [emulation'), lineOf(text, 'kind: [emulation') + 2);
    });

    it('an unknown field, at any level, names its line and the allowed fields', () => {
      const dir = tmp.copy('an1214-python-xor-archive');
      const text = tmp.edit(dir, ['    timeout: 60s\n  - name: XOR', '    timeout: 60s\n    retries: 3\n  - name: XOR'], ['kind: emulation', 'kind: emulation\nseverity: high']);
      const errors = only(dir);
      const step = errors.find((e) => e.field === 'steps[0].retries')!;
      expect(step, ids(errors)).to.not.equal(undefined);
      expect(step.line).to.equal(lineOf(text, 'retries: 3'));
      expect(step.message).to.match(/unknown field \(allowed here: name, container, user, launch/);
      const top = errors.find((e) => e.field === 'severity')!;
      expect(top.line).to.equal(lineOf(text, 'severity: high'));
      expect(formatScenarioError(step)).to.equal(`${file(dir)}:${step.line}: steps[0].retries: ${step.message}`);
    });

    it('a wrong enum value reads like the spec example', () => {
      const dir = tmp.copy('an1170-cron-scp-exfil');
      const text = tmp.edit(dir, ['launch: cron', 'launch: crontab']);
      const errors = only(dir);
      expect(errors.map(formatScenarioError)).to.include(
        `${file(dir)}:${lineOf(text, 'launch: crontab')}: steps[1].launch: must be one of exec, cron, tty (got "crontab")`,
      );
    });

    it('wrong types, missing fields and bad timeouts are all reported together', () => {
      const dir = tmp.copy('an1214-python-xor-archive');
      const text = tmp.edit(
        dir,
        ['platforms: [container, host]', 'platforms: container'],
        [/^name: .*\n/m, ''],
        [/^timeout: 120s$/m, 'timeout: soon'],
        ['default: 48', 'default: lots'],
      );
      const errors = only(dir);
      const by = (field: string) => errors.find((e) => e.field === field);
      expect(by('platforms')?.message, ids(errors)).to.equal('must be a list (got "container")');
      expect(by('platforms')?.line).to.equal(lineOf(text, 'platforms: container'));
      expect(by('name')?.message).to.equal('required field is missing');
      expect(by('timeout')?.message).to.match(/duration such as 30s/);
      expect(by('inputs.docs_kb.default')?.message).to.equal('expected an integer, got "lots"');
      expect(by('inputs.docs_kb.default')?.line).to.equal(lineOf(text, 'default: lots'));
    });

    it('a missing payload script lists the files that are there', () => {
      const dir = tmp.copy('an1214-perl-xor-archive');
      renameSync(path.join(dir, 'xor-archive.pl'), path.join(dir, 'archive.pl'));
      const errors = only(dir);
      const e = errors.find((x) => x.field === 'steps[1].script')!;
      expect(e.message).to.match(/no file xor-archive\.pl in .*\(files: archive\.pl, seed-documents\.sh\)/);
      expect(e.line).to.equal(lineOf(readFileSync(path.join(dir, 'scenario.yaml'), 'utf8'), 'script: xor-archive.pl'));
    });

    it('a payload that is not executable or has no shebang is refused', () => {
      const dir = tmp.copy('an1214-perl-xor-archive');
      chmodSync(path.join(dir, 'xor-archive.pl'), 0o644);
      expect(ids(only(dir))).to.match(/steps\[1\]\.script: xor-archive\.pl is not executable \(chmod \+x/);
    });

    it('a payload path escaping the folder is refused', () => {
      const dir = tmp.copy('an1214-perl-xor-archive');
      tmp.edit(dir, ['script: xor-archive.pl', 'script: ../an1214-perl-xor-archive/xor-archive.pl']);
      expect(ids(only(dir))).to.match(/steps\[1\]\.script: must be a file inside the scenario folder/);
    });

    it('an unknown {{input}} reference names the inputs that exist', () => {
      const dir = tmp.copy('an1529-padded-binary-exec');
      const text = tmp.edit(dir, ['"{{size_mb}}", "{{padding}}"]', '"{{size_gb}}", "{{padding}}"]'], ['user: "{{runner}}"', 'user: "{{sink}}"']);
      const errors = only(dir);
      const ref = errors.find((e) => e.field === 'steps[0].args[2]')!;
      expect(ref.message).to.equal('{{size_gb}}: no input named size_gb (inputs: size_mb, padding, drop_dir, runner; addresses: victim)');
      expect(ref.line).to.equal(lineOf(text, '{{size_gb}}'));
      expect(ids(errors)).to.match(/steps\[1\]\.user: \{\{sink\}\}: the sink container is not in containers/);
    });

    it('a bad analytic or technique names what the catalog has', () => {
      const dir = tmp.copy('an1214-bash-xor-archive');
      tmp.edit(dir, ['technique: T1560.003', 'technique: T1071.002']);
      expect(ids(only(dir))).to.match(/technique: T1071\.002 is not one AN1214 detects \(it detects: T1560\.003 Archive via Custom Method\)/);
      tmp.edit(dir, ['analytic: AN1214', 'analytic: AN9999'], ['AN1214: alert', 'AN9999: alert']);
      const errors = ids(only(dir));
      expect(errors).to.match(/analytic: AN9999 is not in the ATT&CK catalog \(known: AN1214, AN1529, AN1170\)/);
      expect(errors).to.match(/expect\.AN9999: AN9999 is not in the ATT&CK catalog/);
    });

    it('steps on a container the scenario does not start, and expectations without its own analytic', () => {
      const dir = tmp.copy('an1170-cron-scp-exfil');
      tmp.edit(dir, ['containers: [victim, sink]', 'containers: [victim]'], ['  AN1170: alert', '  AN1214: no-alert']);
      const errors = ids(only(dir));
      expect(errors).to.match(/steps\[1\]\.args\[1\]: \{\{sink\}\}: the sink container is not in containers/);
      expect(errors).to.match(/telemetry\[1\]\.connect\.to: sink is not in containers \(victim\)/);
      expect(errors).to.match(/expect: must state the expectation for the scenario's own analytic AN1170/);
    });

    it('an id different from its folder, and kind/twin mismatches', () => {
      const dir = tmp.copy('an1214-benign-tar-backup', 'tar-copy');
      tmp.edit(dir, ['twin_of: an1214-bash-xor-archive', 'twin_of: null']);
      const errors = ids(only(dir));
      expect(errors).to.match(/tar-copy\/scenario\.yaml:1: id: must equal the folder name "tar-copy"/);
      expect(errors).to.match(/twin_of: a benign scenario must name the emulation it looks like/);
    });

    it('twin_of naming a missing scenario and duplicate step names are caught across the folder', () => {
      tmp.copy('an1214-bash-xor-archive');
      const benign = tmp.copy('an1214-benign-tar-backup');
      const orphan = tmp.copy('an1214-benign-python-zip');
      tmp.edit(benign, ['name: back up the documents with tar and gzip', 'name: seed the documents']);
      const { scenarios, errors } = loadScenarios(tmp.root);
      expect(ids(errors)).to.match(/an1214-benign-python-zip\/scenario\.yaml:\d+: twin_of: no scenario an1214-python-xor-archive in /);
      expect(ids(errors)).to.match(/an1214-benign-tar-backup\/scenario\.yaml:\d+: steps\[1\]\.name: duplicate step name "seed the documents"/);
      expect(scenarios.map((s) => s.id)).to.deep.equal(['an1214-bash-xor-archive']);
      expect(() => requireScenarios(tmp.root)).to.throw(ScenarioLoadError, /twin_of/);
      void orphan;
    });

    it('a folder without scenario.yaml, or a document that is not a mapping', () => {
      mkdirSync(path.join(tmp.root, 'empty'));
      const dir = tmp.copy('an1529-benign-user-binary');
      tmp.write(dir, '- just\n- a list\n');
      const { errors } = loadScenarios(tmp.root);
      expect(ids(errors)).to.match(/empty\/scenario\.yaml: missing scenario\.yaml/);
      expect(ids(errors)).to.match(/an1529-benign-user-binary\/scenario\.yaml:1: must be a mapping of fields/);
    });

    it('one broken file does not hide the others', () => {
      tmp.copy('an1529-padded-binary-exec');
      const broken = tmp.copy('an1529-padded-binary-read');
      tmp.edit(broken, ['kind: emulation', 'kind: attack']);
      const { scenarios, errors } = loadScenarios(tmp.root);
      expect(scenarios.map((s) => s.id)).to.deep.equal(['an1529-padded-binary-exec']);
      expect(errors).to.have.length(1);
      expect(errors[0]!.field).to.equal('kind');
    });

    it('inputs: enum without values, default outside its range, min/max on a string', () => {
      const dir = tmp.copy('an1529-padded-binary-exec');
      const text = tmp.edit(
        dir,
        ['values: [random, zero], ', ''],
        ['default: 24, min: 1', 'default: 240, min: 1'],
        ['default: /tmp/.cache,', 'default: /tmp/.cache, min: 3,'],
      );
      const errors = only(dir);
      expect(ids(errors)).to.match(/inputs\.padding: an enum input lists its allowed values/);
      const range = errors.find((e) => e.field === 'inputs.size_mb.default')!;
      expect(range.message).to.equal('240 is above the maximum 128');
      expect(range.line).to.equal(lineOf(text, 'default: 240'));
      expect(ids(errors)).to.match(/inputs\.drop_dir\.min: min\/max only apply to integer and size inputs, not path/);
    });

    it('telemetry checks: one kind per item, known formats, parseable sizes', () => {
      const dir = tmp.copy('an1529-padded-binary-exec');
      tmp.edit(dir, ['format: elf, min_size: "{{size_mb}}MB"', 'format: exe, min_size: "{{size_mb}} parsecs"'], ['  - {execve:', '  - {flow: {to: victim, min_bytes: 1}, execve:']);
      const errors = ids(only(dir));
      expect(errors).to.match(/telemetry\[0\]\.file\.format: unknown format exe/);
      expect(errors).to.match(/telemetry\[0\]\.file\.min_size: expected a size .* \(with the input defaults\)/);
      expect(errors).to.match(/telemetry\[1\]: must name exactly one of execve, connect, flow, file, open \(got flow, execve\)/);
    });

    it('duplicate YAML keys are a syntax error', () => {
      const dir = tmp.copy('an1529-benign-user-binary');
      tmp.edit(dir, ['kind: benign', 'kind: benign\nkind: emulation']);
      expect(ids(only(dir))).to.match(/:\d+: YAML syntax: Map keys must be unique/);
    });

    it('a file where the folder should be is an error, not a crash', () => {
      const dir = tmp.copy('an1529-benign-user-binary');
      const { errors } = loadScenarios(path.join(dir, 'scenario.yaml'));
      expect(ids(errors)).to.match(/scenario\.yaml: is not a folder of scenarios/);
    });

    it('an empty folder of scenarios is not an error', () => {
      expect(loadScenarios(tmp.root)).to.deep.equal({ scenarios: [], errors: [] });
      rmSync(tmp.root, { recursive: true });
      expect(loadScenarios(tmp.root)).to.deep.equal({ scenarios: [], errors: [] });
      mkdirSync(tmp.root);
    });
  });
});
