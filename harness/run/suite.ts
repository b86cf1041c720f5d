// A whole run: the shared collectors, the scenarios in parallel (each on its own network), and
// the report every renderer reads. Whatever happens, the run's rules and containers are removed.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { AuditCollector } from '../collectors/audit-collector.js';
import { FlowCollector } from '../collectors/flow-collector.js';
import type { Role, Scenario, InputValue } from '../scenario/types.js';
import type { SharedConfig } from '../../detectors/types.js';
import { summarizeAnalytics } from '../../reports/coverage.js';
import { hostInfo } from './host-info.js';
import type { RunReport, ScenarioResult } from './results.js';
import { runScenario, type ScenarioRunContext } from './scenario-run.js';
import { markRunAlive, markRunEnded } from './live-runs.js';

export interface SuiteOptions {
  docker: Dockerode;
  scenarios: { scenario: Scenario; inputs: Record<string, InputValue> }[];
  runId?: string;
  runDir: string;
  parallel: number;
  repeat: number;
  imageFor: (role: Role) => string;
  shared: SharedConfig;
  overrides: Record<string, Record<string, unknown>>;
  thresholds: Record<string, Record<string, unknown>>;
  analytics: Map<string, string>;
  signal: AbortSignal;
  command: string;
  /** What the host's own configuration hides or risks (purple doctor's warnings), carried into the report. */
  hostWarnings?: string[];
  progress: (scenario: string, message: string) => void;
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function runSuite(options: SuiteOptions): Promise<RunReport> {
  const runId = options.runId ?? newRunId();
  mkdirSync(options.runDir, { recursive: true });
  const started = new Date();
  const audit = new AuditCollector(runId);
  const flows = new FlowCollector();
  const warnings: string[] = [...(options.hostWarnings ?? [])];
  const results: ScenarioResult[] = [];
  let loadedRules: string[] = [];
  markRunAlive(runId);
  try {
    await audit.start();
    loadedRules = audit.loadedRules;
    await flows.start();
    if (flows.problem) warnings.push(`flow collection: ${flows.problem}`);
    const ctx: ScenarioRunContext = {
      docker: options.docker,
      runId,
      runDir: options.runDir,
      audit,
      flows,
      imageFor: options.imageFor,
      shared: options.shared,
      overrides: options.overrides,
      analytics: options.analytics,
      signal: options.signal,
      progress: options.progress,
    };
    const queue = options.scenarios.flatMap((s) =>
      Array.from({ length: options.repeat }, (_, i) => ({
        ...s,
        slug: options.repeat > 1 ? `${s.scenario.id}-r${i + 1}` : s.scenario.id,
        repetition: options.repeat > 1 ? i + 1 : undefined,
      })),
    );
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (options.signal.aborted) break;
        results.push(await runScenario(ctx, next));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, worker));
  } finally {
    await flows.stop();
    const leftovers = await audit.stop();
    if (leftovers.length) warnings.push(`audit rules that could not be removed: ${leftovers.join('; ')}`);
    const parsed = audit.parserStats;
    if (parsed.malformed > 0) warnings.push(`${parsed.malformed} audit log lines could not be parsed (first at lines ${parsed.malformedLines.slice(0, 5).join(', ')})`);
    markRunEnded(runId);
  }
  if (options.signal.aborted) warnings.push(`run interrupted: ${String((options.signal.reason as Error)?.message ?? '')}`);
  const order = options.scenarios.map((s) => s.scenario.id);
  results.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id) || (a.repetition ?? 0) - (b.repetition ?? 0));
  return {
    schema_version: 1,
    run_id: runId,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    environment: await hostInfo(options.docker, `docker://${os.hostname()}`),
    auditRules: loadedRules,
    config: {
      trustedCidrs: options.shared.trustedCidrs,
      standardUsers: options.shared.standardUsers,
      thresholds: options.thresholds,
    },
    scenarios: results,
    analytics: summarizeAnalytics(results),
    baseline: null,
    command: options.command,
    warnings,
  };
}
