// The per-phase timing of a scenario (issue 19): a monotonic clock, and report.json's schema
// accepts it (and reports written before it existed).
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { PHASES, PhaseClock } from '../../harness/run/phases.js';
import { REPORT_SCHEMA_PATH, validateReport } from '../../reports/schema.js';
import { renderJson } from '../../reports/json.js';
import { makeReport } from '../reports/factory.js';

describe('scenario phase timing', () => {
  it('adds each phase up, whether its work resolves or throws, and the total covers them', async () => {
    const clock = new PhaseClock();
    await clock.time('steps', () => new Promise((resolve) => setTimeout(resolve, 30)));
    await clock.time('steps', () => new Promise((resolve) => setTimeout(resolve, 20)));
    await clock.time('settle', () => Promise.reject(new Error('barrier failed'))).catch(() => undefined);
    const timing = clock.timing();
    expect(timing.phasesMs.steps).to.be.within(45, 500);
    expect(timing.phasesMs.settle).to.be.at.least(0);
    expect(Object.keys(timing.phasesMs)).to.deep.equal(['steps', 'settle']);
    expect(timing.totalMs).to.be.at.least(timing.phasesMs.steps!);
    expect(timing).not.to.have.property('aheadMs');
  });

  it('report.json accepts timing, rejects an unknown phase, and still accepts reports without it', () => {
    const report = makeReport();
    const withTiming = JSON.parse(renderJson(report)) as { scenarios: Record<string, unknown>[] };
    withTiming.scenarios[0]!.timing = { totalMs: 1200.5, phasesMs: { network: 100, steps: 800 }, aheadMs: { containers: 900 } };
    expect(validateReport(withTiming)).to.deep.equal([]);
    withTiming.scenarios[0]!.timing = { totalMs: 1, phasesMs: { coffee: 1 } };
    expect(validateReport(withTiming)).not.to.deep.equal([]);
    expect(validateReport(JSON.parse(renderJson(report)))).to.deep.equal([]);
  });

  it('the schema names exactly the phases the clock knows', () => {
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8')) as { $defs: { phaseTimes: { properties: object } } };
    expect(Object.keys(schema.$defs.phaseTimes.properties)).to.deep.equal([...PHASES]);
  });
});
