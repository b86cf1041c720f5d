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
    // followLines starts at the current end; give it a moment to open the file before the exec.
    const run = new Promise<void>((resolve) => setTimeout(() => {
      execFileSync('/bin/true', [marker, 'two words']);
      resolve();
    }, 300));
    let found: AuditEvent | undefined;
    for await (const e of events) {
      if (e.key === key && e.process.argv.includes(marker)) {
        found = e;
        break;
      }
    }
    clearTimeout(timer);
    abort.abort();
    await run;
    expect(found, `no event with key ${key} and marker ${marker} in ${AUDIT_LOG}`).to.not.equal(undefined);
    const e = found!;
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
