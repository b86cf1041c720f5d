// Search identifiers -> predicates over an EventView: maps (AND of fields), lists (OR), keyword lists, and every value
// modifier of the Sigma modifiers appendix purple evaluates. Problems throw RuleProblem with the YAML path of the value.
import { parseCidr, parseIp } from '../lib/cidr.js';
import { compileRegex, compileWildcard, escapeWildcards, parseWildcards, type StringTest } from './pattern.js';
import type { EventView } from './view.js';

export type Predicate = (ev: EventView) => boolean;
export type YamlPath = (string | number)[];

/** `invalid`: the rule breaks the specification. `unsupported`: valid Sigma that purple does not evaluate. */
export class RuleProblem extends Error {
  constructor(
    readonly kind: 'invalid' | 'unsupported',
    message: string,
    readonly path: YamlPath,
  ) {
    super(message);
  }
}

const POSITION = new Set(['contains', 'startswith', 'endswith']);
const ENCODING = new Set(['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide']);
const NUMERIC = new Set(['lt', 'lte', 'gt', 'gte']);
const RE_FLAGS = new Set(['i', 'm', 's']);
const TIME = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);
const KNOWN = new Set([
  ...POSITION, ...ENCODING, ...NUMERIC, ...RE_FLAGS, ...TIME,
  'all', 're', 'cidr', 'exists', 'windash', 'fieldref', 'cased', 'neq', 'expand',
]);

export interface CompiledSelection {
  test: Predicate;
  /** Field names the selection reads (keyword searches read every field and add none). */
  fields: Set<string>;
  /** Audit record types this selection can match (from a plain `type:` value), or null for any. */
  recordTypes: Set<string> | null;
  /** True when it can match an event lacking all of `fields` (keywords, null, exists: false, neq). */
  matchesWithoutFields: boolean;
}

export function compileSelection(value: unknown, path: YamlPath): CompiledSelection {
  const fields = new Set<string>();
  const recordTypes = { value: null as Set<string> | null };
  const test = compileSearch(value, path, fields, recordTypes);
  const text = JSON.stringify(value);
  const loose = !isMap(value) || (Array.isArray(value) && value.some((v) => !isMap(v))) || /"\|all"|"[^"]*\|(exists|neq)[^"]*"|:null/.test(text);
  return { test, fields, recordTypes: recordTypes.value, matchesWithoutFields: loose || Object.keys(value as object).some((k) => k.startsWith('|')) };
}

function compileSearch(value: unknown, path: YamlPath, fields: Set<string>, types: { value: Set<string> | null }): Predicate {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new RuleProblem('invalid', 'empty list in a search identifier', path);
    const parts = value.map((item, i) => {
      if (isMap(item)) return compileMap(item, [...path, i], fields, { value: null });
      return keywordTest([item], [], [...path, i]);
    });
    return anyOf(parts);
  }
  if (isMap(value)) return compileMap(value, path, fields, types);
  if (typeof value === 'string' || typeof value === 'number') return keywordTest([value], [], path);
  throw new RuleProblem('invalid', `a search identifier must be a map, a list or a keyword, not ${describe(value)}`, path);
}

function compileMap(map: Record<string, unknown>, path: YamlPath, fields: Set<string>, types: { value: Set<string> | null }): Predicate {
  const entries = Object.entries(map);
  if (entries.length === 0) throw new RuleProblem('invalid', 'empty map in a search identifier', path);
  const parts: Predicate[] = [];
  for (const [key, raw] of entries) {
    const [field, ...modifiers] = key.split('|');
    const here = [...path, key];
    if (field === '') {
      // `'|all': [k1, k2]`: keywords that must all appear.
      const values = Array.isArray(raw) ? raw : [raw];
      parts.push(keywordTest(values, modifiers, here));
      continue;
    }
    fields.add(field!);
    if (field === 'type' && modifiers.length === 0) {
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
      if (values.length && values.every((v) => !/[*?\\]/.test(v))) types.value = new Set(values.map((v) => v.toUpperCase()));
    }
    parts.push(compileField(field!, modifiers, raw, here));
  }
  return parts.length === 1 ? parts[0]! : allOf(parts);
}

function keywordTest(values: unknown[], modifiers: string[], path: YamlPath): Predicate {
  for (const m of modifiers) checkModifier(m, path);
  const all = modifiers.includes('all');
  const cased = modifiers.includes('cased');
  const unsupportedHere = modifiers.filter((m) => !['all', 'cased', 'contains'].includes(m));
  if (unsupportedHere.length) throw new RuleProblem('unsupported', `keyword searches take only |all and |cased here, not |${unsupportedHere.join('|')}`, path);
  const tests = values.map((v, i) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw new RuleProblem('invalid', `a keyword must be a string or number, not ${describe(v)}`, [...path, i]);
    // A keyword is found anywhere in any field value.
    return compileWildcard(`*${String(v)}*`, cased);
  });
  const one = (t: StringTest): Predicate => (ev) => ev.keywords(!cased).some(t);
  const preds = tests.map(one);
  return all ? allOf(preds) : anyOf(preds);
}

function checkModifier(m: string, path: YamlPath): void {
  if (!KNOWN.has(m)) throw new RuleProblem('invalid', `unknown value modifier |${m}`, path);
  if (m === 'expand') throw new RuleProblem('unsupported', 'the |expand modifier needs placeholder values purple has no source for', path);
  if (TIME.has(m)) throw new RuleProblem('unsupported', `the time modifier |${m}: purple's fields carry no dates`, path);
}

function compileField(field: string, modifiers: string[], raw: unknown, path: YamlPath): Predicate {
  for (const m of modifiers) checkModifier(m, path);
  const has = (m: string) => modifiers.includes(m);
  const list = Array.isArray(raw);
  const values: unknown[] = list ? (raw as unknown[]) : [raw];
  if (list && values.length === 0) throw new RuleProblem('invalid', `empty list of values for ${field}`, path);
  if (has('all') && values.length < 2) throw new RuleProblem('invalid', `|all needs a list of at least two values (${field})`, path);
  if (list && values.some((v) => v === null)) throw new RuleProblem('invalid', `null cannot be part of a list of values (${field}): use a selection of its own`, path);
  const reFlags = modifiers.filter((m) => RE_FLAGS.has(m));
  if (reFlags.length && !has('re')) throw new RuleProblem('invalid', `|${reFlags.join('|')} are sub-modifiers of |re`, path);

  let pred: Predicate;
  if (has('exists')) {
    if (modifiers.length > 1 || typeof raw !== 'boolean') throw new RuleProblem('invalid', `|exists takes true or false alone (${field})`, path);
    pred = raw ? (ev) => ev.has(field) : (ev) => !ev.has(field);
    return pred;
  }
  let combined: Predicate;
  const plain = !has('all') && !modifiers.some((m) => NUMERIC.has(m) || m === 'cidr' || m === 're' || m === 'fieldref') && values.every((v) => typeof v === 'string' || typeof v === 'number');
  if (plain) {
    // A list of plain values (OR): read the field once, equalities through a Set, the rest in one loop.
    const cased = has('cased');
    const tests = values.flatMap((v, i) => stringTests(field, modifiers, v as string | number, list ? [...path, i] : path));
    const exact = new Set(tests.filter((t) => t.exact !== undefined).map((t) => t.exact!));
    const others = tests.filter((t) => t.exact === undefined).map((t) => t.test);
    combined = (ev) => {
      const vs = cased ? ev.texts(field) : ev.lower(field);
      if (!vs) return false;
      for (const v of vs) {
        if (exact.has(v)) return true;
        for (const t of others) if (t(v)) return true;
      }
      return false;
    };
  } else {
    const tests = values.map((v, i) => valueTest(field, modifiers, v, list ? [...path, i] : path));
    combined = has('all') ? allOf(tests) : anyOf(tests);
  }
  if (has('neq')) return (ev) => ev.has(field) && !combined(ev);
  return combined;
}

function valueTest(field: string, modifiers: string[], value: unknown, path: YamlPath): Predicate {
  const has = (m: string) => modifiers.includes(m);
  if (value === null) {
    if (modifiers.some((m) => m !== 'neq')) throw new RuleProblem('invalid', `null takes no modifier (${field})`, path);
    return (ev) => {
      const t = ev.texts(field);
      return t === undefined || t.every((x) => x === '');
    };
  }
  if (typeof value === 'object') throw new RuleProblem('invalid', `a value of ${field} must be a string, number or boolean, not ${describe(value)}`, path);
  const text = String(value);

  const numeric = modifiers.find((m) => NUMERIC.has(m));
  if (numeric) {
    const n = Number(value);
    if (typeof value === 'boolean' || !Number.isFinite(n) || text.trim() === '') throw new RuleProblem('invalid', `|${numeric} needs a number (${field}: ${JSON.stringify(value)})`, path);
    const cmp = { lt: (x: number) => x < n, lte: (x: number) => x <= n, gt: (x: number) => x > n, gte: (x: number) => x >= n }[numeric as 'lt']!;
    return (ev) => (ev.texts(field) ?? []).some((t) => t.trim() !== '' && Number.isFinite(Number(t)) && cmp(Number(t)));
  }
  if (has('cidr')) {
    let cidr: ReturnType<typeof parseCidr>;
    try {
      cidr = parseCidr(text);
    } catch (err) {
      throw new RuleProblem('invalid', `|cidr: ${(err as Error).message}`, path);
    }
    const max = cidr.version === 4 ? 32 : 128;
    const shift = BigInt(max - cidr.bits);
    return (ev) =>
      (ev.texts(field) ?? []).some((t) => {
        const ip = parseIp(t);
        return !!ip && ip.version === cidr.version && (cidr.bits === 0 || ip.value >> shift === cidr.base >> shift);
      });
  }
  if (has('re')) {
    const flags = { i: has('i'), m: has('m'), s: has('s') };
    let test: StringTest;
    try {
      test = compileRegex(text, flags);
    } catch (err) {
      throw new RuleProblem('invalid', `|re: not a regular expression: ${(err as Error).message}`, path);
    }
    return (ev) => (ev.texts(field) ?? []).some(test);
  }
  const cased = has('cased');
  if (has('fieldref')) {
    const where = modifiers.find((m) => POSITION.has(m));
    return (ev) => {
      const mine = cased ? ev.texts(field) : ev.lower(field);
      const other = cased ? ev.texts(text) : ev.lower(text);
      if (!mine || !other) return false;
      return mine.some((a) =>
        other.some((b) => (where === 'contains' ? a.includes(b) : where === 'startswith' ? a.startsWith(b) : where === 'endswith' ? a.endsWith(b) : a === b)),
      );
    };
  }

  const tests = stringTests(field, modifiers, value as string | number | boolean, path).map((t) => t.test);
  return (ev) => {
    const vs = cased ? ev.texts(field) : ev.lower(field);
    if (!vs) return false;
    for (const v of vs) for (const t of tests) if (t(v)) return true;
    return false;
  };
}

/** The string tests of one plain value after its transformation modifiers; `exact` when it is a plain equality. */
function stringTests(field: string, modifiers: string[], value: string | number | boolean, path: YamlPath): { test: StringTest; exact?: string }[] {
  const has = (m: string) => modifiers.includes(m);
  const cased = has('cased');
  const text = String(value);
  let patterns = [typeof value === 'string' ? text : escapeWildcards(text)];
  const encoded = modifiers.some((m) => ENCODING.has(m));
  let bytes: Buffer[] | null = null;
  for (const m of modifiers) {
    if (m === 'windash') patterns = patterns.flatMap(windash);
    else if (m === 'utf16le' || m === 'wide') bytes = literal(patterns, bytes).map((s) => Buffer.from(s, 'utf16le'));
    else if (m === 'utf16be') bytes = literal(patterns, bytes).map((s) => swap16(Buffer.from(s, 'utf16le')));
    else if (m === 'utf16') bytes = literal(patterns, bytes).map((s) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]));
    else if (m === 'base64') {
      patterns = toBuffers(patterns, bytes).map((b) => escapeWildcards(b.toString('base64')));
      bytes = null;
    } else if (m === 'base64offset') {
      patterns = toBuffers(patterns, bytes).flatMap(base64Offsets).map(escapeWildcards);
      bytes = null;
    }
  }
  if (bytes) patterns = bytes.map((b) => escapeWildcards(b.toString('latin1')));
  if (encoded && has('base64offset') && !has('contains')) {
    // base64offset values are fragments of a longer encoding: only meaningful with |contains.
    throw new RuleProblem('invalid', `|base64offset must be followed by |contains (${field})`, path);
  }
  return patterns.map((p) => {
    const full = position(p, modifiers);
    const literal = !/[*?\\]/.test(full);
    return literal ? { test: compileWildcard(full, cased), exact: cased ? full : full.toLowerCase() } : { test: compileWildcard(full, cased) };
  });
}

function position(pattern: string, modifiers: string[]): string {
  if (modifiers.includes('contains')) return `*${pattern}*`;
  if (modifiers.includes('startswith')) return `${pattern}*`;
  if (modifiers.includes('endswith')) return `*${pattern}`;
  return pattern;
}

function literal(patterns: string[], bytes: Buffer[] | null): string[] {
  if (bytes) return bytes.map((b) => b.toString('latin1'));
  return patterns.map((p) => parseWildcards(p).map((x) => ('text' in x ? x.text : x.wildcard)).join(''));
}

function toBuffers(patterns: string[], bytes: Buffer[] | null): Buffer[] {
  return bytes ?? literal(patterns, null).map((s) => Buffer.from(s, 'utf8'));
}

function swap16(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out.swap16();
  return out;
}

/** The three encodings of a value at byte offsets 0, 1, 2 of a longer base64 text, trimmed to their stable part. */
export function base64Offsets(value: Buffer): string[] {
  const starts = [0, 2, 3];
  const ends = [undefined, -3, -2];
  return [0, 1, 2].map((i) => {
    const encoded = Buffer.concat([Buffer.alloc(i, 0x20), value]).toString('base64');
    const end = ends[(value.length + i) % 3];
    return encoded.slice(starts[i], end);
  });
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** Every permutation of the dash-like characters at each `-` or `/` position. */
export function windash(pattern: string): string[] {
  const positions = [...pattern].flatMap((c, i) => (c === '-' || c === '/' ? [i] : []));
  if (positions.length === 0) return [pattern];
  if (positions.length > 6) {
    // 5^n variants: beyond 6 dashes, match each with a character class instead.
    return [pattern];
  }
  let out = [[...pattern]];
  for (const p of positions) out = out.flatMap((chars) => DASHES.map((d) => Object.assign([...chars], { [p]: d })));
  return out.map((chars) => chars.join(''));
}

export function anyOf(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  return (ev) => {
    for (const p of preds) if (p(ev)) return true;
    return false;
  };
}

export function allOf(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  return (ev) => {
    for (const p of preds) if (!p(ev)) return false;
    return true;
  };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : typeof v;
}
