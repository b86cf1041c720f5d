// The host's own audit rules can hide what the detectors need: purple names each such rule, in
// `purple doctor` and in every run's report, and the run says which telemetry never arrived.
import { expect } from 'chai';
import { execa } from 'execa';
import { auditBlindSpots } from '../../harness/host/audit-blind-spots.js';
import { auditDemand } from '../../harness/events/needs.js';
import { detectorNeeds } from '../../detectors/engine.js';
import { purple, readReport, tempDir } from '../run/helpers.js';

describe('audit blind spots', function () {
  it('names never rules, task rules and excluded record types, and ignores harmless rules', function () {
    const listing = [
      '-a never,exit -F arch=b64 -S execve -F exe=/usr/sbin/cron',
      '-a exit,never -F arch=b64 -S adjtimex -F auid=unset', // a syscall purple does not need
      '-a never,task -F uid=33',
      '-a always,exclude -F msgtype=PROCTITLE',
      '-a always,exclude -F msgtype=CRED_REFR', // a record type purple does not read
      '-a never,exit -F arch=b64 -F auid=unset',
      '-w /etc/passwd -p wa -k identity',
      '-a always,exit -F arch=b64 -S connect -F key=purple-x',
    ].join('\n');
    const warnings = auditBlindSpots(listing, auditDemand(detectorNeeds()));
    expect(warnings).to.have.length(4);
    expect(warnings[0]).to.include('hides execve').and.to.include('exe=/usr/sbin/cron');
    expect(warnings[1]).to.include('every syscall').and.to.include('uid=33');
    expect(warnings[2]).to.include('drops PROCTITLE');
    expect(warnings[3]).to.include('all syscalls').and.to.include('auid=unset');
  });

  describe('against the real kernel', function () {
    // A host rule that silences alice's (uid 1000) execve calls, as some hardening rule sets do for users.
    const rule = ['-F', 'arch=b64', '-S', 'execve', '-F', 'uid=1000', '-k', 'host-own-blindspot-test'];
    before(async function () {
      // At the front (-A): ahead of the rules of any purple run already going on this host, whose
      // execve rules would otherwise log alice's execve first (with their key, which now counts).
      await execa('auditctl', ['-A', 'never,exit', ...rule]);
    });
    after(async function () {
      await execa('auditctl', ['-d', 'never,exit', ...rule], { reject: false });
    });

    it('purple doctor warns and names the rule', async function () {
      const r = await purple(['doctor']);
      expect(String(r.stdout)).to.match(/blind spots.*hides execve.*uid=1000/);
    });

    it('a run reports the warning and the execve it never saw', async function () {
      const out = tempDir('blindspot');
      await purple(['run', 'an1214-python-xor-archive', '--out', out, '--quiet']);
      const report = readReport(out);
      expect(report.warnings.join('\n')).to.match(/hides execve.*uid=1000/);
      const checks = report.scenarios[0]!.telemetry.checks;
      const execve = checks.find((c) => c.description.includes('execve'));
      expect(execve, JSON.stringify(checks)).to.not.equal(undefined);
      expect(execve!.satisfied).to.equal(false);
    });
  });
});
