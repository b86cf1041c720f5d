// The `--config` file: trusted networks, standard users and per-analytic thresholds, in YAML or JSON (JSON is YAML,
// so one parser reads both and every error can name its line).
//
//   trusted_cidrs: [10.0.0.0/8, "fd00::/8"]
//   standard_users: [root, deploy, 1001]
//   analytics:
//     AN1214: { EntropyThreshold: 7.2, ScriptAllowlist: [/opt/backup/pack.py] }
//     AN1170: { enabled: false }
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import type { SharedConfig } from '../detectors/types.js';
import { detectors } from '../detectors/engine.js';
import type { AnyDetector } from '../detectors/registry.js';
import { parseCidr } from '../detectors/lib/cidr.js';
import { ConfigFieldError } from '../detectors/lib/fields.js';
import { splitEnabled } from '../detectors/engine.js';
import { UsageError } from './shared/errors.js';

export interface LoadedConfig {
  shared: SharedConfig;
  /** Per analytic id: the threshold overrides as written (validated), plus `enabled`. */
  overrides: Record<string, Record<string, unknown>>;
}

/** A configuration mistake: `file:line:col: field: problem`. Exit code 2 through the CLI. */
export class ConfigError extends UsageError {}

export const EMPTY_CONFIG: LoadedConfig = { shared: { trustedCidrs: [], standardUsers: [] }, overrides: {} };

export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = '<config>', available: readonly AnyDetector[] = detectors): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const where = (offset: number | undefined) => {
    const pos = lines.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  const fail = (node: Node | Pair | null | undefined, fieldPath: string, message: string): never => {
    const offset = node && 'range' in node ? node.range?.[0] : node && 'key' in node ? (node.key as Node | null)?.range?.[0] : 0;
    throw new ConfigError(`${where(offset)}: ${fieldPath ? `${fieldPath}: ` : ''}${message}`);
  };
  const firstError = doc.errors[0];
  if (firstError) throw new ConfigError(`${where(firstError.pos[0])}: ${firstError.message.split('\n')[0]}`);

  const config: LoadedConfig = { shared: { trustedCidrs: [], standardUsers: [] }, overrides: {} };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return config; // an empty file is an empty config
  if (!isMap(root)) return fail(root, '', 'expected a mapping with trusted_cidrs, standard_users, analytics');

  const scalarList = (node: unknown, name: string): { value: string; node: Node }[] => {
    if (!isSeq(node)) return fail(node as Node, name, 'expected a list');
    return node.items.map((item, i) => {
      if (!isScalar(item) || (typeof item.value !== 'string' && typeof item.value !== 'number')) {
        return fail(item as Node, `${name}[${i}]`, 'expected a string or number');
      }
      return { value: String(item.value), node: item };
    });
  };

  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    switch (key) {
      case 'trusted_cidrs':
        config.shared.trustedCidrs = scalarList(pair.value, key).map(({ value, node }, i) => {
          try {
            parseCidr(value);
          } catch (err) {
            fail(node, `${key}[${i}]`, (err as Error).message);
          }
          return value;
        });
        break;
      case 'standard_users':
        config.shared.standardUsers = scalarList(pair.value, key).map(({ value }) => value);
        break;
      case 'analytics':
        config.overrides = analytics(pair.value as Node, available, fail);
        break;
      default:
        fail(pair, key, 'unknown setting; known: trusted_cidrs, standard_users, analytics');
    }
  }
  // Thresholds are checked against the shared settings too (AN1170's TrustedCidrs default comes from them).
  for (const d of available) {
    try {
      d.configure(splitEnabled(config.overrides[d.analytic.id]).thresholds, config.shared);
    } catch (err) {
      throw new ConfigError(`${file}: analytics.${d.analytic.id}.${(err as Error).message}`);
    }
  }
  return config;
}

function analytics(
  node: Node,
  available: readonly AnyDetector[],
  fail: (node: Node | Pair | null | undefined, field: string, message: string) => never,
): Record<string, Record<string, unknown>> {
  if (!isMap(node)) return fail(node, 'analytics', 'expected a mapping of analytic id (AN1214...) to thresholds');
  const byId = new Map(available.map((d) => [d.analytic.id, d]));
  const out: Record<string, Record<string, unknown>> = {};
  for (const pair of node.items) {
    const id = isScalar(pair.key) ? String(pair.key.value) : '';
    const detector = byId.get(id);
    if (!detector) return fail(pair, `analytics.${id}`, `unknown analytic; known: ${[...byId.keys()].join(', ')}`);
    const value = pair.value as Node | null;
    if (!isMap(value)) return fail(value ?? pair, `analytics.${id}`, 'expected a mapping of threshold names to values');
    const thresholds: Record<string, unknown> = {};
    for (const entry of value.items) {
      const name = isScalar(entry.key) ? String(entry.key.value) : '';
      const v = (entry.value as Node | null)?.toJSON() ?? null;
      const fieldPath = `analytics.${id}.${name}`;
      try {
        if (name === 'enabled') splitEnabled({ enabled: v });
        else detector.configure({ [name]: v }, { trustedCidrs: [], standardUsers: [] });
      } catch (err) {
        const known = name in detector.defaults || name === 'enabled';
        const problem = err instanceof ConfigFieldError ? err.problem : (err as Error).message;
        const field = err instanceof ConfigFieldError ? `analytics.${id}.${err.field}` : fieldPath;
        fail(known ? (entry.value as Node) : entry, field, problem);
      }
      thresholds[name] = v;
    }
    out[id] = thresholds;
  }
  return out;
}
