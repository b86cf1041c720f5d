// A miss and a false alarm say why in numbers in every format (issue 17): the nearest candidates that did not
// alert with the failed condition against the threshold in force, and the conditions a false alarm's alert met.
// Text from the target (a candidate naming a crafted path) is sanitized on the way.
import { expect } from 'chai';
import type { Condition, NearMiss } from '../../detectors/types.js';
import type { RunReport } from '../../harness/run/results.js';
import { renderHtml, renderJUnit, renderMarkdown, renderTerminal, validateReport } from '../../reports/index.js';
import { makeReport } from './factory.js';

const SIZE: Condition = { measure: 'size', observed: 3 * 1024 * 1024, op: '>=', limit: 100 * 1024 * 1024, threshold: 'FileSizeThresholdMB', unit: 'bytes', met: false };
const USER: Condition = { measure: 'user', observed: 'www-data (uid 33)', op: 'not in', limit: 'root', threshold: 'UserContext.users', met: true };
const MISS: NearMiss = {
  analytic: 'AN1529',
  candidate: '/tmp/pay\x1b[2Jload executed by payload (pid 7, uid 33)',
  time: '2026-03-02T10:00:05.000Z',
  host: 'purple-target-1',
  conditions: [SIZE, USER],
};
const ENTROPY: Condition = { measure: 'entropy', observed: 7.99, op: '>=', limit: 0, threshold: 'EntropyThreshold', unit: 'bits/byte', met: true };

function explainedReport(): RunReport {
  const report = makeReport();
  const padded = report.scenarios.find((s) => s.id === 'binary-padding-dd')!;
  padded.verdicts[0] = { ...padded.verdicts[0]!, nearMisses: [MISS], counters: { uses: 1, small: 1 } };
  const benign = report.scenarios.find((s) => s.id === 'archive-tar-benign')!;
  benign.alerts[0]!.evidence.conditions = [ENTROPY];
  return report;
}

describe('reports: a miss and a false alarm say why in numbers', () => {
  const report = explainedReport();
  const missWhy = 'size 3.0 MB < FileSizeThresholdMB 100.0 MB (failed); held: user www-data (uid 33) not in UserContext.users (root)';

  it('report.json carries the near misses and conditions, valid against the schema', () => {
    expect(validateReport(JSON.parse(JSON.stringify(report)))).to.deep.equal([]);
    const broken = JSON.parse(JSON.stringify(report));
    broken.scenarios.find((s: { id: string }) => s.id === 'binary-padding-dd').verdicts[0].nearMisses[0].conditions[0].op = '≈';
    expect(validateReport(broken).map((e) => e.pointer).join(' ')).to.include('/nearMisses/0/conditions/0/op');
  });

  it('terminal, compact and wide: the failed condition with observed value and threshold, sanitized, within 80 columns', () => {
    for (const wide of [false, true]) {
      const out = renderTerminal(report, { color: false, width: 80, wide });
      const flat = out.replace(/\n\s+/g, ' ');
      expect(flat).to.include('nearest: /tmp/pay␛[2Jload executed by payload (pid 7, uid 33):');
      expect(flat).to.include(missWhy);
      expect(flat).to.include('fired because entropy 7.99 bits/byte ≥ EntropyThreshold 0.00 bits/byte');
      expect(out).to.not.include('\x1b');
      if (!wide) for (const line of out.split('\n')) expect([...line].length, line).to.be.at.most(80);
    }
  });

  it('Markdown, HTML and the JUnit failure message', () => {
    const md = renderMarkdown(report);
    expect(md).to.include(missWhy.replace('<', '&lt;'));
    expect(md).to.include('fired because entropy 7.99 bits/byte ≥ EntropyThreshold 0.00 bits/byte');
    const html = renderHtml(report);
    expect(html).to.include('size 3.0 MB &lt; FileSizeThresholdMB 100.0 MB (failed)');
    expect(html).to.include('␛[2J').and.not.include('\x1b');
    expect(html).to.include('<h4>Why it was missed: nearest candidates</h4>');
    expect(html).to.include('<code>size 3.0 MB &lt; FileSizeThresholdMB 100.0 MB</code>');
    const junit = renderJUnit(report);
    const failure = /<failure message="([^"]*FileSizeThresholdMB[^"]*)"/.exec(junit);
    expect(failure, 'a failure message names the threshold').to.not.equal(null);
    expect(failure![1]).to.include('size 3.0 MB &lt; FileSizeThresholdMB 100.0 MB (failed)');
    expect(junit).to.include('fired because entropy 7.99 bits/byte ≥ EntropyThreshold 0.00 bits/byte');
  });

  it('a miss with no candidate says what the detector counted instead', () => {
    const r = makeReport();
    const padded = r.scenarios.find((s) => s.id === 'binary-padding-dd')!;
    padded.verdicts[0] = { ...padded.verdicts[0]!, nearMisses: [], counters: { creations: 4 } };
    expect(renderMarkdown(r)).to.include('no candidate came near (the detector counted: creations 4)');
  });
});

describe('reports: configuration in human units, non-defaults marked, with the ATT&CK data version', () => {
  const report = makeReport({
    config: {
      trustedCidrs: [],
      standardUsers: ['deploy'],
      thresholds: { AN1170: { TransferSizeThreshold: 1024 ** 3, TimeWindow: 600 } },
      defaults: { AN1170: { TransferSizeThreshold: 10 * 1024 ** 2, TimeWindow: 600 } },
    },
  });

  it('Markdown and HTML: MB and s, the changed value marked next to its default, the ATT&CK version', () => {
    const md = renderMarkdown(report);
    expect(md).to.include('| AN1170 | TransferSizeThreshold | 1.00 GB (1073741824 bytes) (changed) | 10.0 MB (10485760 bytes) |');
    expect(md).to.include('| AN1170 | TimeWindow | 10m 0s (600 s) | 10m 0s (600 s) |');
    expect(md).to.include('- **Standard users:** deploy (changed)').and.include('- **Trusted CIDRs:** none (default)');
    expect(md).to.match(/ATT&CK data: version \d+/);
    const html = renderHtml(report);
    expect(html).to.include('<code class="changed">1.00 GB (1073741824 bytes)</code>');
    expect(html).to.include('<code>10m 0s (600 s)</code>');
    expect(html).to.match(/ATT&amp;CK data version \d+/);
  });

  it('the terminal lists what differs from the defaults', () => {
    const out = renderTerminal(report, { color: false, width: 80 });
    expect(out).to.include('Settings that differ from the defaults');
    expect(out).to.include('AN1170 TransferSizeThreshold: 1.00 GB (1073741824 bytes); default 10.0 MB');
    expect(out).to.include('standard_users: deploy; default none');
    expect(out).to.not.include('TimeWindow');
  });
});
