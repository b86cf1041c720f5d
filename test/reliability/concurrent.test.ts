// Two runs at once on one host: both pass, each keeps only its own scenarios and its own events,
// and neither removes the other's audit rules mid-run.
import path from 'node:path';
import { expect } from 'chai';
import { leftovers, purple, readReport, savedEvents, tempDir } from '../run/helpers.js';

const SCENARIO = 'an1214-benign-text-report';

describe('two purple runs at the same time (real Docker + auditd)', function () {
  this.timeout(180_000);

  it('both pass with their own, disjoint telemetry', async function () {
    const outs = [tempDir('rel-conc-a'), tempDir('rel-conc-b')];
    const results = await Promise.all(outs.map((out) => purple(['run', SCENARIO, '--out', out, '--quiet'])));
    results.forEach((r, i) => expect(r.exitCode, `run ${i}: ${String(r.all)}`).to.equal(0));
    const reports = outs.map(readReport);
    expect(reports[0]!.run_id).to.not.equal(reports[1]!.run_id);
    const eventIds: Set<string>[] = [];
    for (const [i, report] of reports.entries()) {
      expect(report.scenarios.map((s) => s.id), `run ${i} scenarios`).to.deep.equal([SCENARIO]);
      const events = await savedEvents(path.join(outs[i]!, report.scenarios[0]!.dir));
      expect(events.length, `run ${i} collected events`).to.be.greaterThan(0);
      eventIds.push(new Set(events.map((e) => e.id)));
      expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
    }
    const shared = [...eventIds[0]!].filter((id) => eventIds[1]!.has(id));
    expect(shared, 'events saved by both runs').to.deep.equal([]);
  });
});
