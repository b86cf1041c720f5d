// What a consumer of audit events needs, declared once: the audit rules that make the kernel log it, the record
// types it reads, whose files' content it wants, and whether it reads flows. The audit rules purple loads, the
// doctor's blind-spot check, the live artifact collector and replay's content lookups are all derived from these
// declarations, so a live run and a replay read the same files by construction.
import type { AuditEvent } from '../audit/event.js';
import { createdFileItems, executedPaths, executedScript, isSuccessfulExec, openedFile, baseName } from './facts.js';
import { DirectorySet } from './paths.js';
import { TRANSFER_TOOLS, transferTarget } from './transfer-args.js';

/** One audit rule: `-a always,exit -F arch=ARCH -S SYSCALLS -F FILTER...` (purple adds its run's key). */
export interface AuditRuleNeed {
  syscalls: string[];
  /** auditctl field filters without `-F`, e.g. `a2&0x40`, `success=1`, `uid>=1`. */
  filters?: string[];
  /** Default b64. */
  arch?: 'b64' | 'b32';
  /** Why the rule is there (shown next to the rule in the report). */
  why: string;
}

/** Whose content to read (size, entropy, format, the text of small scripts). */
export interface ContentNeed {
  /** Files created under these directories (globs: `*` is one path segment); ['/'] is every created file. */
  createdUnder?: string[];
  /** Files opened for reading under these directories. */
  readUnder?: string[];
  /** Programs executed (the exe, and the path it was run by). */
  executed?: boolean;
  /** Scripts an interpreter runs (`python3 /x/y.py` → /x/y.py). */
  scripts?: boolean;
  /** Local files a transfer tool's command line uploads (`scp /data/x host:`). */
  transferSources?: boolean;
}

export interface Needs {
  audit: AuditRuleNeed[];
  /** Audit record types read (SYSCALL, EXECVE, PATH, CWD, SOCKADDR, PROCTITLE...). */
  records: string[];
  content: ContentNeed;
  flows: boolean;
}

/**
 * The event layer's own needs: every exec and every fork/clone (the child's pid is the syscall's exit value), so the
 * process table knows ancestry and the run attributes container processes by descent; and the records it reads.
 */
export const PROCESS_NEEDS: Needs = {
  audit: [
    { syscalls: ['execve', 'execveat'], why: 'process creation: every exec' },
    { syscalls: ['execve'], arch: 'b32', why: 'process creation: 32-bit execs' },
    { syscalls: ['clone', 'clone3', 'fork', 'vfork'], filters: ['success=1'], why: 'ancestry: the child pid is the exit value' },
  ],
  records: ['SYSCALL', 'EXECVE', 'PATH', 'CWD', 'PROCTITLE'],
  content: {},
  flows: false,
};

/** Rules several declarations share. */
export const AUDIT_RULES = {
  /** open/openat with O_CREAT (0x40) and creat: syscall rules also see files created inside containers (overlayfs). */
  fileCreation: [
    { syscalls: ['openat'], filters: ['a2&0x40', 'success=1'], why: 'file creation: openat with O_CREAT' },
    { syscalls: ['open'], filters: ['a1&0x40', 'success=1'], why: 'file creation: open with O_CREAT' },
    { syscalls: ['creat'], filters: ['success=1'], why: 'file creation: creat' },
    // Write to a temp name, then move into place: the PATH item of the new name is a CREATE.
    { syscalls: ['rename', 'renameat', 'renameat2'], filters: ['success=1'], why: 'file creation: a rename into place' },
  ],
  chmod: [{ syscalls: ['fchmodat', 'chmod', 'fchmod'], filters: ['success=1'], why: 'mode changes (a file made executable)' }],
  /** Opens by unprivileged users (root's own reads would flood the log). */
  unprivilegedOpens: [{ syscalls: ['openat', 'open'], filters: ['uid>=1', 'uid<=65534', 'success=1'], why: 'files opened by unprivileged users' }],
  /** connect() carries the destination in a SOCKADDR record. */
  connect: [{ syscalls: ['connect'], why: 'outbound connections' }],
} satisfies Record<string, AuditRuleNeed[]>;

/** Everyone's needs together: the process table's plus each consumer's. */
export function allNeeds(needs: readonly Needs[]): Needs[] {
  return [PROCESS_NEEDS, ...needs];
}

/** The auditctl argument vectors (without the key) for these needs: rules with the same arch and filters merged. */
export function auditRules(needs: readonly Needs[]): string[][] {
  const merged = new Map<string, { arch: string; filters: string[]; syscalls: string[] }>();
  for (const n of allNeeds(needs)) {
    for (const rule of n.audit) {
      const arch = rule.arch ?? 'b64';
      const filters = [...(rule.filters ?? [])].sort();
      const key = `${arch}|${filters.join(' ')}`;
      const entry = merged.get(key) ?? { arch, filters, syscalls: [] };
      for (const s of rule.syscalls) if (!entry.syscalls.includes(s)) entry.syscalls.push(s);
      merged.set(key, entry);
    }
  }
  return [...merged.values()].map((r) => [
    '-a', 'always,exit', '-F', `arch=${r.arch}`, '-S', r.syscalls.join(','), ...r.filters.flatMap((f) => ['-F', f]),
  ]);
}

/** What the audit trail must not hide for these needs: the syscalls audited and the record types read. */
export interface AuditDemand {
  syscalls: string[];
  records: string[];
}

export function auditDemand(needs: readonly Needs[]): AuditDemand {
  const all = allNeeds(needs);
  return {
    syscalls: [...new Set(all.flatMap((n) => n.audit.flatMap((r) => r.syscalls)))],
    records: [...new Set(all.flatMap((n) => n.records))],
  };
}

/** Machinery paths, never content: kernel views, the run's own cron jobs and step logs. */
const NEVER = [/^\/proc\//, /^\/sys\//, /^\/dev\/(?!shm\/)/, /^\/run\//, /^\/var\/log\/purple\//, /^\/etc\/cron\.d\//];

/**
 * Which files' content an event makes wanted, for every declared need at once. The live artifact collector and
 * replay both select with this, so both read the same files.
 */
export class ContentSelection {
  private readonly created: DirectorySet;
  private readonly read: DirectorySet;
  private readonly executed: boolean;
  private readonly scripts: boolean;
  private readonly transferSources: boolean;

  constructor(needs: readonly Needs[]) {
    const content = needs.map((n) => n.content);
    this.created = new DirectorySet(content.flatMap((c) => c.createdUnder ?? []));
    this.read = new DirectorySet(content.flatMap((c) => c.readUnder ?? []));
    this.executed = content.some((c) => c.executed);
    this.scripts = content.some((c) => c.scripts);
    this.transferSources = content.some((c) => c.transferSources);
  }

  /** Absolute paths whose content is wanted after this event, in a stable order. */
  select(ev: AuditEvent): string[] {
    const out = new Set<string>();
    for (const { path } of createdFileItems(ev)) if (this.created.containing(path)) out.add(path);
    const opened = openedFile(ev);
    if (opened && !opened.forWrite && this.read.containing(opened.path)) out.add(opened.path);
    if (isSuccessfulExec(ev)) {
      if (this.executed) for (const p of executedPaths(ev)) out.add(p);
      const script = this.scripts ? executedScript(ev) : null;
      if (script) out.add(script);
      if (this.transferSources && TRANSFER_TOOLS.has(baseName(ev.process.argv[0] ?? ''))) {
        for (const p of transferTarget(ev.process.argv, ev.process.cwd).sources) if (p.startsWith('/')) out.add(p);
      }
    }
    return [...out].filter((p) => !NEVER.some((re) => re.test(p)));
  }
}
