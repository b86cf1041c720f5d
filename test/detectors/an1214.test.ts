import { expect } from 'chai';
import { analytic } from '../../harness/attack/catalog.js';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { artifact, clone, create, exec } from './factory.js';
import { runDetector } from './run.js';

const SCRIPT = '/home/alice/pack.py';
const OUT = '/tmp/.c/blob.dat';

/** alice's shell (pid 100) runs python3 pack.py (pid 200), which creates `out`. */
function pythonWrites(out = OUT, extra: { script?: string; exe?: string; argv?: string[] } = {}): TelemetryItem[] {
  const argv = extra.argv ?? ['python3', extra.script ?? SCRIPT];
  return [
    exec({ t: 0, pid: 100, ppid: 1, uid: 1000, argv: ['bash'], exe: '/usr/bin/bash', tty: 'pts0' }),
    clone({ t: 1, pid: 100, ppid: 1, uid: 1000, exe: '/usr/bin/bash', child: 200 }),
    exec({ t: 1, pid: 200, ppid: 100, uid: 1000, argv, exe: extra.exe ?? '/usr/bin/python3.11', cwd: '/home/alice' }),
    create({ t: 2, pid: 200, ppid: 100, uid: 1000, exe: extra.exe ?? '/usr/bin/python3.11', path: out }),
  ];
}

describe('AN1214 custom archive detector', () => {
  it('takes its ATT&CK ids from the catalog', () => {
    const { alerts } = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3 })]);
    const ref = analytic('AN1214');
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.analytic).to.equal(ref.id);
    expect(alerts[0]!.technique).to.equal(ref.techniques[0]!.id);
    expect(alerts[0]!.detectionStrategy).to.equal(ref.detectionStrategy.id);
  });

  it('alerts on a python script writing a high-entropy headerless file into /tmp, with evidence', () => {
    const { alerts } = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3, size: 319_488, entropy: 7.993 })]);
    const a = alerts[0]!;
    expect(a.summary).to.equal(
      'python3.11 (pid 200, uid 1000) wrote /tmp/.c/blob.dat: 312 KB, no known header; entropy 7.99 bits/byte (script /home/alice/pack.py)',
    );
    expect(a.confidence).to.equal('medium');
    expect(a.evidence.processChain.map((p) => p.pid)).to.deep.equal([200, 100]);
    expect(a.evidence.eventIds).to.have.length(2); // the interpreter's exec and the creation
    expect(a.evidence.facts.archivePath).to.equal('/tmp');
    // Decided by the write (t=2), not by the later content read (t=3): latency counts from the write.
    expect(a.time).to.equal(a.firstTime);
    expect(a.time < a.evidence.artifacts![0]!.time).to.equal(true);
  });

  it('raises confidence when the script source XORs', () => {
    const script = artifact({ path: SCRIPT, t: 0.5, size: 400, entropy: 4.5, format: 'script', text: '#!/usr/bin/python3\nkey = os.urandom(256)\nout = bytes(b ^ key[i % 256] for i, b in enumerate(data))\n' });
    const { alerts } = runDetector('AN1214', [script, ...pythonWrites(), artifact({ path: OUT, t: 3 })]);
    expect(alerts[0]!.confidence).to.equal('high');
    expect(alerts[0]!.evidence.facts.scriptXor).to.contain('^');
  });

  for (const [name, argv, exe] of [
    ['perl', ['perl', '/tmp/x.pl'], '/usr/bin/perl'],
    ['bash', ['bash', '/tmp/x.sh'], '/usr/bin/bash'],
    ['ruby', ['ruby', '/tmp/x.rb'], '/usr/bin/ruby3.1'],
    ['node', ['node', '/tmp/x.js'], '/usr/bin/node'],
  ] as const) {
    it(`alerts for other interpreters: ${name}`, () => {
      const { alerts } = runDetector('AN1214', [...pythonWrites('/dev/shm/out.bin', { argv: [...argv], exe }), artifact({ path: '/dev/shm/out.bin', t: 3 })]);
      expect(alerts).to.have.length(1);
    });
  }

  it('waits for content that arrives after the creation, and drops it as "no content" when it never comes', () => {
    const late = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 300 })]);
    expect(late.alerts).to.have.length(1);
    const never = runDetector('AN1214', pythonWrites());
    expect(never.alerts).to.have.length(0);
    expect(never.stats.noContent).to.equal(1);
  });

  it('gives up on content that arrives after ContentWaitSeconds', () => {
    const { alerts, stats } = runDetector('AN1214', [...pythonWrites(), create({ t: 1000, pid: 5, exe: '/usr/bin/x', path: '/srv/x' }), artifact({ path: OUT, t: 1001 })], {
      overrides: { ContentWaitSeconds: '10m' },
    });
    expect(alerts).to.have.length(0);
    expect(stats.noContent).to.equal(1);
  });

  it('one alert per file even when it is written several times', () => {
    const items = [...pythonWrites(), create({ t: 3, pid: 200, ppid: 100, uid: 1000, exe: '/usr/bin/python3.11', path: OUT }), artifact({ path: OUT, t: 4 }), artifact({ path: OUT, t: 5 })];
    expect(runDetector('AN1214', items).alerts).to.have.length(1);
  });

  describe('look-alikes that must not alert', () => {
    it('gzip, zip, xz, bzip2, zstd and 7z archives, even written by python', () => {
      for (const format of ['gzip', 'zip', 'xz', 'bzip2', 'zstd', '7z']) {
        const { alerts, stats } = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3, format, entropy: 7.99 })]);
        expect(alerts, format).to.have.length(0);
        expect(stats.standardHeader, format).to.equal(1);
      }
    });

    it('low-entropy files', () => {
      const { alerts, stats } = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3, entropy: 4.2 })]);
      expect(alerts).to.have.length(0);
      expect(stats.lowEntropy).to.equal(1);
    });

    it('tar and gzip processes, even under a shell', () => {
      for (const tool of ['tar', 'gzip']) {
        const items = [
          exec({ t: 0, pid: 100, uid: 1000, argv: ['bash', '/opt/backup.sh'], exe: '/usr/bin/bash' }),
          exec({ t: 1, pid: 300, ppid: 100, uid: 1000, argv: [tool, '-czf', '/tmp/b.tgz', 'docs'], exe: `/usr/bin/${tool}` }),
          create({ t: 2, pid: 300, ppid: 100, uid: 1000, exe: `/usr/bin/${tool}`, path: '/tmp/b.tgz' }),
          artifact({ path: '/tmp/b.tgz', t: 3, format: null }),
        ];
        const { alerts, stats } = runDetector('AN1214', items);
        expect(alerts, tool).to.have.length(0);
        expect(stats.skippedStandardArchiver, tool).to.equal(1);
      }
    });

    it('allowlisted scripts (by path glob) and programs (by name)', () => {
      const byScript = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3 })], { overrides: { ScriptAllowlist: ['/home/*/pack.py'] } });
      expect(byScript.alerts).to.have.length(0);
      expect(byScript.stats.skippedAllowlisted).to.equal(1);
      const byName = runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3 })], { overrides: { ScriptAllowlist: ['python3.11'] } });
      expect(byName.alerts).to.have.length(0);
    });

    it('files outside the archive paths', () => {
      const { alerts, stats } = runDetector('AN1214', [...pythonWrites('/srv/data/blob.dat'), artifact({ path: '/srv/data/blob.dat', t: 3 })]);
      expect(alerts).to.have.length(0);
      expect(stats.creationsInArchivePaths).to.equal(0);
    });

    it('a compiled program with no interpreter in its known ancestry', () => {
      const items = [
        exec({ t: 0, pid: 400, ppid: 1, argv: ['/usr/sbin/backupd'], exe: '/usr/sbin/backupd' }),
        create({ t: 1, pid: 400, ppid: 1, exe: '/usr/sbin/backupd', path: '/var/tmp/chunk' }),
        artifact({ path: '/var/tmp/chunk', t: 2 }),
      ];
      const { alerts, stats } = runDetector('AN1214', items);
      expect(alerts).to.have.length(0);
      expect(stats.skippedNoInterpreter).to.equal(1);
    });

    it('small files', () => {
      expect(runDetector('AN1214', [...pythonWrites(), artifact({ path: OUT, t: 3, size: 200 })]).alerts).to.have.length(0);
    });

    it('content of the same path on another host', () => {
      const items = pythonWrites().map((i) => (i.kind === 'audit' ? { ...i, host: 'victim-a' } : i));
      const { alerts } = runDetector('AN1214', [...items, artifact({ path: OUT, t: 3, host: 'victim-b' })]);
      expect(alerts).to.have.length(0);
    });
  });

  it('honours a lower EntropyThreshold from configuration', () => {
    const items = [...pythonWrites(), artifact({ path: OUT, t: 3, entropy: 7.0 })];
    expect(runDetector('AN1214', items).alerts).to.have.length(0);
    expect(runDetector('AN1214', items, { overrides: { EntropyThreshold: 6.5 } }).alerts).to.have.length(1);
  });
});
