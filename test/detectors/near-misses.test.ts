// Why a detector did not alert, in numbers (issue 17): each built-in keeps its nearest candidates that did not
// alert, with the deciding observations against the thresholds in force; an alert carries the conditions it met.
import { expect } from 'chai';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { createEngine } from '../../detectors/engine.js';
import { NearMisses, describeCondition, describeNearMiss } from '../../detectors/lib/near-misses.js';
import type { Condition, NearMiss } from '../../detectors/types.js';
import { artifact, clone, connect, create, exec, flow } from './factory.js';

const MB = 1024 * 1024;
const SINK = '172.18.0.3';

function misses(analytic: string, items: TelemetryItem[], overrides: Record<string, unknown> = {}): { alerts: number; misses: NearMiss[] } {
  const engine = createEngine({ shared: { trustedCidrs: [], standardUsers: [] }, overrides: { [analytic]: overrides }, only: [analytic] });
  let alerts = 0;
  for (const item of items) alerts += engine.push(item).length;
  alerts += engine.flush().length;
  return { alerts, misses: engine.stats().nearMisses[analytic]! };
}

const pythonWrites = (out: string): TelemetryItem[] => [
  exec({ t: 0, pid: 100, ppid: 1, uid: 1000, argv: ['bash'], exe: '/usr/bin/bash', tty: 'pts0' }),
  clone({ t: 1, pid: 100, ppid: 1, uid: 1000, exe: '/usr/bin/bash', child: 200 }),
  exec({ t: 1, pid: 200, ppid: 100, uid: 1000, argv: ['python3', '/home/alice/pack.py'], exe: '/usr/bin/python3.11', cwd: '/home/alice' }),
  create({ t: 2, pid: 200, ppid: 100, uid: 1000, exe: '/usr/bin/python3.11', path: out }),
];

describe('near misses: why a detector did not alert, in numbers', () => {
  it('AN1214: the entropy against EntropyThreshold, with the conditions that held', () => {
    const r = misses('AN1214', [...pythonWrites('/tmp/x.dat'), artifact({ path: '/tmp/x.dat', t: 3, size: 300_000, entropy: 7.2 })]);
    expect(r.alerts).to.equal(0);
    expect(r.misses).to.have.length(1);
    const m = r.misses[0]!;
    expect(m.candidate).to.equal('python3.11 (pid 200, uid 1000) wrote /tmp/x.dat');
    expect(m.conditions[0]).to.deep.include({ measure: 'entropy', observed: 7.2, limit: 7.5, threshold: 'EntropyThreshold', met: false });
    expect(describeNearMiss(m, true)).to.equal(
      'python3.11 (pid 200, uid 1000) wrote /tmp/x.dat: entropy 7.20 bits/byte < EntropyThreshold 7.50 bits/byte (failed); held: ' +
        'path /tmp/x.dat in ArchivePaths (/tmp), writer python3.11 not in the standard archivers, interpreter: python3.11, ' +
        'script /home/alice/pack.py not in ScriptAllowlist (none), size 293 KB ≥ MinFileSizeBytes 1 KB, recognised format: none',
    );
    // The one-line form keeps the comparisons against settings.
    expect(describeNearMiss(m)).to.equal(
      'python3.11 (pid 200, uid 1000) wrote /tmp/x.dat: entropy 7.20 bits/byte < EntropyThreshold 7.50 bits/byte (failed); held: ' +
        'path /tmp/x.dat in ArchivePaths (/tmp), script /home/alice/pack.py not in ScriptAllowlist (none), size 293 KB ≥ MinFileSizeBytes 1 KB',
    );
  });

  it('AN1214: an alert carries the conditions it met (what a false alarm shows)', () => {
    const engine = createEngine({ shared: { trustedCidrs: [], standardUsers: [] }, only: ['AN1214'] });
    const alerts = [...pythonWrites('/tmp/x.dat'), artifact({ path: '/tmp/x.dat', t: 3, size: 300_000, entropy: 7.9 })].flatMap((i) => engine.push(i));
    expect(alerts).to.have.length(1);
    const entropy = alerts[0]!.evidence.conditions!.find((c) => c.measure === 'entropy')!;
    expect(describeCondition(entropy)).to.equal('entropy 7.90 bits/byte ≥ EntropyThreshold 7.50 bits/byte');
    expect(alerts[0]!.evidence.conditions!.every((c) => c.met)).to.equal(true);
  });

  it('AN1170: bytes sent by a cron job against TransferSizeThreshold, in human units', () => {
    const items: TelemetryItem[] = [
      exec({ t: 0, pid: 10, ppid: 1, argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron' }),
      clone({ t: 1, pid: 10, ppid: 1, exe: '/usr/sbin/cron', child: 11 }),
      exec({ t: 1, pid: 11, ppid: 10, argv: ['/bin/sh', '-c', 'busybox tftp'], exe: '/usr/bin/dash' }),
      clone({ t: 1, pid: 11, ppid: 10, exe: '/usr/bin/dash', child: 12 }),
      exec({ t: 2, pid: 12, ppid: 11, argv: ['busybox', 'tftp', '-p', '-l', '/tmp/out.bin', SINK], exe: '/usr/bin/busybox' }),
      connect({ t: 2, pid: 12, ppid: 11, exe: '/usr/bin/busybox', addr: SINK, port: 69 }),
      flow({ t: 3, src: '172.18.0.2', dst: SINK, dport: 69, protocol: 'udp', bytesOut: Math.round(20.1 * MB) }),
    ];
    const r = misses('AN1170', items, { TransferSizeThreshold: '1GB' });
    expect(r.alerts).to.equal(0);
    const text = describeNearMiss(r.misses[0]!, true);
    expect(text).to.match(/^busybox \(pid 12, uid 0\) sent 20\.1 MB to 172\.18\.0\.3:69: /);
    expect(text).to.include('bytes sent 20.1 MB ≤ TransferSizeThreshold 1.00 GB (failed)');
    expect(text).to.include('TTY: none').and.include('launched by: cron').and.include('destination 172.18.0.3 not in TrustedCidrs (none)');
  });

  it('AN1170: a TTY is the condition that failed for an interactive transfer', () => {
    const items = [exec({ t: 2, pid: 13, ppid: 12, uid: 1000, argv: ['scp', '/tmp/a', `u@${SINK}:`], tty: 'pts1' })];
    const m = misses('AN1170', items).misses[0]!;
    expect(describeCondition(m.conditions[0]!)).to.equal('TTY: pts1 (needs none)');
  });

  it('AN1529: size against FileSizeThresholdMB, and the user against UserContext.users', () => {
    const drop = (user: number, size: number): TelemetryItem[] => [
      exec({ t: 0, pid: 100, uid: 1000, argv: ['cp', '/usr/bin/id', '/tmp/u'], exe: '/usr/bin/cp' }),
      create({ t: 0, pid: 100, uid: 1000, exe: '/usr/bin/cp', path: '/tmp/u' }),
      exec({ t: 60, pid: 300, ppid: 250, uid: user, argv: ['/tmp/u'], exe: '/tmp/u' }),
      artifact({ path: '/tmp/u', t: 61, format: 'elf', mode: '0100755', entropy: 1.2, size }),
    ];
    const small = misses('AN1529', drop(33, 3 * MB)).misses[0]!;
    expect(describeCondition(small.conditions[0]!)).to.equal('size 3.0 MB < FileSizeThresholdMB 10.0 MB');
    const root = misses('AN1529', drop(0, 24 * MB)).misses[0]!;
    expect(describeCondition(root.conditions[0]!)).to.equal('user root (uid 0) in UserContext.users (root)');
  });

  it('keeps the nearest few: further through the conditions first, then closer to the threshold; bounded in size', () => {
    const log = new NearMisses('AN1214', 2);
    const entropy = (observed: number): Condition => ({ measure: 'entropy', observed, op: '>=', limit: 7.5, threshold: 'EntropyThreshold', unit: 'bits/byte', met: false });
    log.add(7, 'far', 't', null, [entropy(3)]);
    log.add(7, 'near', 't', null, [entropy(7.4)]);
    log.add(1, 'early', 't', null, [{ measure: 'writer', observed: 'tar', op: 'not in', limit: 'the standard archivers', threshold: null, met: false }]);
    log.add(7, 'x'.repeat(5000), 't', null, [entropy(5)]);
    expect(log.list().map((m) => (m.candidate.startsWith('xxx') ? 'long' : m.candidate))).to.deep.equal(['near', 'long']);
    expect(log.list()[1]!.candidate.length).to.be.at.most(200);
  });
});
