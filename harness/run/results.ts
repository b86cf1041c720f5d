// What a run produces: the model report.json serialises and every renderer in reports/ reads.
import type { Alert, NearMiss } from '../../detectors/types.js';
import type { Expectation, TelemetryCheck } from '../scenario/types.js';

export type { Expectation, TelemetryCheck };
import type { RuleAlert, RuleRef } from '../../detectors/byod/types.js';
import type { DetectorStatus } from '../../detectors/byod/sources.js';
import type { ScenarioTiming } from './phases.js';

// The user's own rules and detectors (harness/run/rule-scoring.ts scores them).
export type RuleVerdictKind = 'detected' | 'missed' | 'false-alarm' | 'quiet' | 'fired-on' | 'incomplete' | 'error';

/** One rule or detector the run evaluated. */
export interface RuleEntry {
  key: string;
  source: 'sigma' | 'detector';
  rule?: RuleRef;
  detector?: string;
  /** Techniques from its tags (Sigma) or, for a detector, those its alerts claimed during the run. */
  techniques: string[];
}

export interface RuleVerdict {
  key: string;
  verdict: RuleVerdictKind;
  reason: string;
  /** From the first matched event to the alert (ms), when it fired. */
  latencyMs: number | null;
  /** Steps whose processes produced its alerts. */
  steps: string[];
  alerts: number;
  /** Evidence: event ids of its first alert. */
  eventIds: string[];
}

export type Verdict = 'detected' | 'missed' | 'false-alarm' | 'quiet' | 'incomplete' | 'error';

export interface StepOutcome {
  name: string;
  container: string;
  user: string;
  launch: 'exec' | 'cron' | 'tty';
  started: string;
  finished: string;
  exitCode: number | null;
  timedOut: boolean;
  stdoutTail: string;
  stderrTail: string;
  /** The command line the step ran, as the target saw it (ATTiRe `command`). */
  command?: string;
  /** Pid of the step's top process on the target, when known (ATTiRe `process-id`). */
  pid?: number | null;
}

/** A telemetry requirement the scenario declares, and whether the run saw it. */
export interface AnalyticVerdict {
  analytic: string;
  technique: string;
  expectation: Expectation;
  verdict: Verdict;
  /** Why, in one line: which collection check failed, which alert fired, what was lost. */
  reason: string;
  /** 'collection' when the telemetry never arrived, 'detector' when it did and the detector was silent. */
  failedLayer: 'collection' | 'detector' | null;
  /** From the deciding action to the alert; null when nothing fired. */
  latencyMs: number | null;
  /** A miss: the detector's nearest candidates that did not alert, each with its conditions against the thresholds. */
  nearMisses?: NearMiss[];
  /** A miss: the detector's non-zero counters on the scenario (what it saw, why it dropped it). */
  counters?: Record<string, number>;
}

export interface ScenarioResult {
  id: string;
  name: string;
  kind: 'emulation' | 'benign';
  twinOf: string | null;
  analytic: string;
  technique: string;
  /** Verdict for the scenario's own analytic (the first of `verdicts`). */
  verdict: Verdict;
  latency_ms: number | null;
  verdicts: AnalyticVerdict[];
  inputs: Record<string, string | number | boolean>;
  started: string;
  finished: string;
  steps: StepOutcome[];
  telemetry: {
    auditEvents: number;
    flows: number;
    artifacts: number;
    lostEvents: number;
    complete: boolean;
    checks: TelemetryCheck[];
  };
  alerts: Alert[];
  /** Output folder of this scenario (raw telemetry), relative to the run folder. */
  dir: string;
  /** Where it ran: `docker://<host>` (containers) or `ssh://user@host:port` (a plain host). */
  target?: string;
  error: string | null;
  /** Repetition index when run with --repeat. */
  repetition?: number;
  /** Alerts of the user's Sigma rules and external detectors (`--rules`, `--detector`), with when they were emitted. */
  ruleAlerts?: (RuleAlert & { emitted: string })[];
  /** Each external detector's outcome on this scenario. */
  detectors?: DetectorStatus[];
  /** Per rule or detector: detected, missed, false-alarm, quiet, fired-on... (see harness/run/rule-scoring.ts). */
  ruleVerdicts?: RuleVerdict[];
  /** Where the scenario's time went, per harness phase (monotonic clock; harness/run/phases.ts). */
  timing?: ScenarioTiming;
}

export interface AnalyticSummary {
  analytic: string;
  name: string;
  detectionStrategy: string;
  technique: string;
  techniqueName: string;
  tactics: string[];
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
  trueNegatives: number;
  incomplete: number;
  precision: number | null;
  recall: number | null;
  /** An emulation of this analytic ran: without one, its quiet verdicts on other scenarios prove no coverage. */
  tested?: boolean;
}

export interface Regression {
  scenario: string;
  analytic: string;
  kind: 'newly-missed' | 'new-false-alarm';
  before: Verdict;
  now: Verdict;
}

/** An accepted gap (harness/run/judge/waivers.ts). */
export interface Waiver {
  /** A scenario id, or a prefix ending in `*`. */
  scenario: string;
  analytic?: string;
  rule?: string;
  reason: string;
  /** YYYY-MM-DD, the last day the waiver holds. */
  expires: string;
}

export interface RunReport {
  schema_version: 1;
  run_id: string;
  started: string;
  finished: string;
  environment: {
    host: string;
    kernel: string;
    auditd: string | null;
    docker: string | null;
    purple: string;
    target: string;
  };
  auditRules: string[];
  config: {
    trustedCidrs: string[];
    standardUsers: string[];
    thresholds: Record<string, Record<string, unknown>>;
    /** Each analytic's defaults, to mark what the run changed (absent in reports of older versions). */
    defaults?: Record<string, Record<string, unknown>>;
  };
  scenarios: ScenarioResult[];
  analytics: AnalyticSummary[];
  baseline: {
    path: string;
    regressions: Regression[];
    /** Scenario ids in this run but not in the baseline, and the reverse: listed, never regressions. */
    newScenarios?: string[];
    removedScenarios?: string[];
  } | null;
  /** The purple command line that produced the run (ATTiRe `execution-command`). */
  command?: string;
  /** How the run is judged (`--fail-on`, `--waivers`); absent: every expectation counts, no waiver. */
  judgement?: {
    failOn: FailOn;
    waivers: Waiver[];
  };
  /** The user's own detections: every rule and detector evaluated, and what `rules lint` said of the rule files. */
  rules?: {
    paths: string[];
    builtin: boolean;
    entries: RuleEntry[];
    lint: { ok: number; unsupported: number; invalid: number };
  };
  warnings: string[];
}

/** `expectation` (default): any unmet expectation fails the run; `regression`: only regressions against the baseline (and errors) do. */
export type FailOn = 'expectation' | 'regression';
