// The whole shipped suite against real Docker and auditd: every scenario runs, its telemetry is
// really collected, the verdicts are right, replay agrees with the live run (same alerts, same files selected for
// their content), nothing is left.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { RunReport, ScenarioResult } from '../../harness/run/results.js';
import type { FileArtifact } from '../../harness/telemetry/types.js';
import { ConntrackParser } from '../../harness/telemetry/conntrack.js';
import { ancestry, leftovers, purple, readReport, savedEvents, tempDir } from './helpers.js';

describe('purple run over every shipped scenario (real Docker + auditd)', function () {
  let out: string;
  let report: RunReport;
  let exitCode: number | undefined;
  let output: string;

  before(async function () {
    out = tempDir('suite');
    const r = await purple(['run', '--parallel', '4', '--out', out, '--quiet']);
    exitCode = r.exitCode;
    output = String(r.all);
    report = readReport(out);
  });

  const scenario = (id: string): ScenarioResult => {
    const s = report.scenarios.find((x) => x.id === id);
    if (!s) throw new Error(`no result for ${id}`);
    return s;
  };
  const dirOf = (id: string) => path.join(out, scenario(id).dir);
  const context = (id: string) => JSON.parse(readFileSync(path.join(dirOf(id), 'context.json'), 'utf8')) as { addresses: Record<string, string> };

  it('meets every expectation and exits 0', function () {
    const failed = report.scenarios.flatMap((s) => s.verdicts.filter((v) => !['detected', 'quiet'].includes(v.verdict)).map((v) => `${s.id}/${v.analytic}: ${v.verdict}: ${v.reason}`));
    expect(failed, output).to.deep.equal([]);
    expect(exitCode, output).to.equal(0);
    expect(report.scenarios.filter((s) => s.kind === 'emulation').every((s) => s.verdict === 'detected')).to.equal(true);
    expect(report.scenarios.filter((s) => s.kind === 'benign').every((s) => s.verdict === 'quiet')).to.equal(true);
  });

  it('saw scp run from cron with no TTY, connect to the sink, and the flow carry the volume', async function () {
    const id = 'an1170-cron-scp-exfil';
    const events = await savedEvents(dirOf(id));
    const scp = events.find((e) => e.syscall === 'execve' && e.process.exe?.endsWith('/scp'));
    expect(scp, 'execve of scp').to.not.equal(undefined);
    expect(scp!.process.tty).to.equal(null);
    expect(ancestry(events, scp!.process.pid!)).to.include('cron');
    const sink = context(id).addresses.sink;
    expect(events.some((e) => e.syscall === 'connect' && e.socket?.addr === sink && e.socket?.port === 22), `connect to ${sink}:22`).to.equal(true);
    const parser = new ConntrackParser();
    const sent = readFileSync(path.join(dirOf(id), 'flows.conntrack'), 'utf8')
      .split('\n')
      .map((l) => parser.push(l))
      .filter((f) => f && f.dst === sink)
      .reduce((max, f) => Math.max(max, f!.bytesOut), 0);
    expect(sent).to.be.greaterThan(20 * 1024 * 1024);
  });

  it('saw the XOR archive created, with high entropy and no compression header', async function () {
    const id = 'an1214-python-xor-archive';
    const events = await savedEvents(dirOf(id));
    const artifacts = JSON.parse(readFileSync(path.join(dirOf(id), 'artifacts.json'), 'utf8')) as FileArtifact[];
    const archive = artifacts.find((a) => a.entropy > 7.5 && a.format === null);
    expect(archive, JSON.stringify(artifacts.map((a) => [a.path, a.entropy]))).to.not.equal(undefined);
    const created = events.some((e) => e.files.some((f) => f.nametype === 'CREATE' && f.name !== null && archive!.path.endsWith(path.basename(f.name))));
    expect(created, `PATH CREATE record for ${archive!.path}`).to.equal(true);
  });

  it('saw the padded binary created by one user and executed by another', async function () {
    const id = 'an1529-padded-binary-exec';
    const events = await savedEvents(dirOf(id));
    const artifacts = JSON.parse(readFileSync(path.join(dirOf(id), 'artifacts.json'), 'utf8')) as FileArtifact[];
    const binary = artifacts.find((a) => a.format === 'elf' && a.size >= 20 * 1024 * 1024);
    expect(binary, 'a large ELF artifact').to.not.equal(undefined);
    const creation = events.find((e) => e.files.some((f) => f.nametype === 'CREATE' && f.name !== null && binary!.path.endsWith(path.basename(f.name))));
    const exec = events.find((e) => e.syscall === 'execve' && e.process.exe === binary!.path);
    expect(creation, 'creation event').to.not.equal(undefined);
    expect(exec, 'execve of the binary').to.not.equal(undefined);
    expect(exec!.process.uid).to.not.equal(creation!.process.uid);
  });

  it('leaves no container, network or audit rule behind', async function () {
    const left = await leftovers(report.run_id);
    expect(left).to.deep.equal({ containers: '', networks: '', rules: '' });
  });

  type Replayed = { scenarios: { id: string; alerts: { analytic: string; summary: string }[]; stats: { content: { selected: string[] } } }[] };
  let replaying: Promise<Replayed> | undefined;
  const replayRun = () =>
    (replaying ??= purple(['replay', '--run', out, '--format', 'json']).then((r) => {
      expect(r.exitCode, String(r.all)).to.equal(0);
      return JSON.parse(String(r.stdout)) as Replayed;
    }));

  it('gives the same alerts on replay of the saved telemetry as live', async function () {
    const replayed = await replayRun();
    for (const s of report.scenarios) {
      const again = replayed.scenarios.find((x) => x.id === s.id || x.id === path.basename(s.dir));
      expect(again, `replay of ${s.id}`).to.not.equal(undefined);
      const key = (alerts: { analytic: string; summary: string }[]) => alerts.map((a) => `${a.analytic}: ${a.summary}`).sort();
      expect(key(again!.alerts), s.id).to.deep.equal(key(s.alerts));
    }
  });

  it('selects the same files for their content on replay as live, per scenario', async function () {
    const replayed = await replayRun();
    for (const s of report.scenarios) {
      const again = replayed.scenarios.find((x) => x.id === s.id || x.id === path.basename(s.dir))!;
      const live = JSON.parse(readFileSync(path.join(out, s.dir, 'content-selected.json'), 'utf8')) as string[];
      expect(again.stats.content.selected, s.id).to.deep.equal(live);
      // Every file read live was one the selection named (the rest were gone before they could be read).
      const read = (JSON.parse(readFileSync(path.join(out, s.dir, 'artifacts.json'), 'utf8')) as FileArtifact[]).map((a) => a.path);
      expect(live, s.id).to.include.members(read);
    }
    // The selection is not trivially empty: the archive, the padded binary and the uploaded file are among them.
    const selected = (id: string) => replayed.scenarios.find((x) => x.id === id)!.stats.content.selected;
    expect(selected('an1214-python-xor-archive')).to.include('/tmp/.thumbnails.db');
    expect(selected('an1529-padded-binary-exec').some((p) => p.endsWith('/update-agent'))).to.equal(true);
    expect(selected('an1170-cron-scp-exfil').some((p) => p.endsWith('.tar.enc'))).to.equal(true);
  });

  it('writes every report format', function () {
    for (const file of ['report.json', 'report.html', 'report.md', 'junit.xml', 'attack-layer.json', 'attire.json']) {
      expect(readFileSync(path.join(out, file), 'utf8').length, file).to.be.greaterThan(100);
    }
  });
});
