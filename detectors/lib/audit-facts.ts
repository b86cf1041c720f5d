// Facts read off one normalized audit event: is it an exec, which files did it create or open, which host.
import path from 'node:path';
import type { AuditEvent, AuditFile } from '../../harness/audit/event.js';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { absolutePath } from './paths.js';

const O_ACCMODE = 0x3;
const O_CREAT = 0x40;
const EXEC_SYSCALLS = new Set(['execve', 'execveat']);
const OPEN_FLAG_ARG: Record<string, number> = { open: 1, openat: 2 };

/** Interpreters that run scripts (what "a Python/Perl/Bash process tree" means). */
export const INTERPRETER_RE =
  /^(python[\d.]*|pypy[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*(-cli)?|node(js)?|deno|bun|lua[\d.]*|luajit|tclsh[\d.]*|wish[\d.]*|bash|sh|dash|zsh|ksh\d*|mksh|yash|fish|busybox|[gnm]?awk|osascript|pwsh)$/;
/** Shells, for "a non-interactive shell". */
export const SHELL_RE = /^(bash|sh|dash|zsh|ksh\d*|mksh|yash|fish|busybox)$/;
/** Schedulers whose descendants run without anyone at a terminal. */
export const SCHEDULER_RE = /^(cron|crond|anacron|atd|systemd-cron|fcron|busybox-crond)$/;

export function baseName(p: string | null | undefined): string {
  return p ? path.posix.basename(p) : '';
}

/** Milliseconds since the epoch of an ISO time (NaN-safe: unparsable times count as 0). */
export function timeMs(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Where an item happened: its `host` if set, else the event's `node=`, else null (one unnamed host). */
export function itemHost(item: TelemetryItem): string | null {
  if (item.kind === 'audit') return item.host ?? item.event.node ?? null;
  if (item.kind === 'flow') return item.flow.host ?? null;
  return item.artifact.host ?? null;
}

/** Hosts agree when equal, or when either side is unnamed. */
export function sameHost(a: string | null | undefined, b: string | null | undefined): boolean {
  return !a || !b || a === b;
}

export function isSuccessfulExec(ev: AuditEvent): boolean {
  return ev.syscall !== null && EXEC_SYSCALLS.has(ev.syscall) && ev.success !== false;
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
