// A whole run: per target (the local Docker engine, or each SSH host) its collectors and its
// scenarios in parallel (each on its own network or work dir), then one report every renderer
// reads. Whatever happens, the run's rules, containers and work dirs are removed.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { AUDIT_LOG, AuditCollector } from '../collectors/audit-collector.js';
import { FlowCollector } from '../collectors/flow-collector.js';
import type { Scenario, InputValue } from '../scenario/types.js';
import type { ScenarioTarget } from './target.js';
import type { HostTransport } from '../host/transport.js';
import type { SharedConfig } from '../../detectors/types.js';
import { detectorNeeds, detectors } from '../../detectors/engine.js';
import { summarizeAnalytics } from './judge/coverage.js';
import { hostInfo } from './host-info.js';
import type { RunReport, ScenarioResult } from './results.js';
import { runScenario, type ScenarioRunContext } from './scenario-run.js';
import { markRunAlive, markRunEnded } from './live-runs.js';
import { asScenario, failureLabel, type HarnessFailure } from './guard.js';
import { WarmPool } from './warm-pool.js';

export interface PlannedScenario {
  scenario: Scenario;
  inputs: Record<string, InputValue>;
}

/** One place scenarios run: its transport for the collectors, and a fresh ScenarioTarget per scenario. */
export interface RunTarget {
  uri: string;
  transport: HostTransport;
  createTarget: (runId: string, slug: string) => ScenarioTarget;
  scenarios: PlannedScenario[];
  /** Called before the target's collectors start, with the run id and the key of its audit rules. */
  /** `slugSuffix` ends the names of this target's scenario slugs (work dirs), e.g. `-t2` when a run has several targets. */
  prepare?: (runId: string, auditKey: string, slugSuffix: string) => Promise<void>;
  /** The machine the scenarios ran on, when it is not this one (a host target). */
  describe?: () => Promise<{ host: string; kernel: string; auditd: string | null }>;
  /** Why the target became unreachable during the run (a dropped connection), if it did. */
  lost?: () => string | undefined;
  /** Called once the target's collectors are stopped (closes its connection). */
  close?: () => Promise<void>;
  /**
   * Whether the next scenarios' targets may be started before their turn: only where removing them is all the undo
   * there is, even when the run is cut (local containers). A host's work dirs are made in their turn, so after a
   * dropped connection the guardian knows every one.
   */
  prepareAhead?: boolean;
}

export interface SuiteOptions {
  /** The local engine, for the report's environment (null when no scenario runs in containers). */
  docker: Dockerode | null;
  targets: RunTarget[];
  runId?: string;
  runDir: string;
  /** Scenarios at once, per target. */
  parallel: number;
  repeat: number;
  shared: SharedConfig;
  overrides: Record<string, Record<string, unknown>>;
  thresholds: Record<string, Record<string, unknown>>;
  analytics: Map<string, string>;
  signal: AbortSignal;
  command: string;
  /** What the host's own configuration hides or risks (purple doctor's warnings), carried into the report. */
  hostWarnings?: string[];
  /** Failures the run's guard caught (harness/run/guard.ts), read when the report is made. */
  harnessFailures?: readonly HarnessFailure[];
  progress: (scenario: string, message: string) => void;
  /** Called as each scenario run ends, with its result (the CLI's "[k/N] scenario: verdict" line). */
  onScenarioDone?: (result: ScenarioResult) => void;
  /** The user's Sigma rules and external detectors, and whether the built-ins are off. */
  byod?: ScenarioRunContext['byod'];
  noBuiltin?: boolean;
}

/** A run id, as newRunId() makes them; audit rule keys and names may add a suffix after it. */
export const RUN_ID_PATTERN = /\d{8}-\d{6}-[0-9a-f]{4}/;

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function runSuite(options: SuiteOptions): Promise<RunReport> {
  const runId = options.runId ?? newRunId();
  mkdirSync(options.runDir, { recursive: true });
  const started = new Date();
  const warnings: string[] = [...(options.hostWarnings ?? [])];
  const results: ScenarioResult[] = [];
  const loadedRules: string[] = [];
  const several = options.targets.length > 1;
  markRunAlive(runId);
  try {
    await Promise.all(
      options.targets.map(async (target, index) => {
        const suffix = several ? `-t${index + 1}` : '';
        const say = (w: string) => warnings.push(several ? `${target.uri}: ${w}` : w);
        try {
          const outcome = await runTarget(options, runId, target, suffix, say);
          results.push(...outcome.results);
          loadedRules.push(...outcome.rules.map((r) => (several ? `${target.uri}: ${r}` : r)));
        } catch (err) {
          say(`${target.scenarios.length} scenario(s) did not run: ${(err as Error).message}`);
        } finally {
          await target.close?.().catch(() => undefined);
        }
      }),
    );
  } finally {
    markRunEnded(runId);
  }
  if (options.signal.aborted) warnings.push(`run interrupted: ${String((options.signal.reason as Error)?.message ?? '')}`);
  for (const failure of options.harnessFailures ?? []) chargeFailure(results, failure, warnings);
  const order = options.targets.flatMap((t) => t.scenarios.map((s) => s.scenario.id));
  const targetOrder = options.targets.map((t) => t.uri);
  results.sort(
    (a, b) =>
      order.indexOf(a.id) - order.indexOf(b.id) ||
      targetOrder.indexOf(a.target ?? '') - targetOrder.indexOf(b.target ?? '') ||
      (a.repetition ?? 0) - (b.repetition ?? 0),
  );
  return {
    schema_version: 1,
    run_id: runId,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    environment: await environmentOf(options, targetOrder.join(' ')),
    auditRules: loadedRules,
    config: {
      trustedCidrs: options.shared.trustedCidrs,
      standardUsers: options.shared.standardUsers,
      thresholds: options.thresholds,
      // Each detector's own defaults, so reports mark what this run changed.
      defaults: Object.fromEntries(detectors.filter((d) => d.analytic.id in options.thresholds).map((d) => [d.analytic.id, structuredClone(d.defaults) as Record<string, unknown>])),
    },
    scenarios: results,
    analytics: summarizeAnalytics(results),
    baseline: null,
    command: options.command,
    warnings,
  };
}

/** The local machine's facts, or the one remote host's when the run had a single host target. */
async function environmentOf(options: SuiteOptions, target: string): Promise<RunReport['environment']> {
  const local = await hostInfo(options.docker, target);
  const only = options.targets.length === 1 ? options.targets[0]!.describe : undefined;
  if (!only) return local;
  try {
    return { ...local, ...(await only()) };
  } catch {
    return local;
  }
}

/** One target: its collectors, its scenarios through a pool, its rules removed at the end. */
async function runTarget(
  options: SuiteOptions,
  runId: string,
  target: RunTarget,
  keySuffix: string,
  warn: (warning: string) => void,
): Promise<{ results: ScenarioResult[]; rules: string[] }> {
  const audit = new AuditCollector(runId, AUDIT_LOG, target.transport, keySuffix, detectorNeeds());
  const flows = new FlowCollector(undefined, target.transport.root);
  const results: ScenarioResult[] = [];
  const slugSuffix = keySuffix;
  const pool = new WarmPool((slug) => target.createTarget(runId, slug));
  try {
    await target.prepare?.(runId, audit.key, slugSuffix);
    await audit.start();
    await flows.start();
    if (flows.problem) warn(`flow collection: ${flows.problem}`);
    const ctx: ScenarioRunContext = {
      runId,
      runDir: options.runDir,
      audit,
      flows,
      createTarget: (slug) => pool.take(slug),
      shared: options.shared,
      overrides: options.overrides,
      analytics: options.analytics,
      signal: options.signal,
      progress: options.progress,
      ...(options.byod ? { byod: options.byod } : {}),
      ...(options.noBuiltin ? { noBuiltin: true } : {}),
    };
    const queue = target.scenarios.flatMap((s) =>
      Array.from({ length: options.repeat }, (_, i) => ({
        ...s,
        slug: (options.repeat > 1 ? `${s.scenario.id}-r${i + 1}` : s.scenario.id) + slugSuffix,
        repetition: options.repeat > 1 ? i + 1 : undefined,
      })),
    );
    // While `parallel` scenarios run, the targets of the next `parallel` ones are prepared; a
    // scenario's result is final once its containers are removed, which its worker does not wait for.
    const ahead = Math.max(1, options.parallel);
    const finishing: Promise<void>[] = [];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (options.signal.aborted) break;
        if (target.prepareAhead) for (const coming of queue.slice(0, ahead)) pool.prepare(coming.slug, coming.scenario);
        const run = next;
        const result = await asScenario(run.slug, () => runScenario(ctx, run));
        finishing.push(
          pool.removed(run.slug).then((failures) => {
            if (failures.length) chargeCleanupFailure(result, failures);
            results.push(result);
            options.onScenarioDone?.(result);
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, worker));
    await Promise.all(finishing);
  } finally {
    const unremoved = await pool.drain();
    if (unremoved.length) warn(`could not remove: ${unremoved.join('; ')}`);
    await flows.stop();
    const leftovers = await audit.stop();
    const lost = target.lost?.();
    if (lost) warn(lost);
    else if (leftovers.length) warn(`audit rules that could not be removed: ${leftovers.join('; ')}`);
    const parsed = audit.parserStats;
    if (parsed.malformed > 0) warn(`${parsed.malformed} audit log lines could not be parsed (first at lines ${parsed.malformedLines.slice(0, 5).join(', ')})`);
  }
  return { results, rules: audit.loadedRules };
}

/** What a scenario's teardown could not remove makes it an error, as a failed step would. */
function chargeCleanupFailure(result: ScenarioResult, failures: string[]): void {
  const reason = [result.error, `cleanup: ${failures.join('; ')}`].filter(Boolean).join('; ');
  result.error = reason;
  result.verdict = 'error';
  result.verdicts = result.verdicts.map((v) => ({ ...v, verdict: 'error', reason, failedLayer: null }));
}

/** A harness error is a run-level warning, and the error of the scenario whose work raised it, in every output. */
function chargeFailure(results: ScenarioResult[], failure: HarnessFailure, warnings: string[]): void {
  const label = failureLabel(failure);
  warnings.push(label);
  const hit = failure.scenario === null ? undefined : results.find((r) => r.dir === path.join('scenarios', failure.scenario!));
  if (!hit) return;
  // It may already say so: the run was stopped with the failure as its reason.
  hit.error = hit.error?.includes(label) ? hit.error : [label, hit.error].filter(Boolean).join('; ');
  hit.verdict = 'error';
  hit.latency_ms = null;
  hit.verdicts = hit.verdicts.map((v) => ({ ...v, verdict: 'error', reason: label, failedLayer: null, latencyMs: null }));
}
