// Verdicts from what fired: lost telemetry is never a miss, and a miss names the failed layer.
import { expect } from 'chai';
import { score, type ScoringInput } from '../../harness/run/scoring.js';
import type { Alert } from '../../detectors/types.js';

const analytics = new Map([
  ['AN1170', 'T1071.002'],
  ['AN1214', 'T1560.003'],
]);

function alert(analytic: string, time: string): Alert {
  return {
    analytic,
    detectionStrategy: 'DET0000',
    technique: analytics.get(analytic)!,
    firstTime: time,
    time,
    host: 'victim',
    summary: `${analytic} fired`,
    confidence: 'high',
    evidence: { eventIds: [], processChain: [], facts: {} },
  };
}

function input(overrides: Partial<ScoringInput>): ScoringInput {
  return { analytics, expect: { AN1170: 'alert' }, alerts: [], checks: [], incompleteBecause: [], errorBecause: null, ...overrides };
}

const verdictOf = (inputs: ScoringInput, analytic: string) => score(inputs).find((v) => v.analytic === analytic)!;

describe('scoring', function () {
  it("a miss carries the detector's near misses and non-zero counters; a switched-off detector says so", function () {
    const miss = { analytic: 'AN1170', candidate: 'scp sent 1 MB', time: '2026-01-01T00:00:00.000Z', host: null, conditions: [{ measure: 'bytes sent', observed: 1, op: '>' as const, limit: 2, threshold: 'TransferSizeThreshold', met: false }] };
    const v = verdictOf(input({ detectorViews: { AN1170: { nearMisses: [miss], counters: { belowThreshold: 1, alerts: 0 } } } }), 'AN1170');
    expect(v).to.deep.include({ verdict: 'missed', nearMisses: [miss], counters: { belowThreshold: 1 } });
    const off = verdictOf(input({ detectorViews: {}, disabled: ['AN1170'] }), 'AN1170');
    expect(off.reason).to.equal('the detector is switched off by the configuration (analytics.AN1170.enabled: false)');
  });

  it('an expected alert that fired is detected, with its latency from the deciding event', function () {
    const v = verdictOf(input({ alerts: [{ alert: alert('AN1170', '2026-01-01T00:00:00.000Z'), emittedAt: Date.parse('2026-01-01T00:00:00.250Z') }] }), 'AN1170');
    expect(v).to.include({ verdict: 'detected', latencyMs: 250, failedLayer: null });
  });

  it('lost events make a silent scenario incomplete, never missed', function () {
    const v = verdictOf(input({ incompleteBecause: ['the kernel lost 12 audit events during the scenario'] }), 'AN1170');
    expect(v.verdict).to.equal('incomplete');
    expect(v.reason).to.include('lost 12');
    expect(v.failedLayer).to.equal('collection');
  });

  it('a flow collector that could not run makes the verdict incomplete too', function () {
    expect(verdictOf(input({ incompleteBecause: ['conntrack byte accounting is off'] }), 'AN1170').verdict).to.equal('incomplete');
  });

  it('a miss says collection failed when a declared telemetry check never saw its event', function () {
    const v = verdictOf(input({ checks: [{ description: 'execve of scp with no TTY under cron', satisfied: false, eventIds: [] }] }), 'AN1170');
    expect(v).to.include({ verdict: 'missed', failedLayer: 'collection' });
    expect(v.reason).to.include('execve of scp');
  });

  it('a miss blames the detector when every telemetry check was satisfied', function () {
    const v = verdictOf(input({ checks: [{ description: 'connect to the sink', satisfied: true, eventIds: ['1:2'] }] }), 'AN1170');
    expect(v).to.include({ verdict: 'missed', failedLayer: 'detector' });
  });

  it('analytics the scenario does not name must stay quiet: an alert there is a false alarm', function () {
    const fired = input({ alerts: [{ alert: alert('AN1214', '2026-01-01T00:00:00.000Z'), emittedAt: Date.parse('2026-01-01T00:00:01.000Z') }] });
    expect(verdictOf(fired, 'AN1214').verdict).to.equal('false-alarm');
    expect(verdictOf(input({}), 'AN1214').verdict).to.equal('quiet');
  });

  it('a scenario that could not run is an error for every analytic', function () {
    const verdicts = score(input({ errorBecause: 'step "upload" failed with exit code 1' }));
    expect(verdicts.map((v) => v.verdict)).to.deep.equal(['error', 'error']);
  });
});
