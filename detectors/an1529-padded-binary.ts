// AN1529 (T1027.001 Binary Padding): a large binary, not created by a known deployer, is executed or opened by a
// non-standard user (its creator included, unless UserContext.exemptCreator) within a time window.
import { analytic } from '../harness/attack/catalog.js';
import type { AuditEvent } from '../harness/audit/event.js';
import type { FileArtifact, TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, Condition, Detector, DetectorInstance, HostContext, Needs, SharedConfig } from './types.js';
import { AUDIT_RULES } from '../harness/events/needs.js';
import { register } from './registry.js';
import { attackFields } from './lib/alert.js';
import { createdFileItems, executedPaths, isSuccessfulExec, itemHost, openedFile, timeMs } from './lib/audit-facts.js';
import { BoundedMap } from './lib/bounded.js';
import { ConfigFieldError, configurer, field } from './lib/fields.js';
import { HostPathMap } from './lib/host-path-map.js';
import { NameSet } from './lib/paths.js';
import { ProcessTable, chainLinks, describeProcess, programName, type ProcessInfo } from './lib/process-table.js';
import { formatDuration, formatSize } from './lib/units.js';
import { resolveUsers } from './lib/users.js';
import { NearMisses, listLimit } from './lib/near-misses.js';

export interface UserContext {
  /** Users (names or uids) expected to run or read anything; SharedConfig.standardUsers are added. */
  users: string[];
  /** Programs (names or globs) of known deployers: binaries they create or touch are expected. */
  deployers: string[];
  /**
   * Whether the creating user's own uses are expected. The analytic asks for "executed or accessed by non-standard
   * users", whoever created the file, so the default is false; true narrows it to uses by another user.
   */
  exemptCreator: boolean;
}

export interface An1529Config {
  FileSizeThresholdMB: number;
  UserContext: UserContext;
  /** Seconds between creation and use (a number, or "24h"). */
  TimeWindow: number;
  /** Extra: how long a use waits for the file's content (size, format) before it is dropped as "no content". */
  ContentWaitSeconds: number;
}

const CAP = 20_000;
const MB = 1024 * 1024;

const defaults: An1529Config = {
  FileSizeThresholdMB: 10,
  UserContext: {
    users: ['root'],
    deployers: [
      'dpkg', 'dpkg-deb', 'apt', 'apt-get', 'aptitude', 'unattended-upgr*', 'rpm', 'dnf', 'yum', 'zypper', 'apk',
      'pip', 'pip3*', 'npm', 'yarn', 'pnpm', 'gem', 'cargo', 'snapd', 'flatpak', 'ansible*', 'salt-*', 'puppet',
      'chef-client', 'Runner.Worker', 'gitlab-runner', 'buildkite-agent', 'jenkins*',
    ],
    exemptCreator: false,
  },
  TimeWindow: 86_400,
  ContentWaitSeconds: 600,
};

const parseUserContext = (v: unknown): UserContext => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error('expected a mapping with "users" and/or "deployers" lists, and/or "exemptCreator"');
  }
  const out = { ...defaults.UserContext };
  for (const [k, val] of Object.entries(v)) {
    if (k === 'exemptCreator') {
      if (typeof val !== 'boolean') throw new ConfigFieldError('UserContext.exemptCreator', `expected true or false, got ${JSON.stringify(val)}`);
      out.exemptCreator = val;
      continue;
    }
    if (k !== 'users' && k !== 'deployers') throw new ConfigFieldError(`UserContext.${k}`, 'unknown key; known: users, deployers, exemptCreator');
    try {
      out[k] = field.strings()(val);
    } catch (err) {
      throw new ConfigFieldError(`UserContext.${k}`, (err as Error).message);
    }
  }
  return out;
};

const configure = configurer<An1529Config>(defaults, {
  FileSizeThresholdMB: field.number(0, 1_000_000),
  UserContext: parseUserContext,
  TimeWindow: field.duration(),
  ContentWaitSeconds: field.duration(),
});

interface Creation {
  path: string;
  host: string | null;
  uid: number | null;
  ms: number;
  time: string;
  eventId: string;
  creator: ProcessInfo;
  /** The deployer program in the creator's process chain, if any. */
  deployer: string | null;
}

interface Use {
  creation: Creation;
  kind: 'executed' | 'opened';
  ms: number;
  time: string;
  eventId: string;
  chain: ProcessInfo[];
  /** Who used it and when, against the settings: the conditions it met before its content was known. */
  held: Condition[];
}

class An1529 implements DetectorInstance {
  private readonly procs: ProcessTable;
  private readonly standard: Set<number>;
  private readonly deployers: NameSet;
  private readonly windowMs: number;
  private readonly created: HostPathMap<Creation>;
  private readonly contents: HostPathMap<FileArtifact>;
  private readonly pendingUses: HostPathMap<Use[]>;
  private readonly alerted = new BoundedMap<string, true>(86_400_000, CAP);
  private readonly misses = new NearMisses('AN1529');
  /** The standard users and deployers as configured, shown in explanations (made once: uses are many). */
  private readonly usersLimit: string;
  private readonly deployersLimit: string;
  private readonly counts = {
    /** Uses whose file's content was refused or cut (artifact.unread): no decision on unmeasured content. */
    unreadContent: 0,
    creations: 0,
    uses: 0,
    sameUser: 0,
    creatorWriting: 0,
    standardUser: 0,
    deployer: 0,
    outsideWindow: 0,
    small: 0,
    notBinary: 0,
    noContent: 0,
    unresolvedUsers: 0,
    alerts: 0,
  };

  private readonly users: HostContext['users'];

  constructor(
    private readonly config: An1529Config,
    shared: SharedConfig,
    host: HostContext,
  ) {
    this.users = host.users;
    this.procs = new ProcessTable(host.users);
    const users = resolveUsers([...config.UserContext.users, ...shared.standardUsers], host.users);
    this.standard = users.uids;
    this.usersLimit = listLimit([...config.UserContext.users, ...shared.standardUsers]);
    this.deployersLimit = listLimit(config.UserContext.deployers);
    this.counts.unresolvedUsers = users.unresolved.length;
    this.deployers = new NameSet(config.UserContext.deployers);
    this.windowMs = config.TimeWindow * 1000;
    this.created = new HostPathMap(this.windowMs, CAP);
    this.contents = new HostPathMap(this.windowMs, CAP);
    this.pendingUses = new HostPathMap(config.ContentWaitSeconds * 1000, CAP, (uses) => this.noContent(uses));
  }

  push(item: TelemetryItem): Alert[] {
    if (item.kind === 'audit') return this.onAudit(item.event, itemHost(item));
    if (item.kind === 'artifact') return this.onArtifact(item.artifact);
    return [];
  }

  private onAudit(ev: AuditEvent, host: string | null): Alert[] {
    const at = timeMs(ev.time);
    const actor = this.procs.observe(ev, host, at);
    this.created.expire(at);
    this.contents.expire(at);
    this.pendingUses.expire(at);
    if (!actor) return [];
    const chain = this.procs.chain(host, actor.pid);
    for (const { path, isNew } of createdFileItems(ev)) {
      const previous = this.created.find(host, path);
      // Re-opening an existing file with O_CREAT does not make the opener its creator.
      if (previous && !isNew) continue;
      this.counts.creations++;
      this.created.set(host, path, {
        path,
        host,
        uid: ev.process.uid,
        ms: at,
        time: ev.time,
        eventId: ev.id,
        creator: actor,
        deployer: chain.map(programName).find((name) => this.deployers.has(name)) ?? null,
      }, at);
    }
    const used: { path: string; kind: Use['kind']; forWrite: boolean }[] = [];
    if (isSuccessfulExec(ev)) used.push(...executedPaths(ev).map((path) => ({ path, kind: 'executed' as const, forWrite: false })));
    const opened = openedFile(ev);
    if (opened) used.push({ path: opened.path, kind: 'opened', forWrite: opened.forWrite });
    const alerts: Alert[] = [];
    for (const { path, kind, forWrite } of used) {
      const creation = this.created.find(host, path);
      if (!creation) continue;
      const use: Use = { creation, kind, ms: at, time: ev.time, eventId: ev.id, chain, held: [] };
      if (!this.suspicious(use, ev.process.uid, forWrite)) continue;
      const content = this.contents.find(host, path);
      if (content) alerts.push(...this.decide(use, content));
      else {
        const waiting = this.pendingUses.find(host, path) ?? [];
        this.pendingUses.set(host, path, [...waiting, use].slice(-16), at);
      }
      break; // exe and PATH name are the same file
    }
    return alerts;
  }

  /** Who used it and when: everything but the content. */
  private suspicious(use: Use, uid: number | null, forWrite: boolean): boolean {
    this.counts.uses++;
    const c = use.creation;
    const byCreator = uid === c.uid;
    // The creator still writing its file (re-opening it to append or patch) is the creation, not a use.
    if (byCreator && forWrite && !this.config.UserContext.exemptCreator) {
      this.counts.creatorWriting++;
      return false;
    }
    const user = `${this.userName(uid, byCreator)}`;
    const deployer = c.deployer ?? use.chain.map(programName).find((name) => this.deployers.has(name)) ?? null;
    const seconds = Math.round((use.ms - c.ms) / 1000);
    const conditions: [keyof typeof this.counts, Condition][] = [
      ['sameUser', { measure: 'user', observed: user, op: 'is', limit: 'not the creator', threshold: 'UserContext.exemptCreator', met: !(byCreator && this.config.UserContext.exemptCreator) }],
      ['standardUser', { measure: 'user', observed: user, op: 'not in', limit: this.usersLimit, threshold: 'UserContext.users', met: !(uid !== null && this.standard.has(uid)) }],
      ['deployer', { measure: 'program', observed: deployer ?? programName(use.chain[0] ?? c.creator), op: 'not in', limit: this.deployersLimit, threshold: 'UserContext.deployers', met: deployer === null }],
      ['outsideWindow', { measure: 'time since creation', observed: seconds, op: '<=', limit: this.config.TimeWindow, threshold: 'TimeWindow', unit: 'seconds', met: use.ms - c.ms <= this.windowMs }],
    ];
    // Only a setting that is on says why: exemptCreator off is no condition.
    if (!this.config.UserContext.exemptCreator) conditions.shift();
    const failed = conditions.findIndex(([, cond]) => !cond.met);
    use.held = conditions.map(([, cond]) => cond);
    if (failed < 0) return true;
    this.counts[conditions[failed]![0]]++;
    this.misses.add(1 + failed, this.candidate(use), use.time, c.host, use.held);
    return false;
  }

  private userName(uid: number | null, creator: boolean): string {
    const name = this.users.userName(uid);
    const also = creator ? ', its creator' : '';
    return name ? `${name} (uid ${uid}${also})` : `uid ${uid ?? '?'}${creator ? ' (its creator)' : ''}`;
  }

  private candidate(use: Use): string {
    const actor = use.chain[0];
    return `${use.creation.path} ${use.kind} by ${actor ? describeProcess(actor) : 'an unknown process'}`;
  }

  private noContent(uses: Use[]): void {
    this.counts.noContent += uses.length;
    for (const use of uses) this.missContent(use, 'none arrived');
  }

  private missContent(use: Use, observed: string): void {
    const failed: Condition = { measure: 'content', observed, op: 'is', limit: `read within ${formatDuration(this.config.ContentWaitSeconds * 1000)}`, threshold: 'ContentWaitSeconds', met: false };
    this.misses.add(5, this.candidate(use), use.time, use.creation.host, [...use.held, failed]);
  }

  private onArtifact(artifact: FileArtifact): Alert[] {
    const host = artifact.host ?? null;
    const at = timeMs(artifact.time);
    this.contents.set(host, artifact.path, artifact, at);
    const alerts: Alert[] = [];
    for (const uses of this.pendingUses.take(host, artifact.path)) {
      for (const use of uses) alerts.push(...this.decide(use, artifact));
    }
    return alerts;
  }

  private decide(use: Use, content: FileArtifact): Alert[] {
    if (content.unread) {
      this.counts.unreadContent++;
      this.missContent(use, 'refused or cut (not measured)');
      return [];
    }
    const threshold = this.config.FileSizeThresholdMB * MB;
    const executableMode = content.mode !== null && (parseInt(content.mode, 8) & 0o111) !== 0;
    const binary = content.format === 'elf' || content.format === 'pe' || executableMode;
    const conditions: Condition[] = [
      ...use.held,
      { measure: 'size', observed: content.size, op: '>=', limit: threshold, threshold: 'FileSizeThresholdMB', unit: 'bytes', met: content.size >= threshold },
      { measure: 'format', observed: `${content.format ?? 'unrecognised'}, mode ${content.mode ?? 'unknown'}`, op: 'is', limit: 'ELF, PE or an executable mode', threshold: null, met: binary },
    ];
    if (content.size < threshold || !binary) {
      this.counts[content.size < threshold ? 'small' : 'notBinary']++;
      this.misses.add(content.size < threshold ? 6 : 7, this.candidate(use), use.time, use.creation.host, conditions);
      return [];
    }
    const user = use.chain[0]?.uid ?? null;
    const c = use.creation;
    const key = `${c.host ?? ''}|${c.path}|${user}|${use.kind}`;
    if (this.alerted.has(key)) return [];
    this.alerted.set(key, true, use.ms);
    this.counts.alerts++;
    const actor = use.chain[0];
    const what = `${formatSize(content.size)} ${content.format === 'elf' ? 'ELF' : content.format ?? 'executable'}`;
    return [
      {
        ...attackFields(detector.analytic),
        firstTime: c.time,
        time: use.time,
        host: c.host,
        summary:
          `${c.path} (${what}, created by uid ${c.uid ?? '?'}) ${use.kind} by ` +
          `${actor ? describeProcess(actor) : `uid ${user ?? '?'}`} ${formatDuration(use.ms - c.ms)} after creation`,
        confidence: use.kind === 'executed' && content.format === 'elf' ? 'high' : 'medium',
        evidence: {
          eventIds: [c.eventId, use.eventId],
          processChain: chainLinks(use.chain),
          artifacts: [content],
          facts: {
            path: c.path,
            sizeBytes: content.size,
            format: content.format,
            mode: content.mode,
            creatorUid: c.uid,
            creator: describeProcess(c.creator),
            userUid: user,
            userIsCreator: user === c.uid,
            use: use.kind,
            secondsAfterCreation: Math.round((use.ms - c.ms) / 1000),
            thresholdMB: this.config.FileSizeThresholdMB,
          },
          conditions,
        },
      },
    ];
  }

  flush(): Alert[] {
    this.pendingUses.drain((uses) => this.noContent(uses));
    return [];
  }

  stats(): Record<string, number> {
    return { ...this.counts, processes: this.procs.size };
  }

  nearMisses() {
    return this.misses.list();
  }
}

/** Who created which file and who later executed or opened it, and the content of every created file. */
const needs: Needs = {
  audit: [...AUDIT_RULES.fileCreation, ...AUDIT_RULES.chmod, ...AUDIT_RULES.unprivilegedOpens],
  records: ['SYSCALL', 'EXECVE', 'PATH', 'CWD'],
  content: { createdUnder: ['/'] },
  flows: false,
};

export const detector: Detector<An1529Config> = register({
  analytic: analytic('AN1529'),
  needs,
  defaults,
  configure: (overrides) => configure(overrides),
  create: (config, shared, host) => new An1529(config, shared, host),
});
