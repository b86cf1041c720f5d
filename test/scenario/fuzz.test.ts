// Property tests: whatever is in scenario.yaml, the loader answers with a scenario or a list of
// located errors, never an exception and never its own "internal error" safety net.
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadScenario } from '../../harness/scenario/loader.js';
import type { ScenarioError } from '../../harness/scenario/types.js';
import { TempScenarios } from './helpers.js';

const SEEDS = ['an1170-cron-scp-exfil', 'an1529-padded-binary-exec', 'an1214-benign-tar-backup'];

function wellFormed(errors: ScenarioError[], lines: number): void {
  for (const e of errors) {
    expect(e.message, e.message).to.not.match(/internal error/);
    expect(e.message.length).to.be.greaterThan(0);
    expect(typeof e.field).to.equal('string');
    if (e.line !== null) expect(e.line).to.be.within(1, Math.max(lines, 1) + 1);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Mutation = { path: number[]; op: 'delete' | 'replace' | 'add'; value: Json; key: string };

/** Applies a mutation at a path chosen by indices into each level's keys. */
function mutate(doc: Json, m: Mutation): Json {
  if (m.path.length === 0 || doc === null || typeof doc !== 'object') {
    if (m.op === 'add' && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return { ...doc, [m.key]: m.value };
    return m.op === 'delete' ? null : m.value;
  }
  const keys = Array.isArray(doc) ? doc.map((_, i) => i) : Object.keys(doc);
  if (!keys.length) return m.value;
  const k = keys[m.path[0]! % keys.length]!;
  const rest = { ...m, path: m.path.slice(1) };
  if (Array.isArray(doc)) {
    const copy = [...doc];
    if (rest.path.length === 0 && m.op === 'delete') copy.splice(k as number, 1);
    else copy[k as number] = mutate(copy[k as number]!, rest);
    return copy;
  }
  const copy = { ...doc };
  if (rest.path.length === 0 && m.op === 'delete') delete copy[k as string];
  else copy[k as string] = mutate(copy[k as string]!, rest);
  return copy;
}

describe('scenario loader under random input', function () {
  let tmp: TempScenarios;
  before(() => (tmp = new TempScenarios()));
  after(() => tmp.remove());

  it('arbitrary text never crashes it', () => {
    const dir = tmp.copy('an1214-benign-tar-backup');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        writeFileSync(path.join(dir, 'scenario.yaml'), text);
        const r = loadScenario(dir);
        expect(r.scenario).to.equal(null);
        expect(r.errors.length).to.be.greaterThan(0);
        wellFormed(r.errors, text.split('\n').length);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary YAML values never crash it', () => {
    const dir = tmp.copy('an1214-benign-tar-backup');
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = stringify(value);
        writeFileSync(path.join(dir, 'scenario.yaml'), text);
        const r = loadScenario(dir);
        expect(r.scenario).to.equal(null);
        wellFormed(r.errors, text.split('\n').length);
      }),
      { numRuns: 300 },
    );
  });

  for (const id of SEEDS) {
    it(`mutations of ${id} give a scenario or located errors`, () => {
      const dir = tmp.copy(id);
      const original = parse(readFileSync(path.join(dir, 'scenario.yaml'), 'utf8')) as Json;
      const mutation = fc.record({
        path: fc.array(fc.nat({ max: 40 }), { minLength: 0, maxLength: 5 }),
        op: fc.constantFrom('delete' as const, 'replace' as const, 'add' as const),
        value: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
          fc.constantFrom<Json>('{{size_mb}}', '{{nope}}', 'victim', 'sink', 'cron', '30s', 'AN1214', 'T1027.001', -1, 0, 1e9, '../x', '/tmp'),
        ),
        key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('script', 'run', 'args', 'timeout', 'launch', 'user', '__proto__', 'constructor')),
      });
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
          const doc = mutations.reduce(mutate, original);
          const text = stringify(doc);
          writeFileSync(path.join(dir, 'scenario.yaml'), text);
          const r = loadScenario(dir);
          if (r.scenario) expect(r.errors).to.deep.equal([]);
          else expect(r.errors.length).to.be.greaterThan(0);
          wellFormed(r.errors, text.split('\n').length);
        }),
        { numRuns: 400 },
      );
    });
  }
});
