import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { analytic } from '../../harness/attack/catalog.js';
import type { RunReport } from '../../harness/run/results.js';
import { isIP } from 'node:net';
import { stableGuid } from '../../reports/attire.js';
import {
  compareWithBaseline,
  exitCodeFor,
  exitReasons,
  loadReport,
  renderAttire,
  renderJson,
  renderJUnit,
  renderMarkdown,
  renderNavigatorLayer,
  renderQuiet,
  renderTerminal,
  scenarioChanges,
  validateReport,
  withBaseline,
  writeRunOutputs,
} from '../../reports/index.js';
import { HOSTILE_COMMAND, makeBaselineReport, makeMultiTargetReport, makeReport, makeScenarios } from './factory.js';

function reportWithBaseline(): RunReport {
  return withBaseline(makeReport(), makeBaselineReport(), 'reports/runs/20260301-090000-0000');
}

function passingReport(): RunReport {
  const scenarios = makeScenarios().filter((s) => s.id === 'archive-xor-python' || s.id === 'binary-padding-benign');
  return makeReport({ scenarios });
}

describe('reports: report.json and its schema', () => {
  it('a rendered report validates against reports/report.schema.json', () => {
    const text = renderJson(reportWithBaseline());
    expect(validateReport(JSON.parse(text))).to.deep.equal([]);
    expect(JSON.parse(text).scenarios).to.have.length(10);
  });

  it('names the JSON pointer of a missing required field', () => {
    const obj = JSON.parse(renderJson(makeReport())) as Record<string, unknown>;
    delete obj.run_id;
    const scenarios = obj.scenarios as Record<string, unknown>[];
    delete scenarios[2]!.latency_ms;
    const alerts = scenarios[0]!.alerts as Record<string, unknown>[];
    delete alerts[0]!.evidence;
    const pointers = validateReport(obj).map((e) => e.pointer);
    expect(pointers).to.include.members(['/run_id', '/scenarios/2/latency_ms', '/scenarios/0/alerts/0/evidence']);
  });

  it('catches misnamed fields and bad enum values', () => {
    const obj = JSON.parse(renderJson(makeReport()));
    obj.scenarios[1].latencyMs = obj.scenarios[1].latency_ms;
    delete obj.scenarios[1].latency_ms;
    obj.scenarios[3].verdict = 'false_alarm';
    obj.scenarios[4].kind = 'benign-twin';
    const errors = validateReport(obj);
    const byPointer = new Map(errors.map((e) => [e.pointer, e.message]));
    expect(byPointer.get('/scenarios/1/latencyMs')).to.match(/not a report field/);
    expect(byPointer.get('/scenarios/1/latency_ms')).to.match(/required/);
    expect(byPointer.get('/scenarios/3/verdict')).to.match(/"false-alarm"/);
    expect(byPointer.get('/scenarios/4/kind')).to.match(/"emulation", "benign"/);
  });

  it('rejects a bad timestamp and a latency on the wrong type', () => {
    const obj = JSON.parse(renderJson(makeReport()));
    obj.started = 'yesterday';
    obj.scenarios[0].latency_ms = '850';
    const pointers = validateReport(obj).map((e) => e.pointer);
    expect(pointers).to.include.members(['/started', '/scenarios/0/latency_ms']);
  });
});

describe('reports: loadReport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purple-load-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a run folder or the report.json itself', () => {
    writeFileSync(path.join(dir, 'report.json'), renderJson(makeReport()));
    expect(loadReport(dir).run_id).to.equal('20260302-100000-ab12');
    expect(loadReport(path.join(dir, 'report.json')).scenarios).to.have.length(10);
  });

  it('names the file, line and column of broken JSON', () => {
    const file = path.join(dir, 'report.json');
    writeFileSync(file, '{\n  "run_id": "x",\n  "started": oops\n}');
    expect(() => loadReport(file)).to.throw(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:\\d+: not valid JSON`));
  });

  it('lists schema errors with pointers', () => {
    const obj = JSON.parse(renderJson(makeReport()));
    delete obj.scenarios[0].alerts[0].summary;
    writeFileSync(path.join(dir, 'report.json'), JSON.stringify(obj));
    expect(() => loadReport(dir)).to.throw(/not a valid purple report[\s\S]*\/scenarios\/0\/alerts\/0\/summary: is required/);
  });

  it('says when a folder holds no report.json', () => {
    mkdirSync(path.join(dir, 'empty'));
    expect(() => loadReport(path.join(dir, 'empty'))).to.throw(/report\.json: not found \(is .* a purple run folder\?\)/);
    expect(() => loadReport(path.join(dir, 'nope'))).to.throw(/no such file or folder/);
  });
});

describe('reports: baseline comparison', () => {
  it('finds newly missed and new false alarms, and lists added/removed scenarios apart', () => {
    const regressions = compareWithBaseline(makeReport(), makeBaselineReport());
    expect(regressions).to.deep.equal([
      { scenario: 'binary-padding-dd', analytic: 'AN1529', kind: 'newly-missed', before: 'detected', now: 'missed' },
      { scenario: 'archive-tar-benign', analytic: 'AN1214', kind: 'new-false-alarm', before: 'quiet', now: 'false-alarm' },
    ]);
    expect(scenarioChanges(makeReport(), makeBaselineReport())).to.deep.equal({
      newScenarios: ['archive-broken'],
      removedScenarios: ['old-removed-scenario'],
    });
  });

  it('a run compared with itself has no regression', () => {
    expect(compareWithBaseline(makeReport(), makeReport())).to.deep.equal([]);
  });

  it('a scenario that was already flaky in the baseline is not "newly" missed', () => {
    const regressions = compareWithBaseline(makeReport(), makeBaselineReport());
    expect(regressions.map((r) => r.scenario)).not.to.include('ftp-exfil-repeat');
  });
});

describe('reports: exit code', () => {
  it('is 0 when every expectation is met and nothing regressed', () => {
    expect(exitCodeFor(passingReport())).to.equal(0);
    expect(exitReasons(passingReport())).to.deep.equal([]);
  });

  it('is 1 for a failure, an incomplete, an error, a flaky repeat, or a regression', () => {
    const reasons = exitReasons(reportWithBaseline());
    expect(exitCodeFor(reportWithBaseline())).to.equal(1);
    expect(reasons).to.include('ftp-benign-mirror / AN1170: telemetry incomplete: the kernel lost 12 audit events during the scenario');
    expect(reasons.join('\n')).to.include('archive-broken / AN1214: error');
    expect(reasons.join('\n')).to.include('flaky');
    expect(reasons.filter((r) => r.startsWith('regression:'))).to.have.length(2);

    const onlyIncomplete = makeReport({ scenarios: makeScenarios().filter((s) => s.id === 'ftp-benign-mirror') });
    expect(exitCodeFor(onlyIncomplete)).to.equal(1);
    const regressionOnly = withBaseline(passingReport(), passingReport(), 'b');
    expect(exitCodeFor(regressionOnly)).to.equal(0);
    regressionOnly.baseline!.regressions.push({ scenario: 'archive-xor-python', analytic: 'AN1214', kind: 'newly-missed', before: 'detected', now: 'missed' });
    expect(exitCodeFor(regressionOnly)).to.equal(1);
  });

  it('an empty run fails: nothing was validated', () => {
    expect(exitCodeFor(makeReport({ scenarios: [], analytics: [] }))).to.equal(1);
  });
});

describe('reports: terminal', () => {
  it('shows a row per expectation, repeats folded, failure reasons, summaries and regressions', () => {
    const text = renderTerminal(reportWithBaseline(), { color: false, wide: true, width: 200 });
    expect(text).not.to.match(/\x1b\[/);
    const rows = text.split('\n').filter((l) => l.startsWith('│') && !l.includes('Scenario'));
    expect(rows).to.have.length(8);
    expect(rows.filter((r) => r.includes('ftp-exfil-repeat'))).to.have.length(1);
    expect(text).to.include('2/3 detected (1 missed) — flaky');
    expect(text).to.match(/binary-padding-dd \/ AN1529: missed \(detector failed/);
    expect(text).to.match(/ftp-exfil-curl \/ AN1170: missed \(collection failed/);
    expect(text).to.match(/archive-tar-benign \/ AN1214: false alarm: python3 wrote high-entropy/);
    expect(text).to.match(/AN1170 Analytic 1170 \(T1071\.002 File Transfer Protocols\): TP 2 FN 2 FP 0 TN 0 incomplete 1, precision 1\.00, recall 0\.50/);
    expect(text).to.include('newly missed: binary-padding-dd / AN1529 (detected → missed)');
    expect(text).to.include('new false alarm: archive-tar-benign / AN1214 (quiet → false alarm)');
    expect(text).to.include('new scenarios (not compared): archive-broken');
    expect(text).to.include('scenarios no longer run: old-removed-scenario');
    // the BEL in the alert summary never reaches the terminal
    expect(text).not.to.include('\u0007');
  });

  it('colours only when asked', () => {
    expect(renderTerminal(makeReport(), { color: true })).to.match(/\x1b\[3\dm/);
    expect(renderQuiet(makeReport(), { color: true })).to.match(/\x1b\[31mFAILED/);
  });

  it('quiet is one line with the totals and exit code', () => {
    const line = renderQuiet(reportWithBaseline());
    expect(line.split('\n')).to.have.length(1);
    expect(line).to.equal('purple 20260302-100000-ab12: 8 expectations, 2 met, 4 failed, 1 incomplete, 1 error, 1 flaky, 2 regressions — FAILED (exit 1)');
    expect(renderQuiet(passingReport())).to.match(/2 expectations, 2 met, 0 failed.*PASSED \(exit 0\)$/);
  });
});

describe('reports: junit.xml', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purple-junit-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Parsed back by a real XML parser (Python's ElementTree), not by string matching.
  function parse(xml: string): {
    root: Record<string, string>;
    suites: { attrs: Record<string, string>; cases: { classname: string; name: string; child: string | null; message: string | null; type: string | null }[] }[];
  } {
    const file = path.join(dir, `junit-${Math.random().toString(16).slice(2)}.xml`);
    writeFileSync(file, xml);
    const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
out = {'root': root.attrib, 'suites': []}
for s in root.findall('testsuite'):
    cases = []
    for c in s.findall('testcase'):
        child = next((e for e in c if e.tag in ('failure', 'error', 'skipped')), None)
        cases.append({'classname': c.get('classname'), 'name': c.get('name'), 'child': child.tag if child is not None else None,
                      'message': child.get('message') if child is not None else None, 'type': child.get('type') if child is not None else None})
    out['suites'].append({'attrs': s.attrib, 'cases': cases})
print(json.dumps(out))`;
    return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
  }

  it('is well-formed and its counts match the cases', () => {
    const doc = parse(renderJUnit(reportWithBaseline()));
    const cases = doc.suites.flatMap((s) => s.cases);
    // The strict Ant schema allows no attribute on <testsuites> (issue 17): the totals are the suites' sums.
    expect(doc.root).to.deep.equal({});
    const total = (attr: string) => doc.suites.reduce((sum, s) => sum + Number(s.attrs[attr]), 0);
    expect(total('tests')).to.equal(cases.length).and.equal(8 + 2);
    expect(total('failures')).to.equal(cases.filter((c) => c.child === 'failure').length).and.equal(4 + 2);
    expect(total('errors')).to.equal(1);
    expect(total('skipped')).to.equal(1);
    for (const suite of doc.suites) {
      expect(Number(suite.attrs.tests)).to.equal(suite.cases.length);
      expect(Number(suite.attrs.failures)).to.equal(suite.cases.filter((c) => c.child === 'failure').length);
      expect(Number(suite.attrs.errors)).to.equal(suite.cases.filter((c) => c.child === 'error').length);
      expect(Number(suite.attrs.skipped)).to.equal(suite.cases.filter((c) => c.child === 'skipped').length);
      expect(suite.attrs.time).to.match(/^\d+\.\d{3}$/);
    }
  });

  it('carries classname analytic/technique, the reason, the layer and the alert summary', () => {
    const cases = parse(renderJUnit(reportWithBaseline())).suites.flatMap((s) => s.cases);
    const find = (name: string) => cases.find((c) => c.name.startsWith(name))!;
    expect(find('binary-padding-dd')).to.include({ classname: 'AN1529/T1027.001', name: 'binary-padding-dd: alert expected', child: 'failure', type: 'missed-detector' });
    expect(find('ftp-exfil-curl')).to.include({ type: 'missed-collection' });
    expect(find('archive-tar-benign').message).to.equal('false alarm: python3 wrote high-entropy /tmp/backup.tgz <img src=x onerror="window.__pwned=2"> & "quoted" \u2407bell');
    expect(find('archive-broken')).to.include({ child: 'error' });
    expect(find('ftp-benign-mirror')).to.include({ child: 'skipped' });
    expect(find('ftp-benign-mirror').message).to.include('telemetry incomplete');
    expect(find('ftp-exfil-repeat').message).to.include('2/3 detected');
    expect(find('archive-xor-python')).to.include({ child: null });
    const regressions = cases.filter((c) => c.classname.startsWith('regression/'));
    expect(regressions.map((c) => c.name)).to.deep.equal(['binary-padding-dd: newly-missed', 'archive-tar-benign: new-false-alarm']);
  });

  it('escapes the hostile command line in system-out and drops characters XML cannot carry', () => {
    const xml = renderJUnit(reportWithBaseline());
    expect(xml).not.to.include('<script>');
    expect(xml).not.to.include('\u0007');
    expect(() => parse(xml)).not.to.throw();
  });
});

describe('reports: report.md', () => {
  it('calls out regressions at the top, then results and coverage tables', () => {
    const text = renderMarkdown(reportWithBaseline());
    const lines = text.split('\n');
    expect(lines[0]).to.equal('# purple run 20260302-100000-ab12: FAILED');
    const firstRegression = lines.findIndex((l) => l.includes('newly missed: binary-padding-dd'));
    expect(firstRegression).to.be.within(1, 5);
    expect(firstRegression).to.be.lessThan(lines.indexOf('## Results'));
    expect(text).to.include('| ftp-exfil-repeat | emulation | AN1170 | T1071.002 | alert expected | 2/3 detected (1 missed) — flaky | 1.20 s–1.60 s |');
    expect(text).to.include(`| AN1529 ${analytic('AN1529').name} | ${analytic('AN1529').detectionStrategy.id} ${analytic('AN1529').detectionStrategy.name} |`);
    expect(text).to.include('## Coverage per technique');
  });

  it('keeps run text from becoming markup or breaking table rows', () => {
    const text = renderMarkdown(reportWithBaseline());
    expect(text).not.to.include('<img');
    expect(text).to.include('&lt;img src=x onerror="window.\\_\\_pwned=2"&gt; &amp; "quoted"');
    const scenarios = makeScenarios();
    scenarios[0]!.id = 'pipe|in|id';
    const row = renderMarkdown(makeReport({ scenarios })).split('\n').find((l) => l.includes('pipe'))!;
    expect(row.split(/(?<!\\)\|/).length - 2).to.equal(7);
  });
});

describe('reports: ATT&CK Navigator layer', () => {
  // Checks written from the layer format 4.5 spec (mitre-attack/attack-navigator layers/spec/v4.5/layerformat.md),
  // which navigator-layer-4.5.schema.json transcribes (MITRE publishes no JSON Schema).
  const schemaFile = fileURLToPath(new URL('../../../test/reports/navigator-layer-4.5.schema.json', import.meta.url));
  const validateLayer = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  const layerErrors = (layer: unknown) => (validateLayer(layer) ? [] : validateLayer.errors!.map((e) => `${e.instancePath || '/'} ${e.keyword}`));

  it('validates against the layer format 4.5 schema for every kind of run', () => {
    const runs: Record<string, RunReport> = {
      'all verdicts, repeats, an errored scenario': makeReport(),
      'three targets': makeMultiTargetReport(),
      'with a baseline': reportWithBaseline(),
      'all met': passingReport(),
      'none met': makeReport({ scenarios: makeScenarios().filter((s) => s.id === 'binary-padding-dd') }),
      'only an errored scenario': makeReport({ scenarios: makeScenarios().filter((s) => s.id === 'archive-broken') }),
      'nothing ran': makeReport({ scenarios: [] }),
    };
    for (const [run, report] of Object.entries(runs)) {
      const layer = JSON.parse(renderNavigatorLayer(report));
      expect(layerErrors(layer), run).to.deep.equal([]);
      // What JSON Schema cannot say: the gradient is increasing, and the Navigator keys annotations by
      // technique and tactic, so a second entry for the same pair would overwrite the first.
      expect(layer.gradient.maxValue, run).to.be.greaterThan(layer.gradient.minValue);
      const keys = layer.techniques.map((t: { techniqueID: string; tactic: string }) => `${t.techniqueID}^${t.tactic}`);
      expect(new Set(keys).size, run).to.equal(keys.length);
    }
    const merged = JSON.parse(renderNavigatorLayer(makeMultiTargetReport()));
    expect(merged.techniques.map((t: { techniqueID: string }) => t.techniqueID)).to.deep.equal(['T1027.001', 'T1071.002', 'T1560.003']);
  });

  it('the schema accepts what the spec allows beyond our layer, and rejects a broken layer', () => {
    const valid = [
      { name: 'minimal', domain: 'ics-attack' },
      {
        name: 'spec features',
        domain: 'mobile-attack',
        versions: { navigator: '4.9.0', layer: '4.5' },
        layout: { layout: 'mini', aggregateFunction: 'max', showAggregateScores: true, countUnscored: true, expandedSubtechniques: 'all' },
        sorting: 3,
        techniques: [{ techniqueID: 'T1404', enabled: false, color: '', links: [{ divider: true }, { label: 'ref', url: 'http://example.org' }] }],
        gradient: { colors: ['#ffffff00', '#66b1ffff'], minValue: -10, maxValue: 10.5 },
      },
    ];
    expect(layerErrors(valid), 'a list of layers').to.deep.equal([]);

    const layer = JSON.parse(renderNavigatorLayer(makeReport()));
    layer.techniques[0].score = '50';
    layer.techniques[1].color = 'orange';
    layer.techniques[2].techniqueID = 'T1560.3';
    layer.techniques[2].metadata.push({ name: 'note' });
    layer.layout.layout = 'grid';
    layer.versions.layer = '4.4';
    layer.versions.navigator = '4.8.0';
    layer.gradient.colors = ['#ff6666'];
    layer.legendItems[0].color = '#8ec84';
    layer.links = [{ label: 'run', url: 'reports/runs/x' }];
    layer.sorting = 4;
    layer.showIDs = true;
    delete layer.domain;
    expect(layerErrors(layer)).to.include.members([
      '/techniques/0/score type',
      '/techniques/1/color pattern',
      '/techniques/2/techniqueID pattern',
      '/techniques/2/metadata/6 required',
      '/layout/layout enum',
      '/versions/layer const',
      '/versions/navigator pattern',
      '/gradient/colors minItems',
      '/legendItems/0/color pattern',
      '/links/0/url pattern',
      '/sorting enum',
      '/ additionalProperties',
      '/ required',
    ]);
  });

  it('has the required layer fields and versions', () => {
    const layer = JSON.parse(renderNavigatorLayer(makeReport()));
    expect(layer.name).to.be.a('string').and.not.empty;
    expect(layer.domain).to.equal('enterprise-attack');
    expect(layer.versions).to.deep.equal({ attack: '19', navigator: '5.1', layer: '4.5' });
    expect(layer.gradient.colors).to.have.length.of.at.least(2);
    expect(layer.gradient.maxValue).to.be.greaterThan(layer.gradient.minValue);
    for (const color of [...layer.gradient.colors, ...layer.legendItems.map((l: { color: string }) => l.color)]) expect(color).to.match(/^#[0-9a-f]{6}$/i);
    for (const item of layer.legendItems) expect(item.label).to.be.a('string').and.not.empty;
    for (const m of layer.metadata) expect(m).to.have.all.keys('name', 'value');
  });

  it('has one entry per technique and catalog tactic, coloured by result', () => {
    const layer = JSON.parse(renderNavigatorLayer(passingReport()));
    const ids = layer.techniques.map((t: { techniqueID: string }) => t.techniqueID);
    expect(ids).to.have.members(['T1560.003', 'T1027.001']);
    for (const t of layer.techniques) {
      expect(t.techniqueID).to.match(/^T\d{4}(\.\d{3})?$/);
      // Issue 17: a technique with no emulation in the run (here T1027.001: only a benign twin ran) is not tested: no colour, no score.
      if (t.techniqueID === 'T1027.001') continue;
      expect(t.color).to.match(/^#[0-9a-f]{6}$/i);
      expect(t.score).to.be.within(0, 100);
      for (const m of t.metadata) expect(Object.keys(m).sort()).to.satisfy((k: string[]) => k.join() === 'name,value' || k.join() === 'divider');
      for (const l of t.links) expect(l.url).to.match(/^https:\/\//);
    }
    const padding = layer.techniques.find((t: { techniqueID: string }) => t.techniqueID === 'T1027.001');
    expect(padding.tactic).to.equal(analytic('AN1529').techniques[0]!.tactics[0]);
    expect(padding.color).to.equal(undefined);
    expect(padding.score).to.equal(undefined);
    expect(padding.comment).to.match(/^Not tested/);
    expect(padding.metadata).to.deep.include({ name: 'analytic', value: `AN1529 ${analytic('AN1529').name}` });
    expect(padding.metadata).to.deep.include({ name: 'detection strategy', value: `${analytic('AN1529').detectionStrategy.id} ${analytic('AN1529').detectionStrategy.name}` });
    expect(padding.metadata.some((m: { name?: string; value?: string }) => m.name === 'scenario' && m.value!.startsWith('binary-padding-benign'))).to.equal(true);
  });

  it('amber for some met, red for none met, absent when not run', () => {
    const layer = JSON.parse(renderNavigatorLayer(makeReport()));
    const color = (id: string) => layer.techniques.find((t: { techniqueID: string }) => t.techniqueID === id)?.color;
    expect(color('T1071.002')).to.equal('#ffb000');
    const onlyMissed = makeReport({ scenarios: makeScenarios().filter((s) => s.id === 'binary-padding-dd') });
    const red = JSON.parse(renderNavigatorLayer(onlyMissed));
    expect(red.techniques).to.have.length(1);
    expect(red.techniques[0]).to.include({ techniqueID: 'T1027.001', color: '#ff6666', score: 0 });
  });
});

describe('reports: ATTiRe', () => {
  // Field names from the ATTiRe v1.1 README and attire-1-1-schema.json (github.com/SecurityRiskAdvisors/ATTiRe):
  // required at the top: execution-data, procedures; in execution-data: execution-id, execution-source, target.
  it('has the ATTiRe v1.1 structure, one procedure per scenario run', () => {
    const log = JSON.parse(renderAttire(makeReport()));
    expect(log['attire-version']).to.equal('1.1');
    const ed = log['execution-data'];
    expect(ed).to.include.all.keys('execution-command', 'execution-id', 'execution-source', 'execution-category', 'target', 'time-generated');
    expect(ed['execution-id']).to.equal('20260302-100000-ab12');
    expect(ed['execution-command']).to.equal('purple run --all --repeat 3');
    expect(ed['execution-category']).to.have.all.keys('name', 'abbreviation');
    // Issue 17: target.ip is a valid address or omitted (never ''), host is a host name, not a URI.
    expect(ed.target).to.include.all.keys('host', 'path', 'user');
    if ('ip' in ed.target) expect(isIP(ed.target.ip)).to.not.equal(0);
    expect(ed.target.host).to.not.include('://');
    expect(ed['time-generated']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(log.procedures).to.have.length(10);
    log.procedures.forEach((p: Record<string, any>, i: number) => {
      expect(p).to.include.all.keys('procedure-name', 'procedure-description', 'procedure-id', 'mitre-technique-id', 'order', 'steps');
      expect(p.order).to.equal(i + 1);
      expect(p['procedure-id'].type).to.equal('guid');
      expect(p['procedure-id'].id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(p['mitre-technique-id']).to.match(/^T\d{4}(\.\d{3})?$/);
      for (const s of p.steps) {
        expect(s).to.include.all.keys('order', 'time-start', 'time-stop', 'executor', 'command', 'output');
        for (const o of s.output) expect(o).to.have.all.keys('content', 'level', 'type');
      }
    });
  });

  it('steps carry the command, pid, exit code and output; repeats share a procedure id', () => {
    const log = JSON.parse(renderAttire(makeReport()));
    const xor = log.procedures.find((p: any) => p['procedure-name'].startsWith('XOR-archive'));
    expect(xor.steps[0]).to.include({ command: HOSTILE_COMMAND, 'process-id': 4242, 'exit-code': 0 });
    expect(xor.steps[0].output.map((o: any) => o.level)).to.deep.equal(['STDOUT', 'STDERR']);
    const broken = log.procedures.find((p: any) => p['procedure-name'].startsWith('Archive with a missing'));
    expect(broken.steps[0]).not.to.have.property('exit-code');
    expect(broken.steps[0].output.some((o: any) => o.level === 'ERROR' && /timed out/.test(o.content))).to.equal(true);
    const repeats = log.procedures.filter((p: any) => p['procedure-name'].startsWith('FTP upload, repeated'));
    expect(repeats).to.have.length(3);
    expect(new Set(repeats.map((p: any) => p['procedure-id'].id)).size).to.equal(1);
    expect(repeats[0]['procedure-id'].id).to.equal(stableGuid('purple-scenario:ftp-exfil-repeat'));
    expect(repeats[0]['procedure-description']).to.include('2/3 detected (1 missed) — flaky');
  });
});

describe('reports: writeRunOutputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purple-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every file format, and report.json re-renders identically', () => {
    const report = reportWithBaseline();
    const written = writeRunOutputs(report, path.join(dir, 'run'));
    expect(written.map((f) => path.basename(f))).to.deep.equal(['report.json', 'junit.xml', 'report.html', 'report.md', 'attack-layer.json', 'attire.json']);
    const reloaded = loadReport(path.join(dir, 'run'));
    expect(renderMarkdown(reloaded)).to.equal(readFileSync(path.join(dir, 'run', 'report.md'), 'utf8'));
    expect(renderJUnit(reloaded)).to.equal(readFileSync(path.join(dir, 'run', 'junit.xml'), 'utf8'));
  });

  it('writes only the formats asked for', () => {
    const written = writeRunOutputs(makeReport(), dir, { formats: ['junit', 'md'] });
    expect(written.map((f) => path.basename(f))).to.deep.equal(['junit.xml', 'report.md']);
  });
});
