// Rule files -> compiled rules and one lint entry per rule document: `ok`, `unsupported` (with the reason) or `invalid`
// (with file and line). A file is read whole (bounded); folders are searched recursively for .yml/.yaml.
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap as isYamlMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { RuleProblem, type YamlPath } from './detection.js';
import { logsourceKey, unfillableFields } from './linux-fields.js';
import { compileRule, type CompiledRule } from './rule.js';

export type LintStatus = 'ok' | 'unsupported' | 'invalid';

export interface LintEntry {
  file: string;
  line: number;
  /** Sigma id, else name, else null. */
  id: string | null;
  title: string | null;
  kind: 'detection' | 'correlation' | 'filter' | null;
  status: LintStatus;
  reason: string | null;
}

export interface LoadedRules {
  rules: CompiledRule[];
  lint: LintEntry[];
}

const MAX_FILE_BYTES = 1 << 20;
const MAX_FILES = 20_000;

/** A path on the command line that does not exist or holds no rule file: a usage error. */
export class RulePathError extends Error {}

/** Every .yml/.yaml under each path (a file is taken as is), sorted, without following directory symlinks. */
export function ruleFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if ((entry.isFile() || entry.isSymbolicLink()) && /\.ya?ml$/i.test(entry.name)) out.push(full);
      if (out.length > MAX_FILES) throw new RulePathError(`more than ${MAX_FILES} rule files under ${dir}`);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = lstatSync(p).isSymbolicLink() ? statSync(p) : lstatSync(p);
    } catch (err) {
      throw new RulePathError(`rules path ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (st.isDirectory()) {
      const before = out.length;
      walk(p);
      if (out.length === before) throw new RulePathError(`rules path ${p}: no .yml or .yaml file in it`);
    } else out.push(p);
  }
  return out;
}

export function loadRules(paths: string[]): LoadedRules {
  const rules: CompiledRule[] = [];
  const lint: LintEntry[] = [];
  for (const file of ruleFiles(paths)) loadFile(file, rules, lint);
  resolveReferences(rules, lint);
  return { rules, lint };
}

function loadFile(file: string, rules: CompiledRule[], lint: LintEntry[]): void {
  const invalid = (line: number, reason: string) => lint.push({ file, line, id: null, title: null, kind: null, status: 'invalid', reason });
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) return void invalid(1, `file is ${size} bytes, more than the ${MAX_FILE_BYTES} a rule file may have`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return void invalid(1, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
      invalid(line, `YAML: ${error.message.split('\n')[0]}`);
      continue;
    }
    if (doc.contents === null) continue;
    const lineOf = (p: YamlPath) => lineAt(doc, p, lineCounter);
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      invalid(lineOf([]), `YAML: ${(err as Error).message}`);
      continue;
    }
    const title = isPlainMap(data) && typeof data.title === 'string' ? data.title : null;
    const ident = isPlainMap(data) ? (typeof data.id === 'string' ? data.id : typeof data.name === 'string' ? data.name : null) : null;
    try {
      const rule = compileRule(data, file, lineOf);
      const entry: LintEntry = { file, line: rule.meta.line, id: ident, title, kind: rule.kind, status: 'ok', reason: null };
      if (rule.kind !== 'correlation') {
        const source = logsourceKey(rule.logsource);
        if ('unsupported' in source) Object.assign(entry, { status: 'unsupported', reason: source.unsupported });
        else if (rule.kind === 'detection') {
          const missing = unfillableFields(source.key, rule.fields);
          if (missing.length) Object.assign(entry, { status: 'unsupported', reason: `fields purple cannot fill: ${missing.join('; ')}` });
        }
      }
      lint.push(entry);
      if (entry.status === 'ok') rules.push(rule);
    } catch (err) {
      if (!(err instanceof RuleProblem)) throw err;
      lint.push({ file, line: lineOf(err.path), id: ident, title, kind: null, status: err.kind, reason: err.message });
    }
  }
}

/** Correlations and filters name rules by id or name: an unknown one makes them unsupported (the rule set lacks it). */
function resolveReferences(rules: CompiledRule[], lint: LintEntry[]): void {
  const known = new Set<string>();
  for (const r of rules) {
    if (r.meta.id) known.add(r.meta.id);
    if (r.meta.name) known.add(r.meta.name);
  }
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (r.kind === 'detection') continue;
    const missing = r.rules.filter((ref) => !known.has(ref));
    if (missing.length === 0 || r.kind === 'filter') continue;
    const entry = lint.find((e) => e.file === r.meta.file && e.line === r.meta.line);
    if (entry) Object.assign(entry, { status: 'unsupported', reason: `refers to rules not loaded or not evaluable: ${missing.join(', ')}` });
    rules.splice(i, 1);
  }
}

/** The line of the node at `p` (a map key's line for map entries), falling back to the nearest ancestor. */
function lineAt(doc: Document, p: YamlPath, counter: LineCounter): number {
  let node: unknown = doc.contents;
  let line = node && (node as { range?: number[] }).range ? counter.linePos((node as { range: number[] }).range[0]!).line : 1;
  for (const step of p) {
    if (isYamlMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === step);
      if (!pair) break;
      const key = pair.key as { range?: number[] };
      if (key.range) line = counter.linePos(key.range[0]!).line;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      const r = (node as { range?: number[] } | undefined)?.range;
      if (r) line = counter.linePos(r[0]!).line;
    } else break;
  }
  return line;
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
