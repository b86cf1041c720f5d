// Sigma matches as alerts: the rule's attribution (title, author, level, references), the matched fields as facts,
// the audit event ids as evidence.
import type { AuditEvent } from '../../harness/audit/event.js';
import { SigmaEngine, type SigmaMatch } from '../sigma/engine.js';
import type { CompiledRule, RuleMeta } from '../sigma/rule.js';
import type { EventView } from '../sigma/view.js';
import type { RuleAlert, RuleRef } from './types.js';

const MAX_FACT = 300;

export function ruleRef(meta: RuleMeta): RuleRef {
  return { id: meta.id ?? meta.name, title: meta.title, path: meta.file, level: meta.level, author: meta.author, references: meta.references };
}

/** Rules that raise alerts of their own: every detection and correlation rule (filters only narrow others). */
export function alertingRules(rules: CompiledRule[]): RuleMeta[] {
  return rules.filter((r) => r.kind !== 'filter').map((r) => r.meta);
}

export class SigmaSource {
  private readonly engine: SigmaEngine;

  constructor(rules: CompiledRule[], userNames: ReadonlyMap<number, string>) {
    this.engine = new SigmaEngine(rules, userNames);
  }

  /** `step` decides which views reach the rules: a view whose event belongs to no step is dropped (undefined = no gate). */
  push(ev: AuditEvent, host: string | null, step: string | null | undefined): RuleAlert[] {
    if (step === null) {
      // Keep the engine's process table current (parents of later step processes), but match nothing.
      this.engine.push(ev, host, () => false);
      return [];
    }
    return this.engine.push(ev, host).map((m) => toAlert(m, host, step ?? null));
  }
}

function toAlert(m: SigmaMatch, host: string | null, step: string | null): RuleAlert {
  const last = m.views[m.views.length - 1]!;
  return {
    source: 'sigma',
    rule: ruleRef(m.rule),
    id: m.rule.id ?? m.rule.name ?? m.rule.file,
    title: m.rule.title,
    techniques: m.rule.techniques,
    firstTime: m.views[0]!.time,
    time: m.time,
    host,
    summary: `${m.rule.title}${m.rule.level ? ` (${m.rule.level})` : ''}${m.correlation ? ` [${m.correlation} correlation of ${m.views.length} events]` : ''}: ${describe(last)}`,
    step,
    evidence: { eventIds: [...new Set(m.views.flatMap((v) => v.eventIds))], facts: facts(last) },
  };
}

function describe(v: EventView): string {
  const f = v.fields;
  const text = (x: unknown) => (x === undefined || x === null ? '' : String(x));
  if (v.logsource === 'linux/process_creation') return clip(`${text(f.User)} ran ${text(f.CommandLine) || text(f.Image)}`);
  if (v.logsource === 'linux/file_event') return clip(`${text(f.Image)} created ${text(f.TargetFilename)}`);
  if (v.logsource === 'linux/network_connection') return clip(`${text(f.Image)} ${f.Initiated === 'true' ? `connected to ${text(f.DestinationIp)}:${text(f.DestinationPort)}` : `accepted ${text(f.SourceIp)}:${text(f.SourcePort)}`}`);
  return clip(`${v.recordType ?? 'audit'} record of pid ${v.pid ?? '?'}`);
}

function facts(v: EventView): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = { logsource: v.logsource };
  if (v.recordType) out.recordType = v.recordType;
  for (const [k, x] of Object.entries(v.fields)) {
    if (x === undefined) continue;
    out[k] = Array.isArray(x) ? clip(x.join(' ')) : typeof x === 'string' ? clip(x) : (x as number | boolean | null);
  }
  return out;
}

function clip(s: string): string {
  return s.length > MAX_FACT ? `${s.slice(0, MAX_FACT)}…` : s;
}
