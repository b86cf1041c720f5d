// `--rules PATH`, `--detector 'CMD ARGS'`, `--detector-timeout S` and `--no-builtin`, shared by `purple run` and
// `purple replay`: rule files loaded and compiled once, invalid rules refused with file and line (exit 2).
import type { ByodConfig } from '../../detectors/byod/sources.js';
import { alertingRules, ruleRef } from '../../detectors/byod/sigma-source.js';
import { DEFAULT_LIMITS, parseDetectorSpecs, type DetectorSpec } from '../../detectors/external/runner.js';
import { loadRules, RulePathError, type LintEntry } from '../../detectors/sigma/loader.js';
import type { RuleEntry } from '../run/rule-scoring.js';
import { UsageError } from './command.js';

export const BYOD_OPTIONS = {
  rules: { type: 'string' as const, multiple: true as const, default: [] as string[] },
  detector: { type: 'string' as const, multiple: true as const, default: [] as string[] },
  'detector-timeout': { type: 'string' as const },
  'no-builtin': { type: 'boolean' as const, default: false },
};

export const BYOD_USAGE = `  --rules PATH            Sigma rules: a file, or a folder searched recursively for .yml/.yaml; repeatable
                          (unsupported rules are skipped with a warning, see purple rules lint)
  --detector 'CMD ARGS'   an external detector fed telemetry as JSON lines (protocol: README); repeatable
  --detector-timeout S    seconds a detector may take after its input ends (default ${DEFAULT_LIMITS.timeoutMs / 1000})
  --no-builtin            run only the given rules and detectors, not the built-in detectors`;

export interface Byod {
  config: ByodConfig | undefined;
  noBuiltin: boolean;
  paths: string[];
  sigma: RuleEntry[];
  detectors: DetectorSpec[];
  lint: { ok: number; unsupported: number; invalid: number };
  /** Rules skipped because purple does not evaluate them (one line each). */
  skipped: string[];
}

export function loadByod(values: { rules?: string[]; detector?: string[]; 'detector-timeout'?: string; 'no-builtin'?: boolean }): Byod {
  const paths = values.rules ?? [];
  const noBuiltin = values['no-builtin'] ?? false;
  let detectors: DetectorSpec[];
  try {
    detectors = parseDetectorSpecs(values.detector ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let timeoutMs = DEFAULT_LIMITS.timeoutMs;
  if (values['detector-timeout'] !== undefined) {
    const s = Number(values['detector-timeout']);
    if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--detector-timeout must be a number of seconds, not "${values['detector-timeout']}"`);
    timeoutMs = s * 1000;
  }
  if (noBuiltin && paths.length === 0 && detectors.length === 0) throw new UsageError('--no-builtin leaves nothing to run: give --rules PATH or --detector CMD');
  let loaded: ReturnType<typeof loadRules> = { rules: [], lint: [] };
  if (paths.length) {
    try {
      loaded = loadRules(paths);
    } catch (err) {
      if (err instanceof RulePathError) throw new UsageError(err.message);
      throw err;
    }
    const invalid = loaded.lint.filter((e) => e.status === 'invalid');
    if (invalid.length) throw new UsageError(`invalid Sigma rules (purple rules lint shows all):\n${invalid.map((e) => `  ${lintLine(e)}`).join('\n')}`);
  }
  const count = (s: string) => loaded.lint.filter((e) => e.status === s).length;
  const sigma: RuleEntry[] = alertingRules(loaded.rules).map((meta) => {
    const rule = ruleRef(meta);
    return { key: `sigma:${rule.id ?? rule.path}`, source: 'sigma', rule, techniques: meta.techniques };
  });
  const config = loaded.rules.length || detectors.length ? { rules: loaded.rules, detectors, limits: { ...DEFAULT_LIMITS, timeoutMs } } : undefined;
  return {
    config,
    noBuiltin,
    paths,
    sigma,
    detectors,
    lint: { ok: count('ok'), unsupported: count('unsupported'), invalid: count('invalid') },
    skipped: loaded.lint.filter((e) => e.status === 'unsupported').map(lintLine),
  };
}

export function lintLine(e: LintEntry): string {
  return `${e.file}:${e.line}: ${e.status}${e.title ? ` (${e.title})` : ''}${e.reason ? `: ${e.reason}` : ''}`;
}
