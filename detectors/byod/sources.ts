// The user's detections for one scenario (or one replay): Sigma rules evaluated as telemetry arrives, external
// detectors fed the same telemetry and read at the end.
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { DEFAULT_LIMITS, ExternalDetector, type DetectorLimits, type DetectorSpec } from '../external/runner.js';
import type { CompiledRule } from '../sigma/rule.js';
import { SigmaSource } from './sigma-source.js';
import type { RuleAlert } from './types.js';

export interface ByodConfig {
  /** Compiled Sigma rules (the `ok` ones), or empty. */
  rules: CompiledRule[];
  detectors: DetectorSpec[];
  limits?: DetectorLimits;
}

export interface DetectorStatus {
  name: string;
  command: string;
  error: string | null;
  alerts: number;
}

export function hasByod(config: ByodConfig | undefined): config is ByodConfig {
  return !!config && (config.rules.length > 0 || config.detectors.length > 0);
}

export class RuleSources {
  private readonly sigma: SigmaSource | null;
  private readonly externals: ExternalDetector[];

  constructor(config: ByodConfig, userNames: ReadonlyMap<number, string>) {
    this.sigma = config.rules.length ? new SigmaSource(config.rules, userNames) : null;
    this.externals = config.detectors.map((d) => new ExternalDetector(d, config.limits ?? DEFAULT_LIMITS));
  }

  start(hello: { scenario: string | null; technique: string | null }): void {
    for (const d of this.externals) d.start(hello);
  }

  /**
   * One telemetry item. `step`: the scenario step the audit event's process works for, null for the harness's own
   * processes (never shown to rules or detectors), undefined when there are no steps (a replay of a foreign log).
   */
  push(item: TelemetryItem, step: string | null | undefined): RuleAlert[] {
    if (item.kind === 'audit') {
      const host = item.host ?? item.event.node ?? null;
      const alerts = this.sigma ? this.sigma.push(item.event, host, step) : [];
      if (step !== null) for (const d of this.externals) d.push(item, step ?? null);
      return alerts;
    }
    for (const d of this.externals) d.push(item, null);
    return [];
  }

  async drain(): Promise<void> {
    await Promise.all(this.externals.map((d) => d.drain()));
  }

  async finish(): Promise<{ alerts: RuleAlert[]; detectors: DetectorStatus[] }> {
    const outcomes = await Promise.all(this.externals.map((d) => d.finish()));
    return {
      alerts: outcomes.flatMap((o) => o.alerts),
      detectors: outcomes.map((o) => ({ name: o.name, command: o.command, error: o.error, alerts: o.alerts.length })),
    };
  }
}
