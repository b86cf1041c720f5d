// One YAML document -> a compiled Sigma rule (detection, correlation or filter). The checks follow the JSON Schemas of
// the Sigma specification (required fields, types, enums, formats); the tests hold them against the schemas themselves.
import { compileCondition } from './condition.js';
import { anyOf, compileSelection, RuleProblem, type CompiledSelection, type Predicate, type YamlPath } from './detection.js';

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export interface RuleMeta {
  /** The Sigma `id` (a UUID), or null when the rule has none. */
  id: string | null;
  name: string | null;
  title: string;
  file: string;
  line: number;
  level: Level | null;
  status: string | null;
  author: string | null;
  description: string | null;
  references: string[];
  tags: string[];
  /** ATT&CK technique ids from `attack.tNNNN[.NNN]` tags, upper-cased. */
  techniques: string[];
}

export interface Logsource {
  product?: string;
  category?: string;
  service?: string;
}

export interface DetectionRule {
  kind: 'detection';
  meta: RuleMeta;
  logsource: Logsource;
  test: Predicate;
  /** Audit record types the rule can match (`service: auditd` rules), null for any. */
  recordTypes: Set<string> | null;
  fields: Set<string>;
  /** True when it can match an event lacking every field it reads (keyword searches, null, exists: false, neq). */
  matchesWithoutFields: boolean;
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';
export type CountCondition = Partial<Record<'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq', number>>;

export interface CorrelationRule {
  kind: 'correlation';
  meta: RuleMeta;
  type: CorrelationType;
  /** Referenced rules by id or name, in the rule's order. */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: CountCondition;
  /** value_count: the field whose distinct values are counted. */
  field: string | null;
  /** alias -> rule name -> field. */
  aliases: Record<string, Record<string, string>>;
  generate: boolean;
}

export interface FilterRule {
  kind: 'filter';
  meta: RuleMeta;
  logsource: Logsource;
  rules: string[];
  test: Predicate;
}

export type CompiledRule = DetectionRule | CorrelationRule | FilterRule;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$/;
const TAG = /^[a-z0-9_-]+\.[a-z0-9._-]+$/;
const STATUS = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const LEVEL = ['informational', 'low', 'medium', 'high', 'critical'];
const RELATED = ['derived', 'obsolete', 'merged', 'renamed', 'similar'];
const CORRELATIONS = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];
const UNEVALUATED_CORRELATIONS = ['value_sum', 'value_avg', 'value_percentile'];

/** Compiles one document; `lineOf` turns a YAML path into its line. Throws RuleProblem. */
export function compileRule(doc: unknown, file: string, lineOf: (path: YamlPath) => number): CompiledRule {
  if (!isMap(doc)) throw new RuleProblem('invalid', 'a rule must be a YAML map', []);
  if ('action' in doc) throw new RuleProblem('unsupported', 'rule collections (`action: global/reset/repeat`) are not evaluated: write one rule per document', ['action']);
  const meta = readMeta(doc, file, lineOf);
  if ('correlation' in doc) return compileCorrelation(doc, meta);
  if ('filter' in doc) return compileFilter(doc, meta);
  const logsource = readLogsource(doc);
  if (!('detection' in doc)) throw new RuleProblem('invalid', 'missing required field "detection"', []);
  const detection = doc.detection;
  if (!isMap(detection)) throw new RuleProblem('invalid', '"detection" must be a map', ['detection']);
  if (!('condition' in detection)) throw new RuleProblem('invalid', 'missing required field "detection.condition"', ['detection']);
  const selections = new Map<string, CompiledSelection>();
  const fields = new Set<string>();
  let matchesWithoutFields = false;
  for (const [name, value] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    const s = compileSelection(value, ['detection', name]);
    selections.set(name, s);
    for (const f of s.fields) fields.add(f);
    matchesWithoutFields ||= s.matchesWithoutFields;
  }
  if (/\bnot\b/i.test(JSON.stringify(detection.condition))) matchesWithoutFields = true;
  const { test, recordTypes } = compileConditions(detection.condition, selections, ['detection', 'condition']);
  return { kind: 'detection', meta, logsource, test, recordTypes, fields, matchesWithoutFields };
}

function compileConditions(raw: unknown, selections: Map<string, CompiledSelection>, path: YamlPath) {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.some((c) => typeof c !== 'string')) throw new RuleProblem('invalid', 'the condition must be a string (or a list of strings)', path);
  const compiled = (list as string[]).map((c, i) => compileCondition(c, selections, Array.isArray(raw) ? [...path, i] : path));
  const types = compiled.some((c) => c.recordTypes === null) ? null : new Set(compiled.flatMap((c) => [...c.recordTypes!]));
  return { test: anyOf(compiled.map((c) => c.test)), recordTypes: types };
}

function readMeta(doc: Record<string, unknown>, file: string, lineOf: (path: YamlPath) => number): RuleMeta {
  const str = (key: string, max = Infinity): string | null => {
    const v = doc[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw new RuleProblem('invalid', `"${key}" must be a string, not ${typeof v}`, [key]);
    if (v.length > max) throw new RuleProblem('invalid', `"${key}" is longer than ${max} characters`, [key]);
    return v;
  };
  const strings = (key: string, pattern?: RegExp): string[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new RuleProblem('invalid', `"${key}" must be a list of strings`, [key]);
    v.forEach((x, i) => {
      if (typeof x !== 'string') throw new RuleProblem('invalid', `"${key}" item ${i + 1} must be a string`, [key, i]);
      if (pattern && !pattern.test(x)) throw new RuleProblem('invalid', `"${key}" item "${x}" does not match ${pattern.source}`, [key, i]);
    });
    if (new Set(v).size !== v.length) throw new RuleProblem('invalid', `"${key}" has duplicate items`, [key]);
    return v as string[];
  };
  const oneOf = (key: string, allowed: string[]): string | null => {
    const v = str(key);
    if (v !== null && !allowed.includes(v)) throw new RuleProblem('invalid', `"${key}" must be one of ${allowed.join(', ')}, not "${v}"`, [key]);
    return v;
  };
  const title = str('title', 256);
  if (title === null) throw new RuleProblem('invalid', 'missing required field "title"', []);
  const id = str('id');
  if (id !== null && !UUID.test(id)) throw new RuleProblem('invalid', `"id" must be a UUID, not "${id}"`, ['id']);
  for (const key of ['date', 'modified']) {
    const v = str(key);
    if (v !== null && !DATE.test(v)) throw new RuleProblem('invalid', `"${key}" must be a date YYYY-MM-DD, not "${v}"`, [key]);
  }
  for (const key of ['license', 'taxonomy']) str(key, 256);
  strings('fields');
  strings('falsepositives');
  strings('scope');
  const related = doc.related;
  if (related !== undefined) {
    if (!Array.isArray(related)) throw new RuleProblem('invalid', '"related" must be a list', ['related']);
    related.forEach((r, i) => {
      if (!isMap(r) || typeof r.id !== 'string' || typeof r.type !== 'string') throw new RuleProblem('invalid', `"related" item ${i + 1} needs an id and a type`, ['related', i]);
      if (!RELATED.includes(r.type)) throw new RuleProblem('invalid', `"related" type must be one of ${RELATED.join(', ')}, not "${r.type}"`, ['related', i, 'type']);
    });
  }
  const tags = strings('tags', TAG);
  const techniques = tags.flatMap((t) => (/^attack\.t\d{4}(\.\d{3})?$/i.test(t) ? [t.slice(7).toUpperCase()] : []));
  return {
    id,
    name: str('name', 256),
    title,
    file,
    line: lineOf([]),
    level: oneOf('level', LEVEL) as Level | null,
    status: oneOf('status', STATUS),
    author: str('author'),
    description: str('description', 65535),
    references: strings('references'),
    tags,
    techniques,
  };
}

function readLogsource(doc: Record<string, unknown>): Logsource {
  const ls = doc.logsource;
  if (ls === undefined) throw new RuleProblem('invalid', 'missing required field "logsource"', []);
  if (!isMap(ls)) throw new RuleProblem('invalid', '"logsource" must be a map', ['logsource']);
  const out: Logsource = {};
  for (const key of ['product', 'category', 'service', 'definition'] as const) {
    const v = ls[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new RuleProblem('invalid', `"logsource.${key}" must be a string`, ['logsource', key]);
    if (key !== 'definition') out[key] = v;
  }
  return out;
}

function compileFilter(doc: Record<string, unknown>, meta: RuleMeta): FilterRule {
  const logsource = readLogsource(doc);
  const f = doc.filter;
  if (!isMap(f)) throw new RuleProblem('invalid', '"filter" must be a map with rules, selection and condition', ['filter']);
  for (const key of ['rules', 'selection', 'condition']) if (!(key in f)) throw new RuleProblem('invalid', `missing required field "filter.${key}"`, ['filter']);
  const rules = f.rules;
  if (!Array.isArray(rules) || rules.length === 0 || rules.some((r) => typeof r !== 'string')) {
    throw new RuleProblem('invalid', '"filter.rules" must be a non-empty list of rule ids or names', ['filter', 'rules']);
  }
  const selections = new Map<string, CompiledSelection>();
  for (const [name, value] of Object.entries(f)) {
    if (name === 'rules' || name === 'condition') continue;
    selections.set(name, compileSelection(value, ['filter', name]));
  }
  const { test } = compileConditions(f.condition, selections, ['filter', 'condition']);
  return { kind: 'filter', meta, logsource, rules: rules as string[], test };
}

function compileCorrelation(doc: Record<string, unknown>, meta: RuleMeta): CorrelationRule {
  const c = doc.correlation;
  if (!isMap(c)) throw new RuleProblem('invalid', '"correlation" must be a map', ['correlation']);
  const type = c.type;
  if (typeof type !== 'string') throw new RuleProblem('invalid', 'missing required field "correlation.type"', ['correlation']);
  if (UNEVALUATED_CORRELATIONS.includes(type)) throw new RuleProblem('unsupported', `correlation type ${type}: purple's events carry no numeric values to aggregate`, ['correlation', 'type']);
  if (!CORRELATIONS.includes(type)) throw new RuleProblem('invalid', `"correlation.type" must be one of ${[...CORRELATIONS, ...UNEVALUATED_CORRELATIONS].join(', ')}, not "${type}"`, ['correlation', 'type']);
  const rules = c.rules;
  if (!Array.isArray(rules) || rules.length === 0 || rules.some((r) => typeof r !== 'string' || r.length < 2)) {
    throw new RuleProblem('invalid', '"correlation.rules" must be a non-empty list of rule ids or names', ['correlation', 'rules']);
  }
  const groupBy = c['group-by'] ?? [];
  if (!Array.isArray(groupBy) || groupBy.some((g) => typeof g !== 'string')) throw new RuleProblem('invalid', '"correlation.group-by" must be a list of field names', ['correlation', 'group-by']);
  const timespan = c.timespan;
  if (typeof timespan !== 'string') throw new RuleProblem('invalid', 'missing required field "correlation.timespan"', ['correlation']);
  const m = /^(\d+)([smhdwMy])$/.exec(timespan);
  if (!m) throw new RuleProblem('invalid', `"correlation.timespan" must be a number and a unit (s, m, h, d), not "${timespan}"`, ['correlation', 'timespan']);
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, M: 30 * 86400e3, y: 365 * 86400e3 }[m[2] as 's'];
  let condition: CountCondition = {};
  let field: string | null = null;
  if (c.condition !== undefined) {
    if (!isMap(c.condition)) throw new RuleProblem('invalid', '"correlation.condition" must be a map such as {gte: 10}', ['correlation', 'condition']);
    for (const [k, v] of Object.entries(c.condition)) {
      if (k === 'field') {
        if (typeof v !== 'string') throw new RuleProblem('invalid', '"correlation.condition.field" must be a field name', ['correlation', 'condition', k]);
        field = v;
      } else if (['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].includes(k)) {
        if (typeof v !== 'number' || !Number.isInteger(v)) throw new RuleProblem('invalid', `"correlation.condition.${k}" must be an integer`, ['correlation', 'condition', k]);
        condition[k as 'gt'] = v;
      } else throw new RuleProblem('invalid', `unknown correlation condition "${k}" (gt, gte, lt, lte, eq, neq, field)`, ['correlation', 'condition', k]);
    }
  }
  if ((type === 'event_count' || type === 'value_count') && Object.keys(condition).length === 0) {
    throw new RuleProblem('invalid', `a ${type} correlation needs a condition such as {gte: 10}`, ['correlation']);
  }
  if (type === 'value_count' && field === null) throw new RuleProblem('invalid', 'a value_count correlation needs condition.field', ['correlation', 'condition']);
  if ((type === 'temporal' || type === 'temporal_ordered') && Object.keys(condition).length === 0) condition = { gte: rules.length };
  const aliases: Record<string, Record<string, string>> = {};
  if (c.aliases !== undefined) {
    if (!isMap(c.aliases)) throw new RuleProblem('invalid', '"correlation.aliases" must be a map', ['correlation', 'aliases']);
    for (const [alias, map] of Object.entries(c.aliases)) {
      if (!isMap(map) || Object.values(map).some((v) => typeof v !== 'string')) {
        throw new RuleProblem('invalid', `alias "${alias}" must map rule names to field names`, ['correlation', 'aliases', alias]);
      }
      aliases[alias] = map as Record<string, string>;
    }
  }
  const generate = c.generate ?? doc.generate ?? false;
  if (typeof generate !== 'boolean') throw new RuleProblem('invalid', '"generate" must be true or false', ['correlation', 'generate']);
  return { kind: 'correlation', meta, type: type as CorrelationType, rules: rules as string[], groupBy: groupBy as string[], timespanMs: Number(m[1]) * unit, condition, field, aliases, generate };
}

export function countMatches(condition: CountCondition, n: number): boolean {
  for (const [k, v] of Object.entries(condition)) {
    const ok = k === 'gt' ? n > v : k === 'gte' ? n >= v : k === 'lt' ? n < v : k === 'lte' ? n <= v : k === 'eq' ? n === v : n !== v;
    if (!ok) return false;
  }
  return true;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
