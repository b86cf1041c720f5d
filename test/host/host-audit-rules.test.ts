// A host with its own audit rules, as CIS and STIG rule sets load them: rules for execve, openat,
// connect and clone with the host's keys, placed before purple's (auditctl -A), win the kernel's
// first match and tag the scenarios' events with their keys. purple attributes by process, so the
// verdicts are those of a bare host; doctor and the run's preflight name the rules and say nothing
// changes; and afterwards the host's rules are exactly as they were (only what this test added is
// removed; purple's own rules of concurrent runs are not the host's and are left out of the comparison).
import { expect } from 'chai';
import { execa } from 'execa';
import { hostRulesFirst } from '../../harness/host/audit-blind-spots.js';
import { auditDemand } from '../../harness/events/needs.js';
import { detectorNeeds } from '../../detectors/engine.js';
import { CLEAN, leftBehind, purple, readReport, tempDir } from '../run/helpers.js';

/** CIS-style rules, in the order they are to appear at the front of the list. */
const HOST_RULES = [
  ['-F', 'arch=b64', '-S', 'execve', '-k', 'exec'],
  ['-F', 'arch=b64', '-S', 'openat,open,creat', '-k', 'files'],
  ['-F', 'arch=b64', '-S', 'connect', '-k', 'network'],
  ['-F', 'arch=b64', '-S', 'clone,fork,vfork', '-k', 'procs'],
];
/** A cross-section of the suite: execve and file creation (AN1214), a foreign user's open (AN1529), connect and cron ancestry (AN1170). */
const SCENARIOS = ['an1214-python-xor-archive', 'an1214-benign-text-report', 'an1529-padded-binary-exec', 'an1170-cron-scp-exfil'];

async function hostRules(): Promise<string[]> {
  return (await execa('auditctl', ['-l'])).stdout.split('\n').filter((l) => l.trim() && !/key=purple-/.test(l));
}

describe('host audit rules that match before purple\'s', function () {
  it('are listed with their key, and purple\'s own or unrelated rules are not', function () {
    const notes = hostRulesFirst(
      [
        '-a always,exit -F arch=b64 -S execve -F key=exec',
        '-a always,exit -F arch=b64 -S adjtimex,settimeofday -F key=time-change',
        '-a always,exit -F arch=b64 -S connect -F key=purple-20260101-000000-abcd',
        '-a always,exit -F arch=b64 -F path=/etc/shadow -F perm=r',
        '-a never,exit -F arch=b64 -S openat',
        '-w /etc/passwd -p wa -k identity',
      ].join('\n'),
      auditDemand(detectorNeeds()),
    );
    expect(notes).to.have.length(2);
    expect(notes[0]).to.include('matches execve').and.to.include('the key "exec"');
    expect(notes[1]).to.include('matches every syscall of processes where path=/etc/shadow').and.to.include('no key');
  });

  describe('a CIS-style rule set loaded before the run (real auditd + Docker)', function () {
    this.timeout(300_000);
    let before: string[];
    let added: string[][] = [];

    beforeEach(async function () {
      before = await hostRules();
      added = [];
      // -A prepends: load in reverse so they end up in HOST_RULES order, all ahead of anything purple adds.
      for (const rule of [...HOST_RULES].reverse()) {
        await execa('auditctl', ['-A', 'always,exit', ...rule]);
        added.push(rule);
      }
    });

    afterEach(async function () {
      for (const rule of added) await execa('auditctl', ['-d', 'always,exit', ...rule], { reject: false });
      expect(await hostRules(), "the host's rules, in order, exactly as before").to.deep.equal(before);
    });

    it('doctor names them and says nothing changes', async function () {
      const r = await purple(['doctor']);
      const line = String(r.stdout).split('\n').find((l) => l.includes('host audit rules'));
      expect(line).to.include('key "exec"').and.to.include('key "files"').and.to.include('key "network"').and.to.include('key "procs"');
      expect(line).to.include('nothing changes');
      expect(String(r.stdout)).to.match(/blind spots\s+no host rule hides/);
    });

    it('the same verdicts as on a bare host: every expectation met, telemetry complete, nothing left', async function () {
      const out = tempDir('cis-rules');
      const r = await purple(['run', ...SCENARIOS, '--out', out, '--quiet']);
      const report = readReport(out);
      const wrong = report.scenarios.flatMap((s) =>
        s.verdicts.filter((v) => !['detected', 'quiet'].includes(v.verdict)).map((v) => `${s.id}/${v.analytic}: ${v.verdict}: ${v.reason}`),
      );
      expect(wrong, String(r.all)).to.deep.equal([]);
      expect(r.exitCode, String(r.all)).to.equal(0);
      expect(report.scenarios.map((s) => [s.id, s.verdict])).to.deep.equal([
        ['an1214-python-xor-archive', 'detected'],
        ['an1214-benign-text-report', 'quiet'],
        ['an1529-padded-binary-exec', 'detected'],
        ['an1170-cron-scp-exfil', 'detected'],
      ]);
      for (const s of report.scenarios) {
        expect(s.telemetry.checks.filter((c) => !c.satisfied).map((c) => `${s.id}: ${c.description}`)).to.deep.equal([]);
      }
      // The events really came through the host's rules: the saved log carries their keys.
      const saved = (await execa('cat', [`${out}/scenarios/an1214-python-xor-archive/audit.log`])).stdout;
      expect(saved).to.include('key="exec"');
      expect(String(r.all)).to.include('purple: host audit rules:');
      expect(await leftBehind(report.run_id)).to.deep.equal(CLEAN);
    });
  });
});
