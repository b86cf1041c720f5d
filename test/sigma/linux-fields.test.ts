// The field adapter on raw audit lines: process_creation, file_event, network_connection and one auditd view per
// record; user names from a passwd; a public SigmaHQ rule firing on what it was written for.
import { Readable } from 'node:stream';
import path from 'node:path';
import { expect } from 'chai';
import { auditEvents } from '../../harness/audit/index.js';
import type { AuditEvent } from '../../harness/audit/event.js';
import { LinuxViews, userNamesFromPasswd } from '../../detectors/sigma/linux-fields.js';
import { SigmaEngine } from '../../detectors/sigma/engine.js';
import { loadRules } from '../../detectors/sigma/loader.js';
import { sigmaRulesDir } from '../shared-data.js';

const hex = (s: string) => Buffer.from(s).toString('hex').toUpperCase();

const LOG = [
  // bash (pid 200) forks, the child 201 execs truncate -s 24M /tmp/pad.bin in /home/alice
  'type=SYSCALL msg=audit(1767225600.000:10): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=1 ppid=1 pid=200 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" key="purple"',
  'type=EXECVE msg=audit(1767225600.000:10): argc=1 a0="bash"',
  'type=CWD msg=audit(1767225600.000:10): cwd="/home/alice"',
  'type=PATH msg=audit(1767225600.000:10): item=0 name="/usr/bin/bash" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  `type=PROCTITLE msg=audit(1767225600.000:10): proctitle=${hex('bash')}`,
  'type=SYSCALL msg=audit(1767225601.000:11): arch=c000003e syscall=59 success=yes exit=0 a0=55e0 a1=55e1 a2=55e2 a3=0 items=2 ppid=200 pid=201 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="truncate" exe="/usr/bin/truncate" key="purple"',
  'type=EXECVE msg=audit(1767225601.000:11): argc=4 a0="truncate" a1="-s" a2="24M" a3="/tmp/pad.bin"',
  'type=CWD msg=audit(1767225601.000:11): cwd="/home/alice"',
  'type=PATH msg=audit(1767225601.000:11): item=0 name="/usr/bin/truncate" inode=2 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  'type=PATH msg=audit(1767225601.000:11): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=3 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  `type=PROCTITLE msg=audit(1767225601.000:11): proctitle=${hex('truncate\0-s\x0024M\0/tmp/pad.bin')}`,
  // truncate creates the file
  'type=SYSCALL msg=audit(1767225601.100:12): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=941 a3=1b6 items=2 ppid=200 pid=201 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="truncate" exe="/usr/bin/truncate" key="purple"',
  'type=CWD msg=audit(1767225601.100:12): cwd="/home/alice"',
  'type=PATH msg=audit(1767225601.100:12): item=0 name="/tmp/" inode=4 dev=08:01 mode=041777 ouid=0 ogid=0 rdev=00:00 nametype=PARENT',
  'type=PATH msg=audit(1767225601.100:12): item=1 name="/tmp/pad.bin" inode=5 dev=08:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=CREATE',
  `type=PROCTITLE msg=audit(1767225601.100:12): proctitle=${hex('truncate')}`,
  // curl connects to 203.0.113.9:443
  'type=SYSCALL msg=audit(1767225602.000:13): arch=c000003e syscall=42 success=no exit=-115 a0=5 a1=7ffd a2=10 a3=0 items=0 ppid=200 pid=202 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="curl" exe="/usr/bin/curl" key="purple"',
  'type=SOCKADDR msg=audit(1767225602.000:13): saddr=020001BBCB0071090000000000000000',
  `type=PROCTITLE msg=audit(1767225602.000:13): proctitle=${hex('curl')}`,
];

async function events(lines: string[]): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const e of auditEvents(Readable.from([lines.join('\n') + '\n']))) out.push(e);
  return out;
}

describe('Sigma field adapter (linux)', () => {
  const users = userNamesFromPasswd('root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');

  it('builds process_creation, file_event and network_connection views from audit events', async () => {
    const views = new LinuxViews(new Set(['linux/process_creation', 'linux/file_event', 'linux/network_connection']), users);
    const all = (await events(LOG)).flatMap((e) => views.views(e, null));
    const exec = all.filter((v) => v.logsource === 'linux/process_creation');
    expect(exec[1]!.fields).to.deep.include({
      Image: '/usr/bin/truncate', CommandLine: 'truncate -s 24M /tmp/pad.bin', ParentImage: '/usr/bin/bash', ParentCommandLine: 'bash',
      User: 'alice', CurrentDirectory: '/home/alice', ProcessId: 201, ParentProcessId: 200, LogonId: 1000,
    });
    const created = all.filter((v) => v.logsource === 'linux/file_event');
    expect(created.map((v) => v.fields)).to.deep.equal([{ TargetFilename: '/tmp/pad.bin', Image: '/usr/bin/truncate', User: 'alice', ProcessId: 201 }]);
    const net = all.filter((v) => v.logsource === 'linux/network_connection');
    expect(net[0]!.fields).to.deep.include({ Image: '/usr/bin/curl', Initiated: 'true', DestinationIp: '203.0.113.9', DestinationPort: 443, User: 'alice' });
  });

  it('gives one auditd view per record, as auditd-native rules expect', async () => {
    const views = new LinuxViews(new Set(['linux/auditd']), users);
    const [, exec] = await events(LOG);
    const records = views.views(exec!, null);
    expect(records.map((v) => v.recordType)).to.deep.equal(['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PATH', 'PROCTITLE']);
    expect(records[0]!.fields).to.deep.include({ type: 'SYSCALL', syscall: 'execve', SYSCALL: 'execve', a0: '55e0', success: 'yes', key: 'purple', exe: '/usr/bin/truncate', comm: 'truncate', uid: 1000, UID: 'alice', AUID: 'alice' });
    expect(records[1]!.fields).to.deep.equal({ type: 'EXECVE', argc: 4, a0: 'truncate', a1: '-s', a2: '24M', a3: '/tmp/pad.bin' });
    expect(records[3]!.fields).to.deep.include({ type: 'PATH', name: '/usr/bin/truncate', nametype: 'NORMAL' });
    expect(records[5]!.fields).to.deep.equal({ type: 'PROCTITLE', proctitle: 'truncate -s 24M /tmp/pad.bin' });
  });

  it("SigmaHQ's binary padding rule (auditd EXECVE keywords) fires on `truncate -s` and its process_creation rules stay quiet on bash", async () => {
    const loaded = loadRules([path.join(sigmaRulesDir, 'rules/linux/auditd/execve/lnx_auditd_binary_padding.yml')]);
    expect(loaded.lint[0]!.status).to.equal('ok');
    const engine = new SigmaEngine(loaded.rules, users);
    const hits = (await events(LOG)).flatMap((e) => engine.push(e, null));
    expect(hits.map((h) => [h.rule.title, h.views[0]!.recordType, h.views[0]!.eventIds[0]])).to.deep.equal([['Binary Padding - Linux', 'EXECVE', '1767225601.000:11']]);
  });
});
