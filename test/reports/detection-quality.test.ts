import { expect } from 'chai';
import { renderDetectionQuality } from '../../reports/detection-quality.js';
import { detectionQuality } from '../../harness/run/judge/detection-quality.js';
import { summarizeAnalytics } from '../../harness/run/judge/coverage.js';
import { makeReport } from './factory.js';

describe('detection quality (precision and recall per analytic)', () => {
  it('counts every verdict of every scenario for its analytic, with the scenarios written for it', () => {
    const report = makeReport();
    const rows = detectionQuality(report);
    const summaries = summarizeAnalytics(report.scenarios);
    expect(rows.map((r) => r.analytic)).to.deep.equal(summaries.map((s) => s.analytic));
    for (const r of rows) {
      const own = report.scenarios.filter((s) => s.analytic === r.analytic);
      expect(r.emulations + r.twins).to.equal(own.length);
      const flagged = r.truePositives + r.falsePositives;
      expect(r.precision).to.equal(flagged ? r.truePositives / flagged : null);
      const actual = r.truePositives + r.falseNegatives;
      expect(r.recall).to.equal(actual ? r.truePositives / actual : null);
    }
  });

  it('prints one line per analytic with precision, recall and the counts behind them', () => {
    const report = makeReport();
    const text = renderDetectionQuality(report);
    expect(text.split('\n')[0]).to.equal(`detection quality over ${report.scenarios.length} scenario runs:`);
    for (const r of detectionQuality(report)) {
      expect(text).to.match(new RegExp(`^  ${r.analytic} precision \\S+ recall \\S+ \\(TP ${r.truePositives} FN ${r.falseNegatives} FP ${r.falsePositives} TN ${r.trueNegatives}`, 'm'));
    }
    expect(renderDetectionQuality({ scenarios: [] })).to.equal('');
  });
});
