// Where a scenario's time goes, on a monotonic clock (performance.now(): wall-clock jumps do not
// bend it): the harness's own phases around the steps, for report.json and `npm run bench overhead`.

export const PHASES = [
  /** The scenario's internal network. */
  'network',
  /** Its containers created, started and inspected (a host target's whole start). */
  'containers',
  /** The daemons of its containers listening (sshd, vsftpd, tftpd on the sink). */
  'daemons',
  /** Waiting for a target the warm pool started ahead of the scenario. */
  'prepared',
  /** Accounts read, detectors built, audit and flow collectors attached. */
  'collectors',
  /** Scenario and shared payload files copied in. */
  'payloads',
  /** The scenario's steps. */
  'steps',
  /** Audit barriers and conntrack reads after steps. */
  'settle',
  /** Created files read for the detectors. */
  'artifacts',
  /** The scenario's declared cleanup steps. */
  'cleanupSteps',
  /** Collectors detached, containers and network removed (or handed to the reaper), logs closed. */
  'cleanup',
  /** Detectors flushed, checks and verdicts computed, the scenario's files written. */
  'results',
] as const;

export type Phase = (typeof PHASES)[number];

/** Milliseconds per phase, rounded to 0.1 ms. */
export type PhaseTimes = Partial<Record<Phase, number>>;

export interface ScenarioTiming {
  /** From the scenario's start to its result, in ms. */
  totalMs: number;
  /** Within totalMs, per phase; what is left is harness work between phases. */
  phasesMs: PhaseTimes;
  /** Work done for this scenario before it started (its target prepared by the warm pool), not in totalMs. */
  aheadMs?: PhaseTimes;
}

export class PhaseClock {
  private readonly totals = new Map<Phase, number>();
  private readonly began = performance.now();
  /** Set by a target the warm pool started ahead of the scenario: what that took. */
  ahead: PhaseTimes | undefined;

  /** Times `work` as `phase` (added to what the phase already has), whether it resolves or throws. */
  async time<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - start);
    }
  }

  /** Adds the time since `start` (a performance.now() reading) to `phase`. */
  since(phase: Phase, start: number): void {
    this.add(phase, performance.now() - start);
  }

  add(phase: Phase, ms: number): void {
    this.totals.set(phase, (this.totals.get(phase) ?? 0) + ms);
  }

  elapsedMs(): number {
    return round(performance.now() - this.began);
  }

  timing(): ScenarioTiming {
    return { totalMs: this.elapsedMs(), phasesMs: this.phases(), ...(this.ahead ? { aheadMs: this.ahead } : {}) };
  }

  phases(): PhaseTimes {
    return Object.fromEntries(PHASES.filter((p) => this.totals.has(p)).map((p) => [p, round(this.totals.get(p)!)]));
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
