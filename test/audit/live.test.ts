// Against the REAL audit log: add a keyed execve rule, run /bin/true with a marker, find its event.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { auditEvents, followLines, type AuditEvent } from '../../harness/audit/index.js';

const AUDIT_LOG = '/var/log/audit/audit.log';

describe('audit parser on the live audit log', function () {
  const key = `purple-test-${randomBytes(4).toString('hex')}`;
  // Only execs of true(1), to keep the host's log quiet.
  const rule = ['-a', 'always,exit', '-F', 'arch=b64', '-S', 'execve', '-F', 'exe=/usr/bin/true', '-k', key];
  let added = false;

  before(function () {
    if (!existsSync(AUDIT_LOG) || spawnSync('auditctl', ['-s']).status !== 0) this.skip();
    execFileSync('auditctl', rule);
    added = true;
  });

  after(() => {
    if (added) execFileSync('auditctl', ['-d', ...rule.slice(1)]);
  });

  it('finds the EXECVE event of a marked /bin/true with its argv, exe, key and ids', async () => {
    const marker = `purple-marker-${randomBytes(6).toString('hex')}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 15_000);
    const events = auditEvents(followLines(AUDIT_LOG, { signal: abort.signal }));
    // followLines starts at the current end, which it reaches at a moment a loaded host decides: the marked exec
    // is repeated until one is seen.
    const exec = setInterval(() => execFileSync('/bin/true', [marker, 'two words']), 500);
    let found: AuditEvent | undefined;
    try {
      for await (const e of events) {
        // The kernel logs an event once, with the key of the first rule that matches: a rule loaded earlier by a
        // concurrent run (or the host) may name it. The marker identifies it.
        if (e.process.argv.includes(marker)) {
          found = e;
          break;
        }
      }
    } finally {
      clearInterval(exec);
      clearTimeout(timer);
      abort.abort();
    }
    expect(found, `no event with marker ${marker} in ${AUDIT_LOG}`).to.not.equal(undefined);
    const e = found!;
    expect(e.key).to.be.a('string');
    expect(e.syscall).to.equal('execve');
    expect(e.success).to.equal(true);
    expect(e.types).to.include.members(['SYSCALL', 'EXECVE', 'PROCTITLE']);
    expect(e.process.argv).to.deep.equal(['/bin/true', marker, 'two words']);
    expect(e.process.exe).to.equal('/usr/bin/true');
    expect(e.process.uid).to.equal(process.getuid!());
    expect(e.process.ppid).to.equal(process.pid);
    expect(e.process.cwd).to.equal(process.cwd());
    expect(e.files.map((f) => f.name)).to.include('/bin/true');
  });
});
