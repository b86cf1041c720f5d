import { expect } from 'chai';
import {
  decodeKey,
  decodeSockaddr,
  fieldNumber,
  fieldText,
  isRecordError,
  parseRecord,
  type AuditRecord,
} from '../../harness/audit/index.js';
import { eventsOf } from './helpers.js';

function rec(line: string): AuditRecord {
  const r = parseRecord(line);
  if (isRecordError(r)) throw new Error(r.error);
  return r;
}

describe('audit record parser', () => {
  it('reads node, type, timestamp, serial and quoted/unquoted fields', () => {
    const r = rec('node=web1 type=SYSCALL msg=audit(1615114232.375:15558): arch=c000003e syscall=59 success=yes comm="who ami" key=(null)');
    expect(r).to.include({ node: 'web1', type: 'SYSCALL', stamp: '1615114232.375', serial: 15558 });
    expect(r.fields).to.include({ arch: 'c000003e', syscall: '59', comm: '"who ami"', key: '(null)' });
    expect(fieldText(r.fields.comm)).to.equal('who ami');
    expect(fieldText(r.fields.key)).to.equal(null);
  });

  it('splits the ENRICHED part at 0x1D, including SADDR={ ... } groups', () => {
    const r = rec('type=SOCKADDR msg=audit(1.002:3): saddr=100000000000000000000000\x1dSADDR={ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 } UID="root"');
    expect(r.fields).to.deep.equal({ saddr: '100000000000000000000000' });
    expect(r.enriched).to.deep.equal({ SADDR: '{ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 }', UID: '"root"' });
  });

  it("flattens a user-space msg='...' without overriding the outer fields", () => {
    const r = rec(`type=USER_LOGIN msg=audit(1492896301.818:19955): pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 exe="/usr/sbin/sshd" pid=1 res=failed'`);
    expect(r.fields.pid).to.equal('12635');
    expect(fieldText(r.fields.acct)).to.equal('(invalid user)');
    expect(fieldText(r.fields.exe)).to.equal('/usr/sbin/sshd');
    expect(r.fields.res).to.equal('failed');
  });

  it('accepts UNKNOWN[1327] types, a header without msg=, AVC prose and trailing garbage', () => {
    expect(rec('type=UNKNOWN[1327] msg=audit(1.5:7): proctitle=6C73').type).to.equal('UNKNOWN[1327]');
    expect(rec('type=INTEGRITY_POLICY_RULE audit(1572298453.690:5717): IPE=ctx ( op: [execute] )').serial).to.equal(5717);
    const avc = rec('type=AVC msg=audit(1.2:3): avc:  denied  { read write } for  pid=5 comm="x" tclass=dir permissive=0 junk "');
    expect(avc.fields).to.include({ pid: '5', comm: '"x"', tclass: 'dir', permissive: '0' });
  });

  it('reports lines that are not records with a reason, never throws', () => {
    for (const bad of ['', 'hello', 'type=', 'type=X msg=g', 'type=X msg=audit(12:34)', 'type=X msg=audit(1.2:x)', 'type=X msg=audit(1.2:3']) {
      const r = parseRecord(bad);
      expect(isRecordError(r), bad).to.equal(true);
    }
  });

  it('decodes hex text, unset ids, multi-keys', () => {
    expect(fieldText('2F746D702F6120622063')).to.equal('/tmp/a b c');
    expect(fieldText('abc')).to.equal('abc'); // odd length: not hex
    expect(fieldNumber('4294967295')).to.equal(null);
    expect(fieldNumber('-1')).to.equal(null);
    expect(fieldNumber('1000')).to.equal(1000);
    expect(decodeKey('6B6579310161626332')).to.equal('key1,abc2');
  });

  it('decodes sockaddr families: inet, inet6, unix path, abstract unix, netlink, unknown', () => {
    expect(decodeSockaddr('02000050A9FEA9FE0000000000000000')).to.deep.equal({ family: 'inet', addr: '169.254.169.254', port: 80, path: null });
    expect(decodeSockaddr('0A0001BB00000000200100000000000000000000000000010000000000000000')).to.deep.equal({ family: 'inet6', addr: '2001::1', port: 443, path: null });
    expect(decodeSockaddr('0A000016000000000000000000000000000000000000000000000000')?.addr).to.equal('::');
    expect(decodeSockaddr('0A0000500000000000000000000000000000FFFF7F00000100000000')?.addr).to.equal('::ffff:127.0.0.1');
    expect(decodeSockaddr('01002F7661722F72756E2F6E7363642F736F636B657400')?.path).to.equal('/var/run/nscd/socket');
    expect(decodeSockaddr('0100006162630000')?.path).to.equal('@abc');
    expect(decodeSockaddr('100000000000000000000000')?.family).to.equal('netlink');
    expect(decodeSockaddr('2A00')?.family).to.equal('unknown(42)');
    expect(decodeSockaddr('zz')).to.equal(null);
  });
});

describe('audit event assembly', () => {
  const sys = (serial: number, extra = '', stamp = '1000.001') =>
    `type=SYSCALL msg=audit(${stamp}:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=${serial} auid=1000 uid=0 gid=0 euid=0 ses=2 tty=(none) comm="sh" exe="/bin/sh" key="k"${extra}`;
  const path = (serial: number, stamp = '1000.001') => `type=PATH msg=audit(${stamp}:${serial}): item=0 name="/bin/sh" inode=5 mode=0100755 ouid=0 nametype=NORMAL`;
  const title = (serial: number, stamp = '1000.001') => `type=PROCTITLE msg=audit(${stamp}:${serial}): proctitle=7368002D63`;
  const eoe = (serial: number, stamp = '1000.001') => `type=EOE msg=audit(${stamp}:${serial}):`;

  it('groups interleaved, out-of-order records by timestamp and serial and ends events at EOE', () => {
    const { events, stats } = eventsOf([sys(10), sys(11), path(11), path(10), eoe(11), eoe(10)], 100);
    expect(events.map((e) => [e.serial, e.types])).to.deep.equal([
      [11, ['SYSCALL', 'PATH']],
      [10, ['SYSCALL', 'PATH']],
    ]);
    expect(stats.lostSerials).to.equal(0);
  });

  it('completes an EOE-less syscall event once SYSCALL, its items PATHs and PROCTITLE are in', () => {
    const lines = [sys(20), title(20), path(20)];
    const { events } = eventsOf(lines, 100);
    expect(events).to.have.length(1);
  });

  it('same serial with a different timestamp is a different event', () => {
    const { events } = eventsOf([sys(5, '', '1.000'), sys(5, '', '2.000')], 100);
    expect(events).to.have.length(2);
  });

  it('emits single-record user-space events at once, and window overflow bounds in-flight events', () => {
    const { events } = eventsOf([`type=USER_LOGIN msg=audit(1.1:1): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login exe="/usr/sbin/sshd" res=success'`]);
    expect(events[0]!.success).to.equal(true);
    expect(events[0]!.process.auid).to.equal(null);
    expect(events[0]!.process.exe).to.equal('/usr/sbin/sshd');
    const lines = Array.from({ length: 50 }, (_, i) => sys(100 + i));
    const { events: many } = eventsOf(lines, 3);
    expect(many.map((e) => e.serial)).to.deep.equal(lines.map((_, i) => 100 + i));
  });

  it('counts serial gaps as lost, fills them with late arrivals, handles rollover and restarts', () => {
    expect(eventsOf([sys(1), sys(2), sys(6), sys(7)]).stats.lostSerials).to.equal(3);
    expect(eventsOf([sys(1), sys(3), sys(2), sys(4)]).stats.lostSerials).to.equal(0);
    expect(eventsOf([sys(4294967294), sys(4294967295), sys(0), sys(1)]).stats.lostSerials).to.equal(0);
    expect(eventsOf([sys(4294967295), sys(2)]).stats.lostSerials).to.equal(2);
    expect(eventsOf([sys(900000), sys(900001), sys(3), sys(4)]).stats.lostSerials, 'reboot').to.equal(0);
  });

  it('normalizes a full execve event', () => {
    const lines = [
      sys(30, ' SYSCALL_ENRICHED=1'),
      'type=EXECVE msg=audit(1000.001:30): argc=3 a0="sh" a1="-c" a2=6563686F202268692074686572652220262620747275650A',
      'type=CWD msg=audit(1000.001:30): cwd=2F746D702F6120622063',
      path(30),
      title(30),
    ];
    const [e] = eventsOf(lines).events;
    expect(e).to.deep.include({ id: '1000.001:30', time: '1970-01-01T00:16:40.001Z', syscall: 'execve', success: true, exit: 0, key: 'k' });
    expect(e!.args).to.deep.equal(['1', '2', '3', '4']);
    expect(e!.process).to.deep.include({ pid: 30, ppid: 1, auid: 1000, tty: null, cwd: '/tmp/a b c', title: 'sh -c' });
    expect(e!.process.argv).to.deep.equal(['sh', '-c', 'echo "hi there" && true\n']);
    expect(e!.files).to.deep.equal([{ name: '/bin/sh', nametype: 'NORMAL', mode: '0100755', inode: 5, ouid: 0 }]);
  });

  it('joins split EXECVE arguments (aN_len, aN[i]) across records', () => {
    const lines = [
      'type=EXECVE msg=audit(5.5:9): argc=2 a0="echo" a1_len=12 a1[0]=414243',
      'type=EXECVE msg=audit(5.5:9): a1[1]=444546',
      'type=EOE msg=audit(5.5:9):',
    ];
    expect(eventsOf(lines).events[0]!.process.argv).to.deep.equal(['echo', 'ABCDEF']);
  });
});

describe('LineSplitter', () => {
  it('keeps multi-byte UTF-8 and lines intact across chunk boundaries, and ends with the unterminated line', async () => {
    const { LineSplitter } = await import('../../harness/audit/index.js');
    const bytes = Buffer.from('type=A msg=audit(1.1:1): x="é€"\nsecond line\nlast', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new LineSplitter();
      const lines = [...s.write(bytes.subarray(0, cut)), ...s.write(bytes.subarray(cut)), ...s.end()];
      expect(lines, `cut at ${cut}`).to.deep.equal(['type=A msg=audit(1.1:1): x="é€"', 'second line', 'last']);
    }
  });
});
