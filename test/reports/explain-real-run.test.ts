// Issue 17 on one real run (real Docker, auditd, conntrack): a miss and a false alarm say why in numbers in
// every format and in replay, and the configuration shows the changed thresholds in human units. A --config
// raises AN1170's TransferSizeThreshold to 1 GB (the cron scp of ~20 MB is missed) and lowers AN1529's
// FileSizeThresholdMB to 0 (alice running her own small binary becomes a false alarm).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { validateReport } from '../../reports/index.js';
import { CLI, readReport, tempDir } from '../run/helpers.js';

const MISSED = 'an1170-cron-scp-exfil';
const FALSE_ALARM = 'an1529-benign-user-binary';

function cli(args: string[], env: Record<string, string> = {}) {
  return execa('node', [CLI, ...args], { reject: false, timeout: 600_000, env: { NO_COLOR: '1', ...env } });
}

/** Wrapped lines joined again, so a phrase split by the width is found. */
const flat = (text: string) => text.replace(/\n\s*/g, ' ');

describe('a miss and a false alarm say why in numbers, on a real run (issue 17)', function () {
  this.timeout(900_000);
  let runDir: string;
  let config: string;
  let run: Awaited<ReturnType<typeof cli>>;

  before(async function () {
    const work = tempDir('issue17-why');
    runDir = path.join(work, 'run');
    config = path.join(work, 'thresholds.yaml');
    writeFileSync(config, 'analytics:\n  AN1170:\n    TransferSizeThreshold: 1GB\n  AN1529:\n    FileSizeThresholdMB: 0\n');
    run = await cli(['run', MISSED, FALSE_ALARM, '--parallel', '2', '--config', config, '--out', runDir], { COLUMNS: '80' });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).to.equal(1);
  });

  it('report.json: the miss names its nearest candidate with the volume against TransferSizeThreshold; the alert its conditions', function () {
    const report = readReport(runDir);
    expect(validateReport(JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')))).to.deep.equal([]);
    const miss = report.scenarios.find((s) => s.id === MISSED)!.verdicts.find((v) => v.analytic === 'AN1170')!;
    expect(miss.verdict).to.equal('missed');
    const failed = miss.nearMisses![0]!.conditions[0]!;
    expect(failed).to.deep.include({ measure: 'bytes sent', op: '>', threshold: 'TransferSizeThreshold', limit: 1024 ** 3, unit: 'bytes', met: false });
    expect(failed.observed as number).to.be.within(15 * 1024 ** 2, 30 * 1024 ** 2);
    expect(miss.nearMisses![0]!.conditions.find((c) => c.measure === 'launched by')).to.deep.include({ observed: 'cron', met: true });
    const alarm = report.scenarios.find((s) => s.id === FALSE_ALARM)!;
    expect(alarm.verdicts.find((v) => v.analytic === 'AN1529')!.verdict).to.equal('false-alarm');
    const size = alarm.alerts.find((a) => a.analytic === 'AN1529')!.evidence.conditions!.find((c) => c.threshold === 'FileSizeThresholdMB')!;
    expect(size).to.deep.include({ limit: 0, met: true });
    expect(report.config.defaults?.AN1170?.TransferSizeThreshold).to.equal(10 * 1024 ** 2);
  });

  it('the terminal (80 columns), Markdown, HTML and JUnit say it in human units', async function () {
    const missWhy = /bytes sent \d+\.\d MB ≤ TransferSizeThreshold 1\.00 GB \(failed\)/;
    const out = String(run.stdout);
    for (const line of out.split('\n')) expect([...line].length, line).to.be.at.most(80);
    expect(flat(out)).to.match(missWhy);
    expect(flat(out)).to.match(/fired because .*size \d+ KB ≥ FileSizeThresholdMB 0 B/);
    expect(flat(out)).to.include('AN1170 TransferSizeThreshold: 1.00 GB (1073741824 bytes); default 10.0 MB');
    const wide = await cli(['report', runDir, '--wide'], { COLUMNS: '120' });
    expect(flat(String(wide.stdout))).to.match(missWhy);

    const md = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    expect(md).to.match(/bytes sent \d+\.\d MB ≤ TransferSizeThreshold 1\.00 GB \(failed\)/);
    expect(md).to.include('| AN1170 | TransferSizeThreshold | 1.00 GB (1073741824 bytes) (changed) | 10.0 MB (10485760 bytes) |');
    const html = readFileSync(path.join(runDir, 'report.html'), 'utf8');
    expect(html).to.match(/bytes sent \d+\.\d MB ≤ TransferSizeThreshold 1\.00 GB \(failed\)/);
    expect(html).to.include('<code class="changed">1.00 GB (1073741824 bytes)</code>');
    const junit = readFileSync(path.join(runDir, 'junit.xml'), 'utf8');
    expect(junit).to.match(/<failure message="[^"]*bytes sent \d+\.\d MB ≤ TransferSizeThreshold 1\.00 GB \(failed\)[^"]*" type="missed-detector"/);
    expect(junit).to.match(/<failure message="false alarm: [^"]*fired because [^"]*FileSizeThresholdMB 0 B/);
  });

  it('replay --run gives the same explanation next to its counters', async function () {
    const r = await cli(['replay', '--run', runDir, '--config', config, '--format', 'table'], { COLUMNS: '200' });
    expect(r.exitCode, String(r.stderr)).to.equal(0);
    expect(String(r.stdout)).to.match(/ {2}near miss: scp \(pid \d+, uid \d+\) sent \d+\.\d MB to [\d.]+:22: .*bytes sent \d+\.\d MB ≤ TransferSizeThreshold 1\.00 GB \(failed\)/);
    const json = await cli(['replay', '--run', runDir, '--config', config, '--format', 'json']);
    const scenario = JSON.parse(String(json.stdout)).scenarios.find((s: { id: string }) => s.id === MISSED);
    expect(scenario.stats.engine.nearMisses.AN1170[0].conditions[0].threshold).to.equal('TransferSizeThreshold');
  });
});
