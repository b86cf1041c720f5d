// Replaying recorded telemetry through the engine: an audit log, conntrack text and saved artifacts, merged by time,
// with optional content lookups under a root directory. Streaming: memory does not grow with the log.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { auditEvents, type AuditStats } from '../harness/audit/index.js';
import type { AuditEvent } from '../harness/audit/event.js';
import { conntrackFlows, type ConntrackStats } from '../harness/telemetry/conntrack.js';
import { analyzeFile } from '../harness/telemetry/content.js';
import type { FileArtifact, TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, SharedConfig } from './types.js';
import { createEngine, mergeByTime, type EngineStats } from './engine.js';
import { INTERPRETER_RE, baseName, createdFiles, executedPaths, isSuccessfulExec } from './lib/audit-facts.js';
import { BoundedMap } from './lib/bounded.js';
import { scriptPath } from './lib/scripts.js';
import { transferTarget } from './lib/transfer-args.js';
import { usePasswdFile } from './lib/users.js';
import { RuleSources, type ByodConfig, type DetectorStatus } from './byod/sources.js';
import { ruleKey, type RuleAlert } from './byod/types.js';
import { userNamesFromPasswd } from './sigma/linux-fields.js';
import { StepGate } from '../harness/run/step-gate.js';

export interface ReplayInput {
  auditLog: string;
  flows?: string;
  artifacts?: string;
  /** Look up files named in the audit log under this directory for their content. */
  root?: string;
  /** Host name to attach to items that carry none (a saved run's victim container). */
  host?: string;
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
  /** Content lookups under --root: files read, and files named in the log but absent or unreadable. */
  content: { root: string | null; analysed: number; missing: number };
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

const TRANSFER_TOOLS = /^(scp|sftp|rsync|ftp|pftp|lftp|tftp|atftp|ncftpput|smbclient|curl|wget)$/;

/** Files whose content the detectors may want, named by one event. */
export function contentPaths(ev: AuditEvent): string[] {
  const out = new Set(createdFiles(ev));
  if (isSuccessfulExec(ev)) {
    for (const p of executedPaths(ev)) out.add(p);
    const program = baseName(ev.process.exe);
    if (INTERPRETER_RE.test(program)) {
      const script = scriptPath({ argv: ev.process.argv, cwd: ev.process.cwd });
      if (script) out.add(script);
    }
    if (TRANSFER_TOOLS.test(baseName(ev.process.argv[0] ?? ''))) {
      for (const p of transferTarget(ev.process.argv, ev.process.cwd).sources) if (p.startsWith('/')) out.add(p);
    }
  }
  return [...out];
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
  if (input.root) {
    await readable(input.root, 'root directory');
    const passwd = path.join(input.root, 'etc/passwd');
    if (existsSync(passwd)) usePasswdFile(passwd);
  }
  const engineOptions: Parameters<typeof createEngine>[0] = { shared: input.shared, overrides: input.overrides ?? {} };
  if (input.only) engineOptions.only = input.only;
  const engine = createEngine(engineOptions);
  const host = input.host;
  let userNames = input.userNames;
  if (!userNames && input.root && existsSync(path.join(input.root, 'etc/passwd'))) {
    userNames = userNamesFromPasswd(readFileSync(path.join(input.root, 'etc/passwd'), 'utf8').slice(0, 1 << 20));
  }
  const sources = input.byod ? new RuleSources(input.byod, userNames ?? new Map()) : null;
  sources?.start({ scenario: input.scenario?.id ?? null, technique: input.scenario?.technique ?? null });
  const gate = input.steps ? new StepGate() : null;
  const stepNames = new Map((input.steps ?? []).map((s) => [s.tag, s.name]));
  for (const s of input.steps ?? []) gate!.expect(s.tag, s.command);
  const ruleAlerts: RuleAlert[] = [];
  const perRule = new Map<string, number>();
  const ruleCount = { alerts: 0, notKept: 0 };
  let pushed = 0;
  const pushRules = async (item: TelemetryItem) => {
    if (!sources) return;
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
    if (++pushed % 1024 === 0) await sources.drain();
  };

  const events = auditEvents(createReadStream(input.auditLog));
  async function* auditItems(): AsyncGenerator<TelemetryItem> {
    for await (const event of events) yield host === undefined ? { kind: 'audit', event } : { kind: 'audit', event, host };
  }
  const flowStream = input.flows ? conntrackFlows(createReadStream(input.flows), host === undefined ? {} : { host }) : null;
  async function* flowItems(): AsyncGenerator<TelemetryItem> {
    if (flowStream) for await (const flow of flowStream) yield { kind: 'flow', flow };
  }
  async function* artifactItems(): AsyncGenerator<TelemetryItem> {
    for (const artifact of savedArtifacts) yield { kind: 'artifact', artifact: host && !artifact.host ? { ...artifact, host } : artifact };
  }

  const content = { root: input.root ?? null, analysed: 0, missing: 0 };
  const looked = new BoundedMap<string, true>(Infinity, 20_000);
  const lookUp = async (ev: AuditEvent): Promise<FileArtifact[]> => {
    if (!input.root) return [];
    const out: FileArtifact[] = [];
    for (const p of contentPaths(ev)) {
      if (looked.has(p)) continue;
      looked.set(p, true, 0);
      try {
        const options: Parameters<typeof analyzeFile>[1] = { root: input.root, time: new Date(ev.time) };
        if (host !== undefined) options.host = host;
        out.push(await analyzeFile(p, options));
        content.analysed++;
      } catch {
        content.missing++;
      }
    }
    return out;
  };

  const alerts: Alert[] = [];
  for await (const item of mergeByTime(auditItems(), flowItems(), artifactItems())) {
    alerts.push(...engine.push(item));
    await pushRules(item);
    if (item.kind === 'audit') {
      for (const artifact of await lookUp(item.event)) {
        alerts.push(...engine.push({ kind: 'artifact', artifact }));
        await pushRules({ kind: 'artifact', artifact });
      }
    }
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
