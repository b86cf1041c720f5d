import { expect } from 'chai';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { artifact, audit, create, exec, openRead } from './factory.js';
import { runDetector } from './run.js';

const BIN = '/tmp/.cache/update';
const MB = 1024 * 1024;
const ELF = { format: 'elf', mode: '0100755', entropy: 1.2, size: 24 * MB, header: '7f454c46020101000000000000000000' };

/** alice (1000) drops a file, then `user` runs it (exec) or reads it (cat). */
function dropThenUse(user: number, how: 'exec' | 'read' = 'exec', path = BIN, creator = 1000): TelemetryItem[] {
  const items: TelemetryItem[] = [
    exec({ t: 0, pid: 100, uid: creator, argv: ['cp', '/usr/bin/id', path], exe: '/usr/bin/cp' }),
    create({ t: 0, pid: 100, uid: creator, exe: '/usr/bin/cp', path }),
  ];
  if (how === 'exec') items.push(exec({ t: 60, pid: 300, ppid: 250, uid: user, argv: [path], exe: path }));
  else {
    items.push(exec({ t: 60, pid: 300, ppid: 250, uid: user, argv: ['cat', path], exe: '/usr/bin/cat' }));
    items.push(openRead({ t: 60, pid: 300, ppid: 250, uid: user, exe: '/usr/bin/cat', path }));
  }
  return items;
}

describe('AN1529 padded binary detector', () => {
  it('alerts when a large ELF created by alice is executed by www-data', () => {
    const { alerts } = runDetector('AN1529', [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF })]);
    expect(alerts).to.have.length(1);
    const a = alerts[0]!;
    expect(a.summary).to.equal('/tmp/.cache/update (24.0 MB ELF, created by uid 1000) executed by update (pid 300, uid 33) 1m 0s after creation');
    expect(a.confidence).to.equal('high');
    expect(a.evidence.eventIds).to.have.length(2);
    expect(a.evidence.facts.creatorUid).to.equal(1000);
    expect(a.evidence.facts.userUid).to.equal(33);
  });

  it('alerts when a non-standard user runs a large binary she created herself (the analytic: execution by a non-standard user)', () => {
    const { alerts } = runDetector('AN1529', [...dropThenUse(1000), artifact({ path: BIN, t: 61, ...ELF })]);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.evidence.facts.userIsCreator).to.equal(true);
  });

  it('alerts when it is read by another non-standard user (cat)', () => {
    const { alerts } = runDetector('AN1529', [...dropThenUse(65534, 'read'), artifact({ path: BIN, t: 61, ...ELF })]);
    expect(alerts).to.have.length(1);
    expect(alerts[0]!.evidence.facts.use).to.equal('opened');
  });

  it('uses content that arrived before the use', () => {
    const items = dropThenUse(33);
    items.splice(2, 0, artifact({ path: BIN, t: 1, ...ELF }));
    expect(runDetector('AN1529', items).alerts).to.have.length(1);
  });

  it('an executable-mode file counts as a binary even without ELF magic', () => {
    const { alerts } = runDetector('AN1529', [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF, format: null })]);
    expect(alerts).to.have.length(1);
  });

  it('one alert per file and user', () => {
    const items = [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF }), exec({ t: 70, pid: 301, uid: 33, argv: [BIN], exe: BIN })];
    expect(runDetector('AN1529', items).alerts).to.have.length(1);
  });

  describe('look-alikes that must not alert', () => {
    it('root installing a large binary into /usr/local/bin and running it', () => {
      const { alerts, stats } = runDetector('AN1529', [...dropThenUse(0, 'exec', '/usr/local/bin/tool', 0), artifact({ path: '/usr/local/bin/tool', t: 61, ...ELF })]);
      expect(alerts).to.have.length(0);
      expect(stats.standardUser).to.equal(1);
    });

    it('a small binary run by its owner, and a small binary run by someone else', () => {
      const own = runDetector('AN1529', [...dropThenUse(1000, 'exec', '/home/alice/tool'), artifact({ path: '/home/alice/tool', t: 61, ...ELF, size: 300_000 })]);
      expect(own.alerts).to.have.length(0);
      const other = runDetector('AN1529', [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF, size: 300_000 })]);
      expect(other.alerts).to.have.length(0);
      expect(other.stats.small).to.equal(1);
    });

    it('a large binary run by the user who created it, when UserContext.exemptCreator narrows the analytic', () => {
      const { alerts, stats } = runDetector('AN1529', [...dropThenUse(1000), artifact({ path: BIN, t: 61, ...ELF })], { overrides: { UserContext: { exemptCreator: true } } });
      expect(alerts).to.have.length(0);
      expect(stats.sameUser).to.equal(1);
    });

    it('the creator re-opening its file for writing (the creation going on, not a use)', () => {
      const items: TelemetryItem[] = [
        ...dropThenUse(1000).slice(0, 2),
        audit({ t: 5, pid: 100, uid: 1000, exe: '/usr/bin/cp', syscall: 'openat', args: ['ffffff9c', '7ffd0000', '1', '0'], exit: 3, files: [{ name: BIN, nametype: 'NORMAL', mode: '0100755' }] }),
        artifact({ path: BIN, t: 61, ...ELF }),
      ];
      const { alerts, stats } = runDetector('AN1529', items);
      expect(alerts).to.have.length(0);
      expect(stats.creatorWriting).to.equal(1);
    });

    it('a standard user (root by default; more from standard_users)', () => {
      expect(runDetector('AN1529', [...dropThenUse(0), artifact({ path: BIN, t: 61, ...ELF })]).alerts).to.have.length(0);
      const shared = runDetector('AN1529', [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF })], { shared: { standardUsers: ['33'] } });
      expect(shared.alerts).to.have.length(0);
      expect(shared.stats.standardUser).to.equal(1);
    });

    it('binaries a deployer (dpkg) created', () => {
      const items: TelemetryItem[] = [
        exec({ t: 0, pid: 100, uid: 1000, argv: ['dpkg', '-i', 'x.deb'], exe: '/usr/bin/dpkg' }),
        create({ t: 0, pid: 100, uid: 1000, exe: '/usr/bin/dpkg', path: BIN }),
        exec({ t: 60, pid: 300, uid: 33, argv: [BIN], exe: BIN }),
        artifact({ path: BIN, t: 61, ...ELF }),
      ];
      const { alerts, stats } = runDetector('AN1529', items);
      expect(alerts).to.have.length(0);
      expect(stats.deployer).to.equal(1);
    });

    it('large non-binary data files', () => {
      const { alerts, stats } = runDetector('AN1529', [...dropThenUse(33, 'read'), artifact({ path: BIN, t: 61, ...ELF, format: null, mode: '0100644' })]);
      expect(alerts).to.have.length(0);
      expect(stats.notBinary).to.equal(1);
    });

    it('a use after the TimeWindow', () => {
      const items = [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF })];
      const { alerts } = runDetector('AN1529', items, { overrides: { TimeWindow: '30s' } });
      expect(alerts).to.have.length(0);
    });
  });

  it('records "no content" instead of guessing when no artifact arrives', () => {
    const { alerts, stats } = runDetector('AN1529', dropThenUse(33));
    expect(alerts).to.have.length(0);
    expect(stats.noContent).to.equal(1);
  });

  it('a lower FileSizeThresholdMB catches smaller padding', () => {
    const items = [...dropThenUse(33), artifact({ path: BIN, t: 61, ...ELF, size: 3 * MB })];
    expect(runDetector('AN1529', items).alerts).to.have.length(0);
    expect(runDetector('AN1529', items, { overrides: { FileSizeThresholdMB: 2 } }).alerts).to.have.length(1);
  });
});
