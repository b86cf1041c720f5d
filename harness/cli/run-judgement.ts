// `purple run`'s judging and CI flags, kept apart from the rest of run.ts: --fail-on, --waivers, --wide,
// --github-summary; the [k/N] progress line; what the judge needs recorded in the report.
import { appendFileSync, statSync } from 'node:fs';
import { styleText } from 'node:util';
import type { AnyDetector } from '../../detectors/registry.js';
import type { FailOn, RunReport, ScenarioResult } from '../run/results.js';
import { loadWaivers, WaiverFileError, type Waiver } from '../run/judge/index.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { formatMs } from '../../reports/model.js';
import { visible } from '../../reports/sanitize.js';
import { UsageError } from './command.js';

export const JUDGEMENT_OPTIONS = {
  'fail-on': { type: 'string', default: 'expectation' },
  waivers: { type: 'string' },
  wide: { type: 'boolean', default: false },
  'github-summary': { type: 'boolean', default: false },
} as const;

export const JUDGEMENT_USAGE = `  --wide                  the full table: a row per scenario and analytic (default: compact, fits $COLUMNS)
  --fail-on WHAT          expectation (default): any unmet expectation exits 1;
                          regression: only regressions against --baseline (and errors) exit 1
  --waivers FILE          accepted gaps (scenario, analytic or rule, reason, expires): a waived failure
                          is reported as waived and passes; an expired waiver fails the run
  --github-summary        append report.md to $GITHUB_STEP_SUMMARY (the GitHub Actions job summary)`;

export interface Judgement {
  failOn: FailOn;
  waivers: Waiver[];
}

export function judgementFlags(
  values: { 'fail-on'?: string; waivers?: string; 'github-summary'?: boolean },
  hasBaseline: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Judgement {
  const failOn = values['fail-on'] ?? 'expectation';
  if (failOn !== 'expectation' && failOn !== 'regression') throw new UsageError(`--fail-on must be expectation or regression (got "${failOn}")`);
  if (failOn === 'regression' && !hasBaseline) throw new UsageError('--fail-on regression needs --baseline FILE: regressions are judged against a baseline run');
  if (values['github-summary'] && !env.GITHUB_STEP_SUMMARY) {
    throw new UsageError('--github-summary: $GITHUB_STEP_SUMMARY is not set (GitHub Actions sets it in every job step)');
  }
  let waivers: Waiver[] = [];
  if (values.waivers) {
    try {
      waivers = loadWaivers(values.waivers);
    } catch (err) {
      if (err instanceof WaiverFileError) throw new UsageError(err.message);
      throw err;
    }
  }
  return { failOn, waivers };
}

/** The report with how it is judged and each analytic's defaults recorded, so `purple report` judges it the same way later. */
export function judged(report: RunReport, judgement: Judgement, defaults: Record<string, Record<string, unknown>>): RunReport {
  const withDefaults = { ...report, config: { ...report.config, defaults } };
  if (judgement.failOn === 'expectation' && !judgement.waivers.length) return withDefaults;
  return { ...withDefaults, judgement };
}

/** Each detector's thresholds with no override and no host-wide setting: what "changed" is measured against. */
export function ruleDefaults(detectors: readonly AnyDetector[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(detectors.map((d) => [d.analytic.id, structuredClone(d.configure({}, { trustedCidrs: [], standardUsers: [] }))]));
}

/** "[3/16] an1214-perl-xor-archive: detected (422 ms)" as each scenario run ends. */
export function progressLine(done: number, total: number, result: ScenarioResult, color: boolean): string {
  const own = result.verdicts.find((v) => v.analytic === result.analytic);
  const verdict = own?.verdict ?? result.verdict;
  const others = result.verdicts.filter((v) => v.analytic !== result.analytic && v.verdict === 'false-alarm').map((v) => `false alarm ${v.analytic}`);
  const met = verdict === 'detected' || verdict === 'quiet';
  const word = verdict === 'false-alarm' ? 'false alarm' : verdict;
  const painted = color ? styleText(met && !others.length ? 'green' : verdict === 'incomplete' ? 'yellow' : 'red', word, { validateStream: false }) : word;
  const latency = own?.latencyMs !== null && own?.latencyMs !== undefined ? ` (${formatMs(own.latencyMs)})` : '';
  const where = result.repetition !== undefined ? ` #${result.repetition}` : '';
  return `[${done}/${total}] ${visible(result.id)}${where}: ${painted}${latency}${others.length ? `; ${others.join(', ')}` : ''}`;
}

/** GitHub shows at most 1 MiB of a step's summary. */
const GITHUB_SUMMARY_LIMIT = 1024 * 1024 - 1024;

export function writeGithubSummary(report: RunReport, enabled: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (!enabled || !env.GITHUB_STEP_SUMMARY) return;
  let text = renderMarkdown(report);
  const used = (() => {
    try {
      return statSync(env.GITHUB_STEP_SUMMARY).size;
    } catch {
      return 0;
    }
  })();
  const room = GITHUB_SUMMARY_LIMIT - used;
  if (Buffer.byteLength(text) > room) {
    const note = '\n\n_The summary was cut to fit GitHub\'s 1 MiB limit: see report.md in the run folder._\n';
    text = Buffer.from(text).subarray(0, Math.max(0, room - note.length)).toString('utf8').replace(/\uFFFD$/, '') + note;
  }
  appendFileSync(env.GITHUB_STEP_SUMMARY, text);
}
