// AN1214 (T1560.003 Archive via Custom Method): an interpreter's process tree writes a high-entropy file with no
// standard compression header into a temporary or user directory.
import { analytic } from '../harness/attack/catalog.js';
import type { AuditEvent } from '../harness/audit/event.js';
import type { FileArtifact, TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, Condition, Detector, DetectorInstance, HostContext, Needs } from './types.js';
import { AUDIT_RULES } from '../harness/events/needs.js';
import { register } from './registry.js';
import { attackFields } from './lib/alert.js';
import { INTERPRETER_RE, SHELL_RE, createdFiles, isSuccessfulExec, itemHost, timeMs } from './lib/audit-facts.js';
import { BoundedMap } from './lib/bounded.js';
import { configurer, field } from './lib/fields.js';
import { HostPathMap } from './lib/host-path-map.js';
import { DirectorySet, NameSet } from './lib/paths.js';
import { ProcessTable, chainLinks, describeProcess, programName, type ProcessInfo } from './lib/process-table.js';
import { scriptPath, xorLine } from './lib/scripts.js';
import { formatDuration, formatSize } from './lib/units.js';
import { NearMisses, listLimit } from './lib/near-misses.js';
import { describeFormat } from '../harness/telemetry/format.js';

export interface An1214Config {
  /** Directories watched for archive-like output (globs: `*` is one path segment). */
  ArchivePaths: string[];
  /** Bits per byte at or above which headerless content counts as compressed or encrypted. */
  EntropyThreshold: number;
  /** Script paths or program names known to use custom compression (globs; a bare name matches a base name). */
  ScriptAllowlist: string[];
  /** Extra: smaller files are ignored (entropy of a few hundred bytes cannot reach 8 bits/byte). */
  MinFileSizeBytes: number;
  /** Extra: how long a file creation waits for its content before it is dropped as "no content". */
  ContentWaitSeconds: number;
}

/** Standard archivers and encryptors: their output is T1560.001, not a custom method. */
const STANDARD_ARCHIVERS = new NameSet([
  'tar', 'gtar', 'bsdtar', 'gzip', 'pigz', 'gunzip', 'bzip2', 'pbzip2', 'xz', 'unxz', 'zstd', 'pzstd', 'lz4', 'lzma',
  'lzip', 'zip', 'unzip', '7z', '7za', '7zr', 'rar', 'unrar', 'cpio', 'pax', 'gpg', 'gpg2', 'openssl', 'age',
]);

const DEDUPE_MS = 86_400_000;
const CAP = 10_000;
/**
 * A shell that creates a file is usually a forked child setting up a redirection (`tool > out`, `a | tool > out`):
 * it execs the tool that really writes the content right after. The writer is known once that process execs, does
 * anything else, or this long has passed.
 */
const REDIRECT_EXEC_MS = 2_000;
const REDIRECT_SETUP_SYSCALLS = new Set(['open', 'openat', 'openat2', 'creat', 'dup', 'dup2', 'dup3', 'fcntl', 'close']);

const defaults: An1214Config = {
  ArchivePaths: ['/tmp', '/var/tmp', '/dev/shm', '/home/*', '/root'],
  EntropyThreshold: 7.5,
  ScriptAllowlist: [],
  MinFileSizeBytes: 1024,
  ContentWaitSeconds: 600,
};

const configure = configurer<An1214Config>(defaults, {
  ArchivePaths: field.strings((s) => {
    if (!s.startsWith('/')) throw new Error(`"${s}" is not an absolute path`);
  }),
  EntropyThreshold: field.number(0, 8),
  ScriptAllowlist: field.strings(),
  MinFileSizeBytes: field.size(),
  ContentWaitSeconds: field.duration(),
});

interface Creation {
  path: string;
  host: string | null;
  firstMs: number;
  firstTime: string;
  event: AuditEvent;
  eventIds: string[];
  actor: ProcessInfo;
  interpreter: ProcessInfo;
  chain: ProcessInfo[];
  script: string | null;
  /** The conditions it met before its content was known (path, writer, interpreter, allowlist). */
  held: Condition[];
  /** Waiting to learn whether the creating shell becomes (execs) the real writer. */
  writerPending: boolean;
  /** Content that arrived while the writer was pending. */
  content?: FileArtifact;
}

class An1214 implements DetectorInstance {
  private readonly procs: ProcessTable;
  private readonly dirs: DirectorySet;
  private readonly allow: NameSet;
  private readonly pending: HostPathMap<Creation>;
  private readonly contents: HostPathMap<FileArtifact>;
  private readonly alerted = new BoundedMap<string, true>(DEDUPE_MS, CAP);
  /** Creations by a shell process, keyed by host|pid, until that process shows what writes the file. */
  private readonly redirects = new BoundedMap<string, Creation[]>(DEDUPE_MS, CAP);
  private readonly misses = new NearMisses('AN1214');
  private readonly counts = {
    /** Creations whose content was refused or cut (artifact.unread): no decision on unmeasured content. */
    unreadContent: 0,
    creationsInArchivePaths: 0,
    candidates: 0,
    skippedNoInterpreter: 0,
    skippedStandardArchiver: 0,
    writerAfterExec: 0,
    skippedAllowlisted: 0,
    standardHeader: 0,
    lowEntropy: 0,
    tooSmall: 0,
    noContent: 0,
    alerts: 0,
  };

  constructor(
    private readonly config: An1214Config,
    host: HostContext,
  ) {
    this.procs = new ProcessTable(host.users);
    const waitMs = config.ContentWaitSeconds * 1000;
    this.dirs = new DirectorySet(config.ArchivePaths);
    this.allow = new NameSet(config.ScriptAllowlist);
    this.pending = new HostPathMap(waitMs, CAP, (c) => this.noContent(c));
    this.contents = new HostPathMap(waitMs, CAP);
  }

  push(item: TelemetryItem): Alert[] {
    if (item.kind === 'audit') return this.onAudit(item.event, itemHost(item));
    if (item.kind === 'artifact') return this.onArtifact(item.artifact);
    return [];
  }

  private onAudit(ev: AuditEvent, host: string | null): Alert[] {
    const at = timeMs(ev.time);
    const actor = this.procs.observe(ev, host, at);
    this.pending.expire(at);
    this.contents.expire(at);
    if (!actor) return [];
    const alerts: Alert[] = this.resolveRedirects(ev, host, actor, at);
    for (const path of createdFiles(ev)) {
      if (!this.dirs.containing(path)) continue;
      this.counts.creationsInArchivePaths++;
      const creation = this.candidate(ev, host, path, actor, at);
      if (!creation) continue;
      if (creation.writerPending) {
        const key = `${host ?? ''}|${actor.pid}`;
        this.redirects.set(key, [...(this.redirects.get(key) ?? []), creation].slice(-16), at);
      }
      const content = this.contents.find(host, path);
      if (content && timeMs(content.time) >= at - 2000) alerts.push(...this.decide(creation, content));
      else this.pending.set(host, path, creation, at);
    }
    return alerts;
  }

  /**
   * The process that really produced a shell-created file: when the creating shell process execs next, the new
   * program (tar, gpg, openssl, python...) writes the content; when it does anything but more redirection set-up
   * first (a clone, a connect...), or nothing for REDIRECT_EXEC_MS, the shell wrote it.
   */
  private resolveRedirects(ev: AuditEvent, host: string | null, actor: ProcessInfo, at: number): Alert[] {
    const alerts: Alert[] = [];
    const settle = (creations: Creation[], writer: ProcessInfo | null) => {
      for (const c of creations) {
        c.writerPending = false;
        if (writer && !this.rejudge(c, writer)) {
          this.pending.take(c.host, c.path);
          continue;
        }
        if (c.content) alerts.push(...this.decide(c, c.content));
      }
    };
    const key = `${host ?? ''}|${actor.pid}`;
    const mine = this.redirects.get(key);
    // More opens are the rest of the redirection set-up (`> out 2>/dev/null < in`), not a sign the shell wrote.
    const settles = isSuccessfulExec(ev) || !REDIRECT_SETUP_SYSCALLS.has(ev.syscall ?? '');
    if (mine && settles && !mine.some((c) => c.event === ev)) {
      this.redirects.delete(key);
      settle(mine, isSuccessfulExec(ev) ? actor : null);
    }
    // Shells that never showed anything else within the window wrote the file themselves.
    const stale: Creation[] = [];
    for (const [k, cs] of [...this.redirects.items()]) {
      if (cs.every((c) => at - c.firstMs > REDIRECT_EXEC_MS)) {
        this.redirects.delete(k);
        stale.push(...cs);
      }
    }
    settle(stale, null);
    return alerts;
  }

  /** Judge a creation again with the program its shell exec'd; false when that program is not a custom method. */
  private rejudge(c: Creation, writer: ProcessInfo): boolean {
    this.counts.writerAfterExec++;
    const fresh = this.candidate(c.event, c.host, c.path, writer, c.firstMs, true);
    if (!fresh) return false;
    Object.assign(c, { actor: fresh.actor, interpreter: fresh.interpreter, chain: fresh.chain, script: fresh.script, held: fresh.held });
    return true;
  }

  private candidate(ev: AuditEvent, host: string | null, path: string, actor: ProcessInfo, at: number, afterExec = false): Creation | null {
    if (this.alerted.has(`${host ?? ''}|${path}`)) return null;
    const held: Condition[] = [{ measure: 'path', observed: path, op: 'in', limit: this.dirs.containing(path), threshold: 'ArchivePaths', met: true }];
    const miss = (stage: number, failed: Condition) => this.misses.add(stage, `${describeProcess(actor)} wrote ${path}`, ev.time, host, [...held, failed]);
    const writer = programName(actor);
    const standard = STANDARD_ARCHIVERS.has(writer);
    held.push({ measure: 'writer', observed: writer, op: 'not in', limit: 'the standard archivers', threshold: null, met: !standard });
    if (standard) {
      this.counts.skippedStandardArchiver++;
      miss(1, held.pop()!);
      return null;
    }
    const chain = this.procs.chain(host, actor.pid);
    const interpreter = chain.find((p) => INTERPRETER_RE.test(programName(p)));
    if (!interpreter) {
      this.counts.skippedNoInterpreter++;
      const names = chain.slice(0, 6).map(programName).join(' ← ');
      miss(2, { measure: 'interpreter', observed: `none in the process chain (${names})`, op: 'is', limit: 'an interpreter writing or starting the writer', threshold: null, met: false });
      return null;
    }
    const upToInterpreter = chain.slice(0, chain.indexOf(interpreter) + 1);
    const scripts = upToInterpreter.map(scriptPath);
    const allowed = upToInterpreter.find((p) => this.allow.has(p.exe))?.exe ?? scripts.find((s) => this.allow.has(s));
    const script = scriptPath(interpreter) ?? programName(interpreter);
    const allowlist: Condition = { measure: 'script', observed: allowed ?? script, op: 'not in', limit: listLimit(this.config.ScriptAllowlist), threshold: 'ScriptAllowlist', met: !allowed };
    if (allowed) {
      this.counts.skippedAllowlisted++;
      miss(3, allowlist);
      return null;
    }
    held.push({ measure: 'interpreter', observed: programName(interpreter), op: 'is', limit: 'an interpreter', threshold: null, met: true }, allowlist);
    if (!afterExec) this.counts.candidates++;
    const previous = this.pending.find(host, path);
    return {
      path,
      host,
      firstMs: previous?.firstMs ?? at,
      firstTime: previous?.firstTime ?? ev.time,
      event: ev,
      eventIds: [...new Set([...(previous?.eventIds ?? []), ev.id])].slice(-5),
      actor,
      interpreter,
      chain,
      script: scriptPath(interpreter),
      held,
      writerPending: !afterExec && SHELL_RE.test(programName(actor)),
    };
  }

  private onArtifact(artifact: FileArtifact): Alert[] {
    const host = artifact.host ?? null;
    const at = timeMs(artifact.time);
    this.contents.set(host, artifact.path, artifact, at);
    const alerts: Alert[] = [];
    for (const creation of this.pending.take(host, artifact.path)) alerts.push(...this.decide(creation, artifact));
    this.pending.expire(at);
    return alerts;
  }

  private decide(c: Creation, content: FileArtifact): Alert[] {
    if (content.unread) {
      this.counts.unreadContent++;
      this.missContent(c, 'refused or cut (not measured)', content.time);
      return [];
    }
    if (c.writerPending) {
      c.content = content;
      return [];
    }
    const conditions = this.contentConditions(c, content);
    // Any recognised header (gzip, zip, png, ELF...) means the content is not a custom format.
    const failed = (['tooSmall', 'standardHeader', 'lowEntropy'] as const).find((_k, i) => !conditions[c.held.length + i]!.met);
    if (failed) {
      this.counts[failed]++;
      this.misses.add(5 + ['tooSmall', 'standardHeader', 'lowEntropy'].indexOf(failed), `${describeProcess(c.actor)} wrote ${c.path}`, c.event.time, c.host, conditions);
      return [];
    }
    const dedupeKey = `${c.host ?? ''}|${c.path}`;
    if (this.alerted.has(dedupeKey)) return [];
    this.alerted.set(dedupeKey, true, timeMs(content.time));
    this.counts.alerts++;

    const scriptContent = c.script ? this.contents.find(c.host, c.script) : undefined;
    const xor = scriptContent?.text ? xorLine(scriptContent.text) : null;
    const direct = c.actor.pid === c.interpreter.pid;
    const confidence = xor ? 'high' : direct ? 'medium' : 'low';
    const what = `${formatSize(content.size)}, ${describeFormat(content.format)}; entropy ${content.entropy.toFixed(2)} bits/byte`;
    const via = c.script ? ` (script ${c.script}${xor ? ', uses XOR' : ''})` : '';
    const artifacts = [content];
    if (scriptContent) artifacts.push({ ...scriptContent, text: scriptContent.text?.slice(0, 2000) ?? '' });
    const alert: Alert = {
      ...attackFields(detector.analytic),
      firstTime: c.firstTime,
      // The write decided it; the content read later only confirms it, so latency counts from the write.
      time: c.event.time,
      host: c.host,
      summary: `${describeProcess(c.actor)} wrote ${c.path}: ${what}${via}`,
      confidence,
      evidence: {
        eventIds: [...new Set([c.interpreter.execId, ...c.eventIds].filter((x): x is string => !!x))],
        processChain: chainLinks(c.chain),
        artifacts,
        facts: {
          path: c.path,
          archivePath: this.dirs.containing(c.path),
          sizeBytes: content.size,
          entropy: Number(content.entropy.toFixed(4)),
          header: content.header,
          interpreter: programName(c.interpreter),
          interpreterIsWriter: direct,
          script: c.script,
          scriptXor: xor,
          entropyThreshold: this.config.EntropyThreshold,
        },
        conditions,
      },
    };
    return [alert];
  }

  /** Size, format and entropy of the content, after the conditions the creation met. */
  private contentConditions(c: Creation, content: FileArtifact): Condition[] {
    const entropy = Number(content.entropy.toFixed(4));
    return [
      ...c.held,
      { measure: 'size', observed: content.size, op: '>=', limit: this.config.MinFileSizeBytes, threshold: 'MinFileSizeBytes', unit: 'bytes', met: content.size >= this.config.MinFileSizeBytes },
      { measure: 'recognised format', observed: content.format, op: 'is', limit: null, threshold: null, met: content.format === null },
      { measure: 'entropy', observed: entropy, op: '>=', limit: this.config.EntropyThreshold, threshold: 'EntropyThreshold', unit: 'bits/byte', met: content.entropy >= this.config.EntropyThreshold },
    ];
  }

  private missContent(c: Creation, observed: string, time: string): void {
    const failed: Condition = { measure: 'content', observed, op: 'is', limit: `read within ${formatDuration(this.config.ContentWaitSeconds * 1000)}`, threshold: 'ContentWaitSeconds', met: false };
    this.misses.add(4, `${describeProcess(c.actor)} wrote ${c.path}`, time, c.host, [...c.held, failed]);
  }

  private noContent(c: Creation): void {
    this.counts.noContent++;
    this.missContent(c, 'none arrived', c.firstTime);
  }

  flush(): Alert[] {
    const alerts: Alert[] = [];
    this.redirects.drain((_k, cs) => {
      for (const c of cs) {
        c.writerPending = false;
        if (c.content) alerts.push(...this.decide(c, c.content));
      }
    });
    this.pending.drain((c) => {
      if (!c.content) this.noContent(c);
    });
    return alerts;
  }

  stats(): Record<string, number> {
    return { ...this.counts, processes: this.procs.size };
  }

  nearMisses() {
    return this.misses.list();
  }
}

/** File creations, and the content of files created where archives are looked for and of the scripts that ran. */
const needs: Needs = {
  audit: AUDIT_RULES.fileCreation,
  records: ['SYSCALL', 'EXECVE', 'PATH', 'CWD'],
  content: { createdUnder: defaults.ArchivePaths, scripts: true },
  flows: false,
};

export const detector: Detector<An1214Config> = register({
  analytic: analytic('AN1214'),
  needs,
  defaults,
  configure: (overrides) => configure(overrides),
  create: (config, _shared, host) => new An1214(config, host),
});
