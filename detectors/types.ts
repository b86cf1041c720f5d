import type { AnalyticRef } from '../harness/attack/catalog.js';
import type { TelemetryItem } from '../harness/telemetry/types.js';
import type { Needs } from '../harness/events/needs.js';
import type { UserDirectory } from '../harness/events/users.js';

export type { Needs };

export type Confidence = 'low' | 'medium' | 'high';

export interface Alert {
  analytic: string; // AN1214
  detectionStrategy: string; // DET0438
  technique: string; // T1560.003
  /** ISO 8601 time of the first event that contributed. */
  firstTime: string;
  /** ISO 8601 time of the event that decided the alert. */
  time: string;
  /** Host or container the behaviour happened on. */
  host: string | null;
  /** One line a human reads. */
  summary: string;
  confidence: Confidence;
  evidence: {
    /** Audit event ids (`SECONDS.MILLIS:SERIAL`). */
    eventIds: string[];
    /** Process chain from the acting process up to its oldest known ancestor. */
    processChain: { pid: number | null; exe: string | null; argv: string[]; uid: number | null; tty: string | null }[];
    flows?: import('../harness/telemetry/types.js').Flow[];
    artifacts?: import('../harness/telemetry/types.js').FileArtifact[];
    /** Anything else that decided it, as readable facts. */
    facts: Record<string, string | number | boolean | null>;
    /** The deciding observations against the thresholds in force (built-in detectors): why it fired, in numbers. */
    conditions?: Condition[];
  };
}

/**
 * One condition of an analytic, judged on one candidate: what was observed against the setting in force. Alerting
 * needs `observed op limit`; `met` says whether it held. Numbers are in `unit` (bytes, seconds, bits/byte).
 */
export interface Condition {
  /** What was measured: "entropy", "bytes sent", "size", "user", "TTY". */
  measure: string;
  observed: number | string | boolean | null;
  op: '>' | '>=' | '<' | '<=' | 'in' | 'not in' | 'is';
  limit: number | string | boolean | null;
  /** The detector setting the limit comes from ("EntropyThreshold", "UserContext.users"); null for a fixed rule of the analytic. */
  threshold: string | null;
  unit?: 'bytes' | 'seconds' | 'bits/byte';
  met: boolean;
}

/** A candidate that came closest to alerting and did not: which condition failed, and the observations that decided it. */
export interface NearMiss {
  analytic: string;
  /** The candidate in one line: "python3 (uid 1000) wrote /tmp/x.dat", "busybox (uid 0) sent 20.1 MB to 172.18.0.3:69". */
  candidate: string;
  time: string;
  host: string | null;
  /** The deciding conditions, the failed one first. */
  conditions: Condition[];
}

/** Host-wide settings shared by all detectors (the `--config` file's top level). */
export interface SharedConfig {
  trustedCidrs: string[];
  /** User names or uids that are expected to run anything (deployers, package managers, CI agents). */
  standardUsers: string[];
}

/** A running detector: fed telemetry in arrival order; state bounded by its time windows. */
export interface DetectorInstance {
  push(item: TelemetryItem): Alert[];
  /** End of stream: decide whatever is still pending. */
  flush(): Alert[];
  /** Facts the detector wants reported (pending items dropped for lack of content, etc.). */
  stats(): Record<string, number>;
  /** The few candidates that came nearest to alerting and did not (bounded), nearest first. */
  nearMisses?(): NearMiss[];
}

/** What a detector knows of the host its events come from. */
export interface HostContext {
  /** Accounts of that host (its passwd and group), to name uids and resolve user settings. */
  users: UserDirectory;
}

export interface Detector<T extends object = Record<string, unknown>> {
  analytic: AnalyticRef;
  /**
   * What it reads: audit rules and records, whose files' content, flows. The audit rules purple loads, the doctor's
   * blind-spot check, the live artifact collector and replay's content lookups are derived from these.
   */
  needs: Needs;
  /** Thresholds named after the analytic's mutable elements (plus documented extras), with defaults. */
  defaults: T;
  /** Checks and normalises a user's override object; throws with the field name on a bad value. */
  configure(overrides: Record<string, unknown>, shared: SharedConfig): T;
  create(config: T, shared: SharedConfig, host: HostContext): DetectorInstance;
}
