// Evaluates compiled rules over events: rules indexed by logsource and (auditd) record type, so an event is tested only
// against the rules that can match its views; filters applied to the rules they name; correlations kept per engine
// (one scenario, or one replay) in time windows.
import type { AuditEvent } from '../../harness/audit/event.js';
import { auditdViewsFor, LinuxViews, type AuditdWanted } from './linux-fields.js';
import { logsourceKey } from './linux-fields.js';
import { countMatches, type CompiledRule, type CorrelationRule, type DetectionRule, type FilterRule, type RuleMeta } from './rule.js';
import type { EventView } from './view.js';

export interface SigmaMatch {
  rule: RuleMeta;
  /** The views that matched (one for a detection rule; the correlated ones for a correlation). */
  views: EventView[];
  time: string;
  /** Correlation type when the match is a correlation's. */
  correlation: string | null;
}

interface Indexed {
  rule: DetectionRule;
  filters: FilterRule[];
  /** Whether its own matches are alerts (false when a correlation refers to it without `generate: true`). */
  generate: boolean;
}

interface Entry {
  ref: string;
  time: number;
  value: string | null;
  view: EventView;
}

const MAX_ENTRIES_PER_GROUP = 10_000;
const MAX_GROUPS = 10_000;

export class SigmaEngine {
  private readonly index = new Map<string, { byType: Map<string, Indexed[]>; any: Indexed[]; userSpace: Indexed[] }>();
  private readonly correlations: CorrelationRule[];
  private readonly byRef = new Map<string, CorrelationRule[]>();
  private readonly windows = new Map<CorrelationRule, Map<string, Entry[]>>();
  private readonly views: LinuxViews;
  matched = 0;

  constructor(rules: CompiledRule[], userNames: ReadonlyMap<number, string>) {
    this.correlations = rules.filter((r): r is CorrelationRule => r.kind === 'correlation');
    const filters = rules.filter((r): r is FilterRule => r.kind === 'filter');
    const refs = (m: RuleMeta) => [m.id, m.name].filter((x): x is string => x !== null);
    for (const c of this.correlations) {
      for (const ref of c.rules) {
        const list = this.byRef.get(ref) ?? [];
        list.push(c);
        this.byRef.set(ref, list);
      }
      this.windows.set(c, new Map());
    }
    const silent = new Set(this.correlations.filter((c) => !c.generate).flatMap((c) => c.rules));
    for (const rule of rules) {
      if (rule.kind !== 'detection') continue;
      const source = logsourceKey(rule.logsource);
      if (!('key' in source)) continue;
      const slot = this.index.get(source.key) ?? { byType: new Map<string, Indexed[]>(), any: [] as Indexed[], userSpace: [] as Indexed[] };
      this.index.set(source.key, slot);
      const ids = refs(rule.meta);
      const item: Indexed = {
        rule,
        filters: filters.filter((f) => f.rules.some((r) => ids.includes(r))),
        generate: !ids.some((r) => silent.has(r)),
      };
      // An auditd rule with no `type:` still needs one of its fields: only the records that carry one can match.
      const narrowed = !rule.recordTypes && source.key === 'linux/auditd' && !rule.matchesWithoutFields ? auditdViewsFor(rule.fields) : null;
      const types = rule.recordTypes ?? narrowed?.types;
      if (types) for (const t of types) slot.byType.set(t, [...(slot.byType.get(t) ?? []), item]);
      else slot.any.push(item);
      if (narrowed?.userSpace) slot.userSpace.push(item);
    }
    const auditd = this.index.get('linux/auditd');
    const wanted: AuditdWanted = !auditd || auditd.any.length ? null : { types: new Set(auditd.byType.keys()), userSpace: auditd.userSpace.length > 0 || [...auditd.byType.keys()].some((t) => !['SYSCALL', 'EXECVE', 'PATH', 'CWD', 'PROCTITLE', 'SOCKADDR'].includes(t)) };
    this.views = new LinuxViews(new Set(this.index.keys()), userNames, wanted);
  }

  /** Logsource keys some rule reads. */
  get logsources(): string[] {
    return [...this.index.keys()];
  }

  push(ev: AuditEvent, host: string | null, accept: (view: EventView) => boolean = () => true): SigmaMatch[] {
    const out: SigmaMatch[] = [];
    for (const view of this.views.views(ev, host)) {
      if (!accept(view)) continue;
      const slot = this.index.get(view.logsource);
      if (!slot) continue;
      const typed = view.recordType ? slot.byType.get(view.recordType.toUpperCase()) : undefined;
      const userSpace = view.recordType !== null && !view.fields.syscall && view.recordType !== 'EXECVE' && view.recordType !== 'PATH' && view.recordType !== 'CWD' && view.recordType !== 'PROCTITLE' && view.recordType !== 'SOCKADDR' ? slot.userSpace : undefined;
      for (const list of [typed, slot.any, userSpace]) {
        if (!list) continue;
        for (const item of list) {
          if (!item.rule.test(view)) continue;
          if (item.filters.some((f) => !f.test(view))) continue;
          this.matched++;
          if (item.generate) out.push({ rule: item.rule.meta, views: [view], time: view.time, correlation: null });
          this.correlate(item.rule.meta, view, out, 0);
        }
      }
    }
    return out;
  }

  private correlate(meta: RuleMeta, view: EventView, out: SigmaMatch[], depth: number): void {
    if (depth > 8) return;
    const seen = new Set<CorrelationRule>();
    for (const ref of [meta.id, meta.name]) {
      if (!ref) continue;
      for (const c of this.byRef.get(ref) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        const fired = this.addToWindow(c, ref, meta, view);
        if (!fired) continue;
        if (c.generate || !this.correlations.some((o) => o.rules.some((r) => r === c.meta.id || r === c.meta.name))) out.push(fired);
        this.correlate(c.meta, view, out, depth + 1);
      }
    }
  }

  private addToWindow(c: CorrelationRule, ref: string, meta: RuleMeta, view: EventView): SigmaMatch | null {
    const groups = this.windows.get(c)!;
    const group = c.groupBy
      .map((field) => {
        const alias = c.aliases[field];
        const actual = alias ? alias[meta.name ?? ''] ?? alias[ref] ?? field : field;
        return view.texts(actual)?.[0] ?? '';
      })
      .join('\u0000');
    const now = Date.parse(view.time) || 0;
    let entries = groups.get(group);
    if (!entries) {
      if (groups.size >= MAX_GROUPS) groups.delete(groups.keys().next().value!);
      entries = [];
      groups.set(group, entries);
    }
    const ruleRef = c.rules.includes(meta.id ?? '') ? meta.id! : meta.name ?? ref;
    entries.push({ ref: ruleRef, time: now, value: c.field ? view.texts(c.field)?.[0] ?? null : null, view });
    while (entries.length && (now - entries[0]!.time > c.timespanMs || entries.length > MAX_ENTRIES_PER_GROUP)) entries.shift();
    let hit: Entry[] | null = null;
    if (c.type === 'event_count') {
      if (countMatches(c.condition, entries.length)) hit = entries;
    } else if (c.type === 'value_count') {
      const distinct = new Set(entries.map((e) => e.value).filter((v) => v !== null));
      if (countMatches(c.condition, distinct.size)) hit = entries;
    } else if (c.type === 'temporal') {
      const distinct = new Set(entries.map((e) => e.ref));
      if (countMatches(c.condition, distinct.size)) hit = entries;
    } else {
      // temporal_ordered: the referenced rules matched in their order inside the window.
      let next = 0;
      const used: Entry[] = [];
      for (const e of entries) {
        if (e.ref === c.rules[next]) {
          used.push(e);
          if (++next === c.rules.length) break;
        }
      }
      if (next === c.rules.length) hit = used;
    }
    if (!hit) return null;
    groups.delete(group); // one alert per filled window; counting starts again
    return { rule: c.meta, views: hit.map((e) => e.view), time: view.time, correlation: c.type };
  }
}
