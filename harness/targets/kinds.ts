// Target kinds, chosen by URI scheme. Each kind is one folder under harness/targets/ with a `kind.ts` that calls
// registerTargetKind(); loadTargetKinds() imports every such file, so adding a kind is adding a folder. A kind says
// how to parse its URI, which scenario platform runs there, how to connect, check (purple doctor --target) and
// clean up after killed runs.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Platform } from '../scenario/types.js';
import type { PlannedScenario, RunTarget } from '../run/suite.js';
import type { Check } from '../host/doctor.js';
import type { AuditDemand } from '../events/needs.js';
import { UsageError } from '../shared/errors.js';

/** Options of `purple run` / `purple doctor` a kind may use. */
export interface TargetOptions {
  identity?: string | undefined;
  knownHosts?: string | undefined;
  /** --user-map: scenario user -> host user. */
  userMap: Record<string, string>;
  /** What the detectors need the audit trail to show (doctor's blind-spot check). */
  audit: AuditDemand;
  progress: (line: string) => void;
}

/** What connecting gives the run: the target, plus the local engine and host warnings when there are any. */
export interface Connected {
  target: RunTarget;
  /** The local Docker engine, for the report's environment. */
  docker?: import('dockerode');
  /** What the host's own configuration hides or risks, carried into the report. */
  warnings?: string[];
}

export interface TargetKind<S = unknown> {
  /** URI scheme (`ssh` for ssh://...), or a bare word for a kind without an address (`local`). */
  scheme: string;
  /** The --target forms, for usage messages. */
  forms: string[];
  /** The scenario platform that runs on this kind. */
  platform: Platform;
  /** Reached over SSH: --identity and --known-hosts apply. */
  overSsh: boolean;
  /** Parses one --target value of this scheme; throws with the reason. */
  parse(text: string): { uri: string; spec: S };
  connect(spec: S, planned: PlannedScenario[], options: TargetOptions): Promise<Connected>;
  /** purple doctor (--target): the checks for this target. */
  doctor(spec: S, options: TargetOptions): Promise<Check[]>;
  /** purple cleanup: removes what killed runs left; `wanted` says which run ids, `act` removes (or reports). */
  cleanup?(wanted: (runId: string | undefined) => boolean, act: (what: string, action: () => Promise<unknown>) => Promise<void>): Promise<void>;
}

/** A parsed --target. */
export interface TargetChoice {
  kind: TargetKind;
  uri: string;
  spec: unknown;
}

const kinds = new Map<string, TargetKind>();

export function registerTargetKind<S>(kind: TargetKind<S>): TargetKind<S> {
  const existing = kinds.get(kind.scheme);
  if (existing && existing !== kind) throw new Error(`two target kinds register the scheme ${kind.scheme}`);
  kinds.set(kind.scheme, kind as TargetKind);
  return kind;
}

let loading: Promise<TargetKind[]> | undefined;

/** Every kind: each folder of harness/targets/ holding a kind module. */
export function loadTargetKinds(): Promise<TargetKind[]> {
  loading ??= (async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    for (const entry of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      if (existsSync(new URL(`${entry}/kind.js`, import.meta.url))) await import(new URL(`${entry}/kind.js`, import.meta.url).href);
    }
    return [...kinds.values()];
  })();
  return loading;
}

/** The kind a --target value names by its scheme (`ssh://...`) or bare word (`local`). */
export function parseTarget(text: string, where = '--target'): TargetChoice {
  const trimmed = text.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1] ?? trimmed;
  const kind = kinds.get(scheme.toLowerCase());
  if (!kind) {
    const forms = [...kinds.values()].flatMap((k) => k.forms);
    throw new UsageError(`${where}: ${JSON.stringify(text)}: expected ${forms.join(' or ')}`);
  }
  try {
    return { kind, ...kind.parse(trimmed) };
  } catch (err) {
    throw new UsageError(`${where}: ${(err as Error).message.replace(/^--target /, '')}`);
  }
}

/** The kind of the machine purple runs on (chosen when no target is named). */
export const LOCAL_SCHEME = 'local';
