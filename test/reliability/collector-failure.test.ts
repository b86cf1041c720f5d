// A flow collector that cannot run (here a conntrack whose listing fails, as on a host whose
// conntrack module is gone) makes what depended on it "incomplete", never "quiet" or "missed",
// names the cause, and the run still removes everything it made.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { LIVE_RUNS_DIR } from '../../harness/run/live-runs.js';
import { CLI, leftovers, readReport, tempDir } from '../run/helpers.js';

describe('purple run with a failing flow collector (real Docker + auditd)', function () {
  it('reports incomplete telemetry with the cause, still detects what other telemetry proves, and cleans up', async function () {
    const dir = tempDir('rel-conntrack');
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const realConntrack = (await execa('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin" command -v conntrack'])).stdout.trim();
    writeFileSync(
      path.join(bin, 'conntrack'),
      `#!/bin/sh\n[ "$1" = --version ] && exec ${realConntrack} --version\necho "conntrack: Operation failed: simulated" >&2\nexit 1\n`,
    );
    chmodSync(path.join(bin, 'conntrack'), 0o755);
    const out = path.join(dir, 'run');
    const r = await execa('node', [CLI, 'run', 'an1170-cron-scp-exfil', 'an1170-benign-cron-scp-tiny', '--out', out, '--quiet'], {
      reject: false,
      all: true,
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.exitCode, String(r.all)).to.equal(1);
    const report = readReport(out);
    const verdict = (id: string, analytic: string) => report.scenarios.find((s) => s.id === id)!.verdicts.find((v) => v.analytic === analytic)!;

    // The large scp is still proven by the uploaded file's size from the audit trail.
    expect(verdict('an1170-cron-scp-exfil', 'AN1170').verdict).to.equal('detected');
    // Without flows, "nothing fired" proves nothing: incomplete, with the failing command named.
    const quietWithoutFlows = verdict('an1170-benign-cron-scp-tiny', 'AN1170');
    expect(quietWithoutFlows.verdict).to.equal('incomplete');
    expect(quietWithoutFlows.reason).to.include('conntrack -L failed').and.include('Operation failed: simulated');
    expect(report.scenarios.flatMap((s) => s.verdicts).some((v) => v.verdict === 'missed' || v.verdict === 'quiet')).to.equal(false);

    expect(await leftovers(report.run_id)).to.deep.equal({ containers: '', networks: '', rules: '' });
    expect(existsSync(path.join(LIVE_RUNS_DIR, `${report.run_id}.json`))).to.equal(false);
  });
});
