// Alerts from the user's own detections: Sigma rules and external detector programs. Built-in alerts carry
// `source: 'builtin'` and their analytic; these carry the rule or the detector that raised them.
import type { Alert } from '../types.js';

export interface RuleRef {
  /** The Sigma `id` (or the rule's name when it has no id). */
  id: string | null;
  title: string;
  path: string;
  level: string | null;
  /** Shown with every hit: the Detection Rule License asks for the author and references. */
  author: string | null;
  references: string[];
}

export interface RuleAlert {
  source: 'sigma' | 'detector';
  /** Sigma rules: the rule. */
  rule?: RuleRef;
  /** External detectors: the detector's name. */
  detector?: string;
  /** The alert's own id (a detector's `id`; for Sigma the rule id). */
  id: string;
  title: string;
  /** ATT&CK technique ids the rule or detector claims (Sigma `attack.tNNNN` tags). */
  techniques: string[];
  firstTime: string;
  time: string;
  host: string | null;
  summary: string;
  /** The scenario step whose processes produced the evidence (null in a replay of a foreign log). */
  step: string | null;
  evidence: {
    eventIds: string[];
    facts: Record<string, string | number | boolean | null>;
  };
}

/** Key of one rule or detector across scenarios and runs: `sigma:<id or path>`, `detector:<name>`. */
export function ruleKey(a: Pick<RuleAlert, 'source' | 'rule' | 'detector'>): string {
  return a.source === 'sigma' ? `sigma:${a.rule?.id ?? a.rule?.path}` : `detector:${a.detector}`;
}

/** Built-in alerts as every output shows them: with their source. */
export function builtinAlert(a: Alert): Alert & { source: 'builtin' } {
  return { ...a, source: 'builtin' };
}
