// The condition language: and/or/not, parentheses, `1 of`/`all of`/`N of` over identifier patterns and `them`.
// Precedence (least to most binding): or, and, not, x of, ( ).
import { allOf, anyOf, RuleProblem, type CompiledSelection, type Predicate, type YamlPath } from './detection.js';

type Node =
  | { op: 'id'; name: string }
  | { op: 'and' | 'or'; items: Node[] }
  | { op: 'not'; item: Node }
  | { op: 'of'; count: number | 'all'; names: string[] };

export interface CompiledCondition {
  test: Predicate;
  /** Record types the condition can match: known only when every match needs a selection restricted by `type:`. */
  recordTypes: Set<string> | null;
}

export function compileCondition(text: string, selections: Map<string, CompiledSelection>, path: YamlPath): CompiledCondition {
  if (/\|/.test(text)) {
    throw new RuleProblem('unsupported', 'aggregations in the condition (`| count() ...`, Sigma 1.0) are not evaluated: write a correlation rule', path);
  }
  if (/\bnear\b/i.test(text)) throw new RuleProblem('unsupported', '`near` (Sigma 1.0) is not evaluated: write a temporal correlation rule', path);
  const tokens = tokenize(text, path);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (message: string): never => {
    throw new RuleProblem('invalid', `condition "${text}": ${message}`, path);
  };
  const expect = (t: string) => {
    if (peek()?.toLowerCase() !== t) fail(`expected "${t}"${peek() ? ` before "${peek()}"` : ' at the end'}`);
    i++;
  };
  const names = [...selections.keys()];
  const matching = (pattern: string): string[] => {
    if (pattern.toLowerCase() === 'them') return names.filter((n) => !n.startsWith('_'));
    const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const found = names.filter((n) => re.test(n));
    if (found.length === 0) fail(`no search identifier matches "${pattern}"`);
    return found;
  };

  const parseOr = (): Node => {
    const items = [parseAnd()];
    while (peek()?.toLowerCase() === 'or') {
      i++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0]! : { op: 'or', items };
  };
  const parseAnd = (): Node => {
    const items = [parseNot()];
    while (peek()?.toLowerCase() === 'and') {
      i++;
      items.push(parseNot());
    }
    return items.length === 1 ? items[0]! : { op: 'and', items };
  };
  const parseNot = (): Node => {
    if (peek()?.toLowerCase() === 'not') {
      i++;
      return { op: 'not', item: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Node => {
    const t = peek();
    if (t === undefined) return fail('ends too early');
    if (t === '(') {
      i++;
      const inner = parseOr();
      expect(')');
      return inner;
    }
    const lower = t.toLowerCase();
    if ((lower === 'all' || lower === 'any' || /^\d+$/.test(t)) && tokens[i + 1]?.toLowerCase() === 'of') {
      i += 2;
      const pattern = peek();
      if (pattern === undefined || pattern === '(' || pattern === ')') return fail(`"${t} of" needs an identifier pattern or "them"`);
      i++;
      const count = lower === 'all' ? 'all' : lower === 'any' ? 1 : Number(t);
      if (count === 0) fail('"0 of" matches nothing');
      return { op: 'of', count, names: matching(pattern) };
    }
    if (['and', 'or', 'not', 'of', ')'].includes(lower)) return fail(`unexpected "${t}"`);
    if (t.includes('*')) fail(`"${t}": a pattern needs "1 of" or "all of" before it`);
    if (!selections.has(t)) fail(`unknown search identifier "${t}"; defined: ${names.join(', ')}`);
    i++;
    return { op: 'id', name: t };
  };

  const tree = parseOr();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return { test: build(tree, selections), recordTypes: typesOf(tree, selections) };
}

function tokenize(text: string, path: YamlPath): string[] {
  const out: string[] = [];
  const re = /\s*([()]|[^\s()]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(m[1]!);
  if (text.trim() !== '' && out.length === 0) throw new RuleProblem('invalid', `condition "${text}" has no expression`, path);
  if (text.trim() === '') throw new RuleProblem('invalid', 'empty condition', path);
  return out;
}

function build(node: Node, selections: Map<string, CompiledSelection>): Predicate {
  switch (node.op) {
    case 'id':
      return selections.get(node.name)!.test;
    case 'and':
      return allOf(node.items.map((n) => build(n, selections)));
    case 'or':
      return anyOf(node.items.map((n) => build(n, selections)));
    case 'not': {
      const inner = build(node.item, selections);
      return (ev) => !inner(ev);
    }
    case 'of': {
      const preds = node.names.map((n) => selections.get(n)!.test);
      if (node.count === 'all') return allOf(preds);
      if (node.count === 1) return anyOf(preds);
      const need = node.count;
      return (ev) => {
        let hits = 0;
        for (const p of preds) if (p(ev) && ++hits >= need) return true;
        return false;
      };
    }
  }
}

/** null = any record type. */
function typesOf(node: Node, selections: Map<string, CompiledSelection>): Set<string> | null {
  const union = (sets: (Set<string> | null)[]): Set<string> | null => (sets.some((s) => s === null) ? null : new Set(sets.flatMap((s) => [...s!])));
  const intersect = (sets: (Set<string> | null)[]): Set<string> | null => {
    const known = sets.filter((s): s is Set<string> => s !== null);
    if (known.length === 0) return null;
    return known.reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
  };
  switch (node.op) {
    case 'id':
      return selections.get(node.name)!.recordTypes;
    case 'and':
      return intersect(node.items.map((n) => typesOf(n, selections)));
    case 'or':
      return union(node.items.map((n) => typesOf(n, selections)));
    case 'not':
      return null;
    case 'of': {
      const sets = node.names.map((n) => selections.get(n)!.recordTypes);
      return node.count === 'all' ? intersect(sets) : union(sets);
    }
  }
}
