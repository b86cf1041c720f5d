// What one normalized audit event means, the way go-libaudit's aucoalesce reads its events: is it an exec or a
// fork, which files did it create, write, execute or read (paths resolved against the PARENT item, i.e. the
// directory fd, or the cwd), which socket did it connect. Pure functions: collectors, telemetry checks, detectors and
// replay all read events through this module, so "a file was created" has one meaning.
import path from 'node:path';
import type { AuditEvent, AuditFile, AuditSocket } from '../audit/event.js';
import { absolutePath } from './paths.js';

const O_ACCMODE = 0x3;
const O_CREAT = 0x40;
export const EXEC_SYSCALLS: ReadonlySet<string> = new Set(['execve', 'execveat']);
/** Syscalls whose exit value is a new process's pid. */
export const FORK_SYSCALLS: ReadonlySet<string> = new Set(['clone', 'clone3', 'fork', 'vfork']);
const OPEN_FLAG_ARG: Record<string, number> = { open: 1, openat: 2 };

/** Interpreters that run scripts (what "a Python/Perl/Bash process tree" means). */
export const INTERPRETER_RE =
  /^(python[\d.]*|pypy[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*(-cli)?|node(js)?|deno|bun|lua[\d.]*|luajit|tclsh[\d.]*|wish[\d.]*|bash|sh|dash|zsh|ksh\d*|mksh|yash|fish|busybox|[gnm]?awk|osascript|pwsh)$/;
/** Shells, for "a non-interactive shell". */
export const SHELL_RE = /^(bash|sh|dash|zsh|ksh\d*|mksh|yash|fish|busybox)$/;
/** Schedulers whose descendants run without anyone at a terminal. */
export const SCHEDULER_RE = /^(cron|crond|anacron|atd|systemd-cron|fcron|busybox-crond)$/;
/** Service managers and supervisors: their descendants are services. */
export const SERVICE_MANAGER_RE = /^(systemd|init|upstart|runsv|runsvdir|supervisord|s6-supervise|dinit|openrc-run|purple-init)$/;

export function baseName(p: string | null | undefined): string {
  return p ? path.posix.basename(p) : '';
}

export function isSuccessfulExec(ev: AuditEvent): boolean {
  return ev.syscall !== null && EXEC_SYSCALLS.has(ev.syscall) && ev.success !== false;
}

/** The pid a successful fork/clone created (its exit value), or null. */
export function forkedChild(ev: AuditEvent): number | null {
  if (!ev.syscall || !FORK_SYSCALLS.has(ev.syscall) || ev.success === false || ev.exit === null || ev.exit <= 0) return null;
  return ev.exit === ev.process.pid ? null : ev.exit;
}

function argNumber(ev: AuditEvent, index: number): number | null {
  const raw = ev.args[index];
  if (raw === undefined) return null;
  const n = parseInt(raw, 16);
  return Number.isNaN(n) ? null : n;
}

/** open/openat flags, or null for other syscalls (openat2 passes a struct, so its flags are unknown). */
export function openFlags(ev: AuditEvent): number | null {
  const index = ev.syscall ? OPEN_FLAG_ARG[ev.syscall] : undefined;
  return index === undefined ? null : argNumber(ev, index);
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function isDirectoryOrLink(f: AuditFile): boolean {
  if (!f.mode) return false;
  const type = parseInt(f.mode, 8) & S_IFMT;
  return type === S_IFDIR || type === S_IFLNK;
}

/** Absolute path of a PATH item: relative names resolve against the PARENT item (dirfd) or the cwd. */
export function resolveFile(ev: AuditEvent, f: AuditFile): string | null {
  if (!f.name) return null;
  if (f.name.startsWith('/')) return path.posix.normalize(f.name);
  const parent = ev.files.find((p) => p.nametype === 'PARENT' && p.name?.startsWith('/'));
  if (parent?.name && !f.name.includes('/')) return path.posix.join(parent.name, f.name);
  return absolutePath(f.name, ev.process.cwd);
}

/**
 * Regular files this event created: PATH items with nametype=CREATE (open, creat, rename, link...), or the file of a
 * successful open/openat/creat with O_CREAT (which also covers re-writing an existing file: `isNew` false).
 */
export function createdFileItems(ev: AuditEvent): { path: string; isNew: boolean }[] {
  if (ev.success === false || ev.syscall === 'mkdir' || ev.syscall === 'mkdirat') return [];
  const out = new Map<string, boolean>();
  for (const f of ev.files) {
    if (f.nametype === 'CREATE' && !isDirectoryOrLink(f)) {
      const p = resolveFile(ev, f);
      if (p) out.set(p, true);
    }
  }
  if (out.size === 0) {
    const flags = openFlags(ev);
    if (ev.syscall === 'creat' || (flags !== null && (flags & O_CREAT) !== 0)) {
      const f = ev.files.find((x) => x.nametype === 'NORMAL' && !isDirectoryOrLink(x));
      const p = f ? resolveFile(ev, f) : null;
      if (p) out.set(p, false);
    }
  }
  return [...out].map(([path, isNew]) => ({ path, isNew }));
}

export function createdFiles(ev: AuditEvent): string[] {
  return createdFileItems(ev).map((c) => c.path);
}

/** The file a successful open/openat without O_CREAT opened (for reading, or writing an existing file). */
export function openedFile(ev: AuditEvent): { path: string; forWrite: boolean } | null {
  const flags = openFlags(ev);
  if (flags === null || ev.success === false || (flags & O_CREAT) !== 0) return null;
  const f = ev.files.find((x) => x.nametype === 'NORMAL' && !isDirectoryOrLink(x));
  const p = f ? resolveFile(ev, f) : null;
  return p ? { path: p, forWrite: (flags & O_ACCMODE) !== 0 } : null;
}

/** The program an exec ran: the exe, plus the path it was invoked by (PATH item 0) when that differs. */
export function executedPaths(ev: AuditEvent): string[] {
  const out = new Set<string>();
  if (ev.process.exe) out.add(ev.process.exe);
  const first = ev.files.find((f) => f.nametype === 'NORMAL');
  const p = first ? resolveFile(ev, first) : null;
  if (p) out.add(p);
  return [...out];
}

const AWK_RE = /^[gnm]?awk$/;
// Interpreter options that take the next argument as a value (so it is not the script).
const OPTIONS_WITH_VALUE = new Set(['-W', '-X', '-I', '-M', '-r', '-o', '-O', '--rcfile', '--init-file']);
// Options after which there is no script file (inline code or a module).
const INLINE_OPTIONS = new Set(['-c', '-e', '-E', '-m', '--eval', '-p', '--print']);

/** Absolute path of the script an interpreter process runs (`python3 -u /x/y.py` → /x/y.py), or null. */
export function scriptPath(p: { argv: string[]; cwd: string | null }): string | null {
  const argv = p.argv;
  // awk's first operand is program text; only `-f FILE` names a script.
  if (AWK_RE.test(baseName(argv[0]))) {
    const f = argv.indexOf('-f');
    return f > 0 && argv[f + 1] ? absolutePath(argv[f + 1]!, p.cwd) : null;
  }
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (INLINE_OPTIONS.has(a) || /^-[a-zA-Z]*[ce]$/.test(a)) return null;
    if (OPTIONS_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a === '--') return argv[i + 1] ? absolutePath(argv[i + 1]!, p.cwd) : null;
    if (a.startsWith('-')) continue;
    return absolutePath(a, p.cwd);
  }
  return null;
}

/** The script an exec of an interpreter runs, or null (not an exec, not an interpreter, inline code). */
export function executedScript(ev: AuditEvent): string | null {
  if (!isSuccessfulExec(ev) || !INTERPRETER_RE.test(baseName(ev.process.exe) || baseName(ev.process.argv[0]))) return null;
  return scriptPath({ argv: ev.process.argv, cwd: ev.process.cwd });
}

/** Everything one event says about files and sockets, resolved. */
export interface EventMeaning {
  exec: boolean;
  /** Pid of the process a fork/clone created. */
  forkedChild: number | null;
  /** Files created (isNew false: an existing file re-opened with O_CREAT). */
  created: { path: string; isNew: boolean }[];
  /** Existing files opened for writing. */
  written: string[];
  /** The program (and script) an exec ran. */
  executed: string[];
  /** Files opened for reading. */
  read: string[];
  /** The peer of a connect(), when the event is one. */
  connected: AuditSocket | null;
}

export function meaningOf(ev: AuditEvent): EventMeaning {
  const exec = isSuccessfulExec(ev);
  const opened = openedFile(ev);
  const executed = exec ? executedPaths(ev) : [];
  const script = exec ? executedScript(ev) : null;
  if (script && !executed.includes(script)) executed.push(script);
  return {
    exec,
    forkedChild: forkedChild(ev),
    created: createdFileItems(ev),
    written: opened?.forWrite ? [opened.path] : [],
    executed,
    read: opened && !opened.forWrite ? [opened.path] : [],
    connected: ev.syscall === 'connect' && ev.socket ? ev.socket : null,
  };
}
