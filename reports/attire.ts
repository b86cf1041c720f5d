// attire.json: the run's executions in the ATTiRe log format v1.1 (SecurityRiskAdvisors/ATTiRe, the
// format VECTR imports): one procedure per scenario run, one step per StepOutcome.
import { createHash } from 'node:crypto';
import type { RunReport, ScenarioResult, StepOutcome } from '../harness/run/results.js';
import { groupScenarios, scenarioLabeller, tallyLabel, verdictLabel } from '../harness/run/judge/index.js';
import { visible } from './sanitize.js';

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
}

export interface AttireLog {
  'attire-version': '1.1';
  'execution-data': {
    'execution-command': string;
    'execution-id': string;
    'execution-source': string;
    'execution-category': { name: string; abbreviation: string };
    target: { host: string; ip: string; path: string; user: string };
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
      // The run targets containers; the report does not record an address, so ip stays empty rather than guessed.
      target: { host: report.environment.target, ip: '', path: '', user: users.join(',') },
      // The log describes a finished run; its generation time is the run's end (keeps rendering pure).
      'time-generated': utc(report.finished),
    },
    procedures: report.scenarios.map((run, i) => procedure(run, i + 1, tallies.get(label(run)) ?? '')),
  };
}

function procedure(run: ScenarioResult, order: number, tally: string): AttireProcedure {
  const rep = run.repetition !== undefined ? ` (repetition ${run.repetition})` : '';
  const inputs = Object.entries(run.inputs).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  return {
    'procedure-name': `${run.name}${rep}`,
    'procedure-description':
      `purple scenario ${run.id} (${run.kind}${run.twinOf ? `, benign twin of ${run.twinOf}` : ''}) validating ${run.analytic} / ${run.technique}. ` +
      `Result: ${verdictLabel(run.verdict)}${tally ? `; across repetitions: ${tally}` : ''}.` +
      (inputs ? ` Inputs: ${inputs}.` : '') +
      (run.error ? ` Error: ${run.error}` : ''),
    // Stable per scenario, so VECTR tracks the same procedure across runs and repetitions.
    'procedure-id': { type: 'guid', id: stableGuid(`purple-scenario:${run.id}`) },
    'mitre-technique-id': run.technique,
    order,
    steps: run.steps.map((step, i) => attireStep(step, i + 1)),
    'x-purple-verdicts': run.verdicts.map((v) => ({ analytic: v.analytic, expectation: v.expectation, verdict: v.verdict, reason: v.reason })),
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
