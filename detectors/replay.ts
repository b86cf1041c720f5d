// Replaying recorded telemetry through the engine: an audit log, conntrack text and saved artifacts, merged by time,
// with optional content lookups under a root directory. Streaming: memory does not grow with the log.
import { createReadStream, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { auditEvents, type AuditStats } from '../harness/audit/index.js';
import type { AuditEvent } from '../harness/audit/event.js';
import { conntrackFlows, type ConntrackStats } from '../harness/telemetry/conntrack.js';
import { readFileUnderRoot } from '../harness/telemetry/safe-read.js';
import type { FileArtifact, TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, SharedConfig } from './types.js';
import { createEngine, detectorNeeds, type EngineStats } from './engine.js';
import { mergeByTime } from './time-order.js';
import { BoundedMap } from '../harness/shared/bounded.js';
import { ContentSelection } from '../harness/events/needs.js';
import { userDirectory, type AccountFiles } from '../harness/events/users.js';
import { RuleSources, type ByodConfig, type DetectorStatus } from './byod/sources.js';
import { ruleKey, type RuleAlert } from './byod/types.js';
import { StepGate } from '../harness/events/step-gate.js';

export interface ReplayInput {
  auditLog: string;
  flows?: string;
  artifacts?: string;
  /** Look up files named in the audit log under this directory for their content. */
  root?: string;
  /** Host name to attach to items that carry none (a saved run's victim container). */
  host?: string;
  /** Hosts of events that are not `host`'s (a saved run's roles.json: the sink's events); no content is looked up for them. */
  eventHosts?: ReadonlyMap<string, string>;
  /** The recorded host's passwd and group (a saved run's accounts.json); else `<root>/etc/{passwd,group}`. */
  accounts?: Partial<AccountFiles>;
  shared: SharedConfig;
  overrides?: Record<string, Record<string, unknown>>;
  only?: string[];
  /** The user's Sigma rules and external detectors. */
  byod?: ByodConfig;
  /** A saved run's steps (tag, name, command): rules then see the steps' processes only, as in the live run. */
  steps?: { tag: string; name: string; command: string }[];
  /** uid -> user name for rules' User fields (else `<root>/etc/passwd`, else numeric uids). */
  userNames?: Map<number, string>;
  /** Scenario id and technique, for the external detectors' hello. */
  scenario?: { id: string; technique: string };
}

export interface ReplayStats {
  audit: AuditStats;
  flows: ConntrackStats | null;
  artifacts: number;
  /**
   * Content lookups under --root: files read, files refused or cut (`unread`: a symlink on the way, not a regular
   * file...), and files named in the log but absent; `selected` is every path the detectors' content needs pick from
   * the log (the same selection a live run reads).
   */
  content: { root: string | null; analysed: number; unread: number; missing: number; selected: string[] };
  engine: EngineStats;
  /** Rule alerts raised, and how many were not kept (each rule keeps its first 100, so memory stays bounded). */
  rules: { alerts: number; notKept: number };
}

const RULE_ALERTS_KEPT = 100;

export interface ReplayResult {
  alerts: Alert[];
  /** Alerts of the user's rules and detectors (when given). */
  ruleAlerts: RuleAlert[];
  detectors: DetectorStatus[];
  stats: ReplayStats;
}

/** A file the replay cannot read, or a malformed input: the message names the file (and line). */
export class ReplayInputError extends Error {}

const MAX_SELECTED = 20_000;
const selection = new ContentSelection(detectorNeeds());

/** Files whose content the detectors want, named by one event (the live artifact collector's selection too). */
export function contentPaths(ev: AuditEvent): string[] {
  return selection.select(ev);
}

/** Text of a small file under the replay root, read like any content (bounded, no link followed out of root). */
async function textUnder(root: string, file: string): Promise<string> {
  const artifact = await readFileUnderRoot(root, file).catch(() => null);
  return artifact && !artifact.unread ? artifact.text ?? '' : '';
}

async function readable(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch (err) {
    throw new ReplayInputError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A saved artifacts.json: a JSON array of FileArtifact, sorted by time. */
export function loadArtifacts(file: string): FileArtifact[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ReplayInputError(`cannot read artifacts file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ReplayInputError(`${file}${jsonErrorLine(text)}: not valid JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(data)) throw new ReplayInputError(`${file}: expected a JSON array of artifacts`);
  data.forEach((a, i) => {
    const ok =
      typeof a === 'object' && a !== null && typeof a.path === 'string' && typeof a.time === 'string' &&
      typeof a.size === 'number' && typeof a.entropy === 'number';
    if (!ok) throw new ReplayInputError(`${file}: artifact [${i}] needs at least path, time, size and entropy`);
  });
  return (data as FileArtifact[]).sort((a, b) => a.time.localeCompare(b.time));
}

/** ":LINE" of a JSON syntax error: the shortest prefix that fails for a reason other than ending too early. */
function jsonErrorLine(text: string): string {
  const failsInside = (k: number): boolean => {
    try {
      JSON.parse(text.slice(0, k));
      return false;
    } catch (err) {
      const message = (err as Error).message;
      const pos = /position (\d+)/.exec(message);
      if (/end of JSON input|Unterminated string/.test(message)) return false;
      return !pos || Number(pos[1]) < k;
    }
  };
  let lo = 1;
  let hi = text.length;
  if (!failsInside(hi)) return '';
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsInside(mid)) hi = mid;
    else lo = mid + 1;
  }
  return `:${text.slice(0, lo).split('\n').length}`;
}

export async function replay(input: ReplayInput): Promise<ReplayResult> {
  await readable(input.auditLog, 'audit log');
  if (input.flows) await readable(input.flows, 'flows file');
  const savedArtifacts = input.artifacts ? loadArtifacts(input.artifacts) : [];
  let accounts = input.accounts ?? {};
  if (input.root) {
    await readable(input.root, 'root directory');
    if (!input.accounts) accounts = { passwd: await textUnder(input.root, '/etc/passwd'), group: await textUnder(input.root, '/etc/group') };
  }
  const engineOptions: Parameters<typeof createEngine>[0] = {
    shared: input.shared,
    overrides: input.overrides ?? {},
    users: userDirectory(accounts),
  };
  if (input.only) engineOptions.only = input.only;
  const engine = createEngine(engineOptions);
  const host = input.host;
  // uid -> name for rules' User fields: the recorded host's directory, read safely like the built-ins' (never the
  // harness machine's passwd, never a link out of --root).
  const userNames = input.userNames ?? new Map(Object.entries(engineOptions.users!.users()).map(([name, uid]) => [uid, name]));
  const sources = input.byod ? new RuleSources(input.byod, userNames ?? new Map()) : null;
  sources?.start({ scenario: input.scenario?.id ?? null, technique: input.scenario?.technique ?? null });
  const gate = input.steps ? new StepGate() : null;
  const stepNames = new Map((input.steps ?? []).map((s) => [s.tag, s.name]));
  for (const s of input.steps ?? []) gate!.expect(s.tag, s.command);
  const ruleAlerts: RuleAlert[] = [];
  const perRule = new Map<string, number>();
  const ruleCount = { alerts: 0, notKept: 0 };
  let pushed = 0;
  // Synchronous: awaiting once per event would cost more than the rules themselves; external detectors' pipes are
  // drained every 1024 items instead.
  const pushRules = (item: TelemetryItem): boolean => {
    if (!sources) return false;
    let step: string | null | undefined;
    if (gate && item.kind === 'audit') {
      const tag = gate.observe(item.event, item.host ?? null);
      step = tag === null ? null : stepNames.get(tag) ?? tag;
    }
    for (const a of sources.push(item, step)) {
      ruleCount.alerts++;
      const key = ruleKey(a);
      const n = (perRule.get(key) ?? 0) + 1;
      perRule.set(key, n);
      if (n <= RULE_ALERTS_KEPT) ruleAlerts.push(a);
      else ruleCount.notKept++;
    }
    return ++pushed % 1024 === 0;
  };

  const events = auditEvents(createReadStream(input.auditLog));
  async function* auditItems(): AsyncGenerator<TelemetryItem> {
    for await (const event of events) {
      const other = input.eventHosts?.get(event.id);
      if (other !== undefined) yield { kind: 'audit', event, host: other };
      else yield host === undefined ? { kind: 'audit', event } : { kind: 'audit', event, host };
    }
  }
  const flowStream = input.flows ? conntrackFlows(createReadStream(input.flows), host === undefined ? {} : { host }) : null;
  async function* flowItems(): AsyncGenerator<TelemetryItem> {
    if (flowStream) for await (const flow of flowStream) yield { kind: 'flow', flow };
  }
  async function* artifactItems(): AsyncGenerator<TelemetryItem> {
    for (const artifact of savedArtifacts) yield { kind: 'artifact', artifact: host && !artifact.host ? { ...artifact, host } : artifact };
  }

  const content = { root: input.root ?? null, analysed: 0, unread: 0, missing: 0, selected: [] as string[] };
  const looked = new BoundedMap<string, true>(Infinity, 20_000);
  /** The paths this event names for the first time (recorded in the stats); read under --root by `lookUp`. */
  const newPaths = (ev: AuditEvent): string[] => {
    const fresh = contentPaths(ev).filter((p) => !looked.has(p));
    for (const p of fresh) {
      looked.set(p, true, 0);
      if (content.selected.length < MAX_SELECTED) content.selected.push(p);
    }
    return fresh;
  };
  const lookUp = async (ev: AuditEvent, root: string, paths: string[]): Promise<FileArtifact[]> => {
    const out: FileArtifact[] = [];
    for (const p of paths) {
      try {
        const options: Parameters<typeof readFileUnderRoot>[2] = { time: new Date(ev.time) };
        if (host !== undefined) options.host = host;
        // Inside --root with no symlink followed, bounded (safe-read.ts): a refused read is an artifact saying why.
        const artifact = await readFileUnderRoot(root, p, options);
        if (!artifact) content.missing++;
        else {
          out.push(artifact);
          if (artifact.unread) content.unread++;
          else content.analysed++;
        }
      } catch {
        content.missing++;
      }
    }
    return out;
  };

  const alerts: Alert[] = [];
  for await (const item of mergeByTime(auditItems(), flowItems(), artifactItems())) {
    alerts.push(...engine.push(item));
    let drain = pushRules(item);
    const event = item.kind === 'audit' && !input.eventHosts?.has(item.event.id) ? item.event : null;
    const paths = event ? newPaths(event) : [];
    if (event && paths.length && input.root) {
      for (const artifact of await lookUp(event, input.root, paths)) {
        alerts.push(...engine.push({ kind: 'artifact', artifact }));
        drain = pushRules({ kind: 'artifact', artifact }) || drain;
      }
    }
    if (drain) await sources!.drain();
  }
  alerts.push(...engine.flush());
  const finished = sources ? await sources.finish() : { alerts: [], detectors: [] };
  return {
    alerts,
    ruleAlerts: [...ruleAlerts, ...finished.alerts],
    detectors: finished.detectors,
    stats: {
      audit: events.stats,
      flows: flowStream?.stats ?? null,
      artifacts: savedArtifacts.length,
      content,
      engine: engine.stats(),
      rules: { alerts: ruleCount.alerts + finished.alerts.length, notKept: ruleCount.notKept },
    },
  };
}
