// attire.json: the run's executions in the ATTiRe log format v1.1 (SecurityRiskAdvisors/ATTiRe, the
// format VECTR imports): one procedure per scenario run, one step per StepOutcome.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { RunReport, ScenarioResult, StepOutcome } from '../harness/run/results.js';
import { groupScenarios, scenarioLabeller, tallyLabel, verdictLabel } from '../harness/run/judge/index.js';

export interface AttireOutput {
  content: string;
  level: string;
  type: string;
}

export interface AttireStep {
  order: number;
  'time-start': string;
  'time-stop': string;
  executor: string;
  command: string;
  'process-id'?: number;
  'exit-code'?: number;
  output: AttireOutput[];
}

export interface AttireProcedure {
  'procedure-name': string;
  'procedure-description': string;
  'procedure-id': { type: 'guid'; id: string };
  'mitre-technique-id': string;
  order: number;
  steps: AttireStep[];
  /** Not part of ATTiRe 1.1 (additional properties are allowed): what the detection side concluded. */
  'x-purple-verdicts': { analytic: string; expectation: string; verdict: string; reason: string }[];
  /** The user(s) the procedure's steps ran as (ATTiRe's own `target.user` is one per log). */
  'x-purple-user': string;
  /** Benign twins are procedures that must NOT be detected. */
  'x-purple-kind': 'emulation' | 'benign';
}

export interface AttireLog {
  'attire-version': '1.1';
  'execution-data': {
    'execution-command': string;
    'execution-id': string;
    'execution-source': string;
    'execution-category': { name: string; abbreviation: string };
    /** `ip` only when the target was named by a valid address: never a guess, never empty. */
    target: { host: string; ip?: string; path: string; user: string };
    'time-generated': string;
  };
  procedures: AttireProcedure[];
}

export function renderAttire(report: RunReport): string {
  return JSON.stringify(buildAttire(report), null, 2) + '\n';
}

export function buildAttire(report: RunReport): AttireLog {
  const tallies = new Map(groupScenarios(report).map((g) => [g.label, g.expectations.map((e) => `${e.analytic} ${tallyLabel(e)}`).join('; ')]));
  const label = scenarioLabeller(report);
  const users = [...new Set(report.scenarios.flatMap((s) => s.steps.map((st) => st.user)))];
  return {
    'attire-version': '1.1',
    'execution-data': {
      'execution-command': report.command ?? 'purple run',
      'execution-id': report.run_id,
      'execution-source': 'purple',
      'execution-category': { name: 'purple detection validation', abbreviation: 'PRPL' },
      target: attireTarget(report, users),
      // The log describes a finished run; its generation time is the run's end (keeps rendering pure).
      'time-generated': utc(report.finished),
    },
    procedures: report.scenarios.map((run, i) => procedure(run, i + 1, tallies.get(label(run)) ?? '')),
  };
}

/** The host name of the run's target (`ssh://u@build-2:22` → build-2, `docker://vm` → vm), the address only when it is one. */
function attireTarget(report: RunReport, users: string[]): AttireLog['execution-data']['target'] {
  const targets = [...new Set(report.scenarios.map((s) => s.target ?? report.environment.target))];
  const one = targets.length === 1 ? targets[0]! : report.environment.target.includes(' ') ? '' : report.environment.target;
  let host = report.environment.host;
  try {
    if (one) host = new URL(one).hostname.replace(/^\[|\]$/g, '') || host;
  } catch {
    // not a URI: keep the harness host's name
  }
  const target: AttireLog['execution-data']['target'] = { host, path: '', user: users.join(',') };
  if (isIP(host)) target.ip = host;
  return target;
}

function procedure(run: ScenarioResult, order: number, tally: string): AttireProcedure {
  const rep = run.repetition !== undefined ? ` (repetition ${run.repetition})` : '';
  const verdict = run.verdicts.find((v) => v.analytic === run.analytic);
  const inputs = Object.entries(run.inputs).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return {
    'procedure-name': `${run.name}${run.kind === 'benign' ? ` (benign twin of ${run.twinOf ?? '?'})` : ''}${rep}`,
    'procedure-description':
      `purple scenario ${run.id} (${run.kind === 'benign' ? `BENIGN TWIN of ${run.twinOf ?? '?'}: must not alert` : 'emulation: must alert'}) validating ${run.analytic} / ${run.technique}. ` +
      `Result: ${verdictLabel(run.verdict)}${verdict ? ` (${verdict.expectation === 'alert' ? 'alert expected' : 'no alert expected'}: ${verdict.reason})` : ''}${tally ? `; across repetitions: ${tally}` : ''}.` +
      (inputs ? ` Inputs: ${inputs}.` : '') +
      (run.error ? ` Error: ${run.error}` : ''),
    // Stable per scenario, so VECTR tracks the same procedure across runs and repetitions.
    'procedure-id': { type: 'guid', id: stableGuid(`purple-scenario:${run.id}`) },
    'mitre-technique-id': run.technique,
    order,
    steps: run.steps.map((step, i) => attireStep(step, i + 1)),
    'x-purple-verdicts': run.verdicts.map((v) => ({ analytic: v.analytic, expectation: v.expectation, verdict: v.verdict, reason: v.reason })),
    'x-purple-user': [...new Set(run.steps.map((s) => s.user))].join(','),
    'x-purple-kind': run.kind,
  };
}

function attireStep(step: StepOutcome, order: number): AttireStep {
  const output: AttireOutput[] = [];
  if (step.stdoutTail) output.push({ content: step.stdoutTail, level: 'STDOUT', type: 'console' });
  if (step.stderrTail) output.push({ content: step.stderrTail, level: 'STDERR', type: 'console' });
  if (step.timedOut) output.push({ content: `step "${step.name}" timed out`, level: 'ERROR', type: 'purple' });
  const result: AttireStep = {
    order,
    'time-start': utc(step.started),
    'time-stop': utc(step.finished),
    executor: `${step.launch} as ${step.user} in ${step.container}`,
    command: step.command ?? step.name,
    output,
  };
  if (typeof step.pid === 'number') result['process-id'] = step.pid;
  if (step.exitCode !== null) result['exit-code'] = step.exitCode;
  return result;
}

/** ATTiRe times are ISO-8601 UTC with milliseconds ("2021-10-27T02:02:23.000Z"). */
function utc(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}

/** A name-based (version 5 layout) UUID from SHA-1, so the same scenario always gets the same GUID. */
export function stableGuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
