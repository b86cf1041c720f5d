// A loaded, validated scenario: what `scenarios/<id>/scenario.yaml` says, in the shape the runner
// executes and the reports read. Template fields ({{name}}) are kept as written; resolve them with
// resolveInputs() + interpolate() (harness/scenario/inputs.ts) at run time.

export const ROLES = ['victim', 'sink', 'trusted'] as const;
/** victim: where the behaviour happens; sink: an untrusted host outside; trusted: the trusted backup host. */
export type Role = (typeof ROLES)[number];

export const PLATFORMS = ['container', 'host'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const LAUNCHES = ['exec', 'cron', 'tty'] as const;
/** exec: plain `docker exec`, no TTY; cron: run by cron from /etc/cron.d (no TTY); tty: interactive exec with a real TTY. */
export type Launch = (typeof LAUNCHES)[number];

export const KINDS = ['emulation', 'benign'] as const;
export type ScenarioKind = (typeof KINDS)[number];

export const INPUT_TYPES = ['integer', 'size', 'enum', 'boolean', 'path', 'user', 'string'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/** A resolved input value: integers and sizes (bytes) are numbers, booleans booleans, the rest strings. */
export type InputValue = string | number | boolean;

export interface InputSpec {
  name: string;
  type: InputType;
  default: InputValue;
  description: string;
  /** integer: inclusive bounds; size: inclusive bounds in bytes. */
  min?: number;
  max?: number;
  /** enum: the allowed values. */
  values?: string[];
}

/** Where the scenario folder is copied in every container of the scenario. */
export const SCENARIO_MOUNT = '/opt/purple/scenario';

export type StepCommand =
  /** A payload file of the scenario folder, run via its shebang with these (templated) arguments. */
  | { script: string; args: string[] }
  /** A (templated) shell command, run by `/bin/sh -c`. */
  | { run: string };

export interface Step {
  name: string;
  container: Role;
  /** User name, possibly a template such as "{{runner}}". */
  user: string;
  launch: Launch;
  command: StepCommand;
  timeoutMs: number;
  /** Line of the step in scenario.yaml, for messages. */
  line: number;
}

/** How the created file must look once read (FileArtifact from the collectors). */
export interface FileConstraints {
  minEntropy?: number;
  maxEntropy?: number;
  /** A FileArtifact.format name (gzip, zip, elf...), "none" (no known magic) or "archive" (any standard compression/archive). */
  format?: string;
  /** Size bounds, templates allowed ("{{size_mb}}MB"). */
  minSize?: string;
  maxSize?: string;
}

/**
 * A telemetry requirement, checked against what the run collected, independently of detectors.
 * String fields may contain {{input}} and {{role}} templates.
 */
export type TelemetryCheckSpec =
  | {
      kind: 'execve';
      /** Basename or full path of the executable (matched against exe and argv[0]). */
      exe: string;
      /** User name or numeric uid of the process (real uid). */
      user?: string;
      /** none: no controlling terminal; any: some terminal. */
      tty?: 'none' | 'any';
      /** Basename of an ancestor's exe or its comm, anywhere up the pid -> ppid chain. */
      ancestor?: string;
      line: number;
    }
  | { kind: 'connect'; to: Role; port?: number; user?: string; line: number }
  | { kind: 'flow'; to: Role; minBytes: string; maxBytes?: string; line: number }
  | { kind: 'file'; createdIn: string; user?: string; constraints: FileConstraints; line: number }
  | { kind: 'open'; path: string; user?: string; line: number };

export type TelemetryCheckKind = TelemetryCheckSpec['kind'];

export interface Scenario {
  id: string;
  name: string;
  description: string;
  /** ATT&CK analytic external id (AN1214), from the catalog. */
  analytic: string;
  /** ATT&CK technique external id (T1560.003), one the analytic detects. */
  technique: string;
  kind: ScenarioKind;
  /** benign: id of the emulation it looks like. */
  twinOf: string | null;
  platforms: Platform[];
  /** Commands the steps need on a host target. */
  requires: string[];
  inputs: InputSpec[];
  /** Roles the scenario starts; always includes victim. */
  containers: Role[];
  steps: Step[];
  /** Always run after the steps, even when one failed; failures are reported, not fatal. */
  cleanup: Step[];
  timeoutMs: number;
  /** Expectation per analytic id; always includes the scenario's own analytic. */
  expect: Record<string, Expectation>;
  telemetry: TelemetryCheckSpec[];
  /** Absolute path of the scenario folder. */
  dir: string;
  /** Absolute path of scenario.yaml. */
  file: string;
}

/** One problem found in a scenario file, located for a human. */
export interface ScenarioError {
  /** Path of the file as given (relative to cwd when under it). */
  file: string;
  /** 1-based line, or null when the problem is about the folder as a whole. */
  line: number | null;
  /** Dotted path of the field (steps[1].launch), or "" for the whole file. */
  field: string;
  message: string;
}

/** What a scenario expects of its analytic's detector. */
export type Expectation = 'alert' | 'no-alert';

/** One telemetry check as evaluated against what a run collected. */
export interface TelemetryCheck {
  description: string;
  satisfied: boolean;
  eventIds: string[];
}
