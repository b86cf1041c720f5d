// Each weakness class of issue 16 on real telemetry: the variant scenarios that exposed it run for real (Docker,
// auditd, conntrack), and their alerts, or silence, must come for the right reason. Replaying these runs with the
// detectors of before issue 16 gives a false alarm or a miss for each.
import { expect } from 'chai';
import type { RunReport, ScenarioResult } from '../../harness/run/results.js';
import { purple, readReport, tempDir } from '../run/helpers.js';

const IDS = [
  'an1214-pipeline-xor-archive',
  'an1214-benign-openssl-pipe',
  'an1214-benign-python-sqlite-cache',
  'an1529-padded-self-exec',
  'an1529-padded-rename-cron',
  'an1170-cron-python-ftplib',
  'an1170-cron-busybox-tftp',
  'an1170-cron-renamed-scp',
  'an1170-cron-chunked-scp',
  'an1170-benign-cron-tiny-during-interactive',
];

describe('issue 16 weakness classes on real telemetry (real Docker + auditd + conntrack)', function () {
  let report: RunReport;
  let output: string;
  const scenario = (id: string): ScenarioResult => {
    const s = report.scenarios.find((r) => r.id === id);
    if (!s) throw new Error(`${id} did not run`);
    return s;
  };
  const ownAlerts = (id: string) => scenario(id).alerts.filter((a) => a.analytic === scenario(id).analytic);

  before(async function () {
    const out = tempDir('variants');
    const r = await purple(['run', ...IDS, '--parallel', '4', '--out', out]);
    output = String(r.all ?? '');
    report = readReport(out);
  });

  it('meets every expectation of every variant, and prints precision and recall per analytic', function () {
    const failed = report.scenarios.flatMap((s) => s.verdicts.filter((v) => !['detected', 'quiet'].includes(v.verdict)).map((v) => `${s.id}/${v.analytic}: ${v.verdict} ${v.reason} ${s.error ?? ''}`));
    expect(failed, output).to.deep.equal([]);
    // The terminal's "Per analytic" section: precision and recall of each analytic the run touched.
    // Lines wrap at the terminal width: compare with the whitespace folded.
    expect(output.replace(/\s+/g, ' ')).to.match(/Per analytic AN\d+ .*?TP \d+ FN 0 FP 0 TN \d+, precision 1\.00, recall 1\.00/);
  });

  it('AN1214: the redirecting shell is followed to the program it execs (python3 alerts, openssl does not)', function () {
    const [alert] = ownAlerts('an1214-pipeline-xor-archive');
    expect(alert!.evidence.facts.interpreter).to.match(/^python3/);
    expect(alert!.evidence.facts.interpreterIsWriter).to.equal(true);
    const openssl = scenario('an1214-benign-openssl-pipe');
    expect(openssl.alerts).to.deep.equal([]);
    expect(openssl.telemetry.checks.every((c) => c.satisfied)).to.equal(true);
  });

  it('AN1214: a documented format (SQLite) written by a script is recognised, and the alert explains headerless content', function () {
    expect(scenario('an1214-benign-python-sqlite-cache').alerts).to.deep.equal([]);
    expect(ownAlerts('an1214-pipeline-xor-archive')[0]!.summary).to.match(/no known header; entropy 7\.\d+ bits\/byte/);
  });

  it('AN1529: a non-standard user running the padded binary she created alerts; a rename into place is a creation', function () {
    expect(ownAlerts('an1529-padded-self-exec')[0]!.evidence.facts.userIsCreator).to.equal(true);
    const renamed = ownAlerts('an1529-padded-rename-cron')[0]!;
    expect(renamed.evidence.facts.path).to.equal('/tmp/.build/dbus-helper');
  });

  it('AN1170: transfers by an interpreter library, a multi-call applet and a renamed client are seen on their flows', function () {
    expect(ownAlerts('an1170-cron-python-ftplib')[0]!.evidence.facts.matchedBy).to.equal('connect to port 21');
    expect(ownAlerts('an1170-cron-busybox-tftp')[0]!.evidence.facts.matchedBy).to.equal('command line (tftp)');
    expect(ownAlerts('an1170-cron-renamed-scp')[0]!.evidence.facts.matchedBy).to.match(/^(connect to port 22|command line \(scp\))$/);
    // Each counts on its flows, busybox's included: the server answers from a port of its own, to which the applet
    // then connect()s, and both flows of that socket are the transfer's, whenever the connect is seen.
    for (const id of ['an1170-cron-python-ftplib', 'an1170-cron-renamed-scp', 'an1170-cron-busybox-tftp']) {
      expect(ownAlerts(id)[0]!.evidence.facts.volumeFrom, id).to.equal('flow byte counts');
    }
  });

  it('AN1170: bytes are counted per flow of the process that opened it, and summed per job', function () {
    expect(scenario('an1170-benign-cron-tiny-during-interactive').alerts).to.deep.equal([]);
    const chunked = ownAlerts('an1170-cron-chunked-scp')[0]!;
    expect(chunked.evidence.facts.transfersInJob).to.be.greaterThan(1);
    expect(chunked.evidence.flows!.length).to.equal(chunked.evidence.facts.transfersInJob);
  });
});
