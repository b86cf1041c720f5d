// A bounded table of processes built from audit events (execve, clone/fork and any event's process fields),
// so a detector can ask for the chain from a process up to its oldest known ancestor.
import type { AuditEvent } from '../../harness/audit/event.js';
import { BoundedMap } from './bounded.js';
import { baseName, isSuccessfulExec } from './audit-facts.js';

export interface ProcessInfo {
  host: string | null;
  pid: number;
  ppid: number | null;
  uid: number | null;
  tty: string | null;
  exe: string | null;
  comm: string | null;
  cwd: string | null;
  argv: string[];
  /** Time (ms) of the exec that gave this process its image, or of the first sighting. */
  since: number;
  /** Event id of that exec, when seen. */
  execId: string | null;
}

export type ChainLink = Pick<ProcessInfo, 'pid' | 'exe' | 'argv' | 'uid' | 'tty'>;

const FORK_SYSCALLS = new Set(['clone', 'clone3', 'fork', 'vfork']);
const MAX_DEPTH = 32;

export class ProcessTable {
  private readonly table: BoundedMap<string, ProcessInfo>;

  /** Processes go after `windowMs` without being seen, or oldest-first beyond `cap`. */
  constructor(windowMs = 7 * 86_400_000, cap = 50_000) {
    this.table = new BoundedMap(windowMs, cap);
  }

  get size(): number {
    return this.table.size;
  }

  /** Learn from one event; returns the acting process. */
  observe(ev: AuditEvent, host: string | null, at: number): ProcessInfo | null {
    const p = ev.process;
    if (p.pid === null) return null;
    const key = keyOf(host, p.pid);
    let info = this.table.get(key);
    if (isSuccessfulExec(ev) || !info) {
      info = {
        host,
        pid: p.pid,
        ppid: p.ppid,
        uid: p.uid,
        tty: p.tty,
        exe: p.exe,
        comm: p.comm,
        cwd: p.cwd,
        argv: isSuccessfulExec(ev) ? p.argv : info?.argv ?? p.argv,
        since: at,
        execId: isSuccessfulExec(ev) ? ev.id : null,
      };
    } else {
      // Same process, later event: fill gaps, follow setuid/comm changes.
      info.ppid ??= p.ppid;
      info.uid = p.uid ?? info.uid;
      info.exe ??= p.exe;
      info.comm = p.comm ?? info.comm;
      info.cwd = p.cwd ?? info.cwd;
    }
    this.table.set(key, info, at);
    if (ev.syscall && FORK_SYSCALLS.has(ev.syscall) && ev.success !== false && ev.exit !== null && ev.exit > 0) {
      this.forked(info, ev.exit, at);
    }
    this.table.expire(at);
    return info;
  }

  private forked(parent: ProcessInfo, childPid: number, at: number): void {
    const key = keyOf(parent.host, childPid);
    const existing = this.table.get(key);
    // The child's own exec may be logged before the parent's clone returns: keep it if it names this parent.
    if (existing && existing.ppid === parent.pid && at - existing.since < 60_000) return;
    this.table.set(key, { ...parent, pid: childPid, ppid: parent.pid, since: at, execId: null }, at);
  }

  get(host: string | null, pid: number | null): ProcessInfo | undefined {
    return pid === null ? undefined : this.table.get(keyOf(host, pid));
  }

  /** The process and its known ancestors, nearest first (stops at an unknown parent, a cycle or 32 levels). */
  chain(host: string | null, pid: number | null): ProcessInfo[] {
    const out: ProcessInfo[] = [];
    const seen = new Set<number>();
    let cur = this.get(host, pid);
    while (cur && !seen.has(cur.pid) && out.length < MAX_DEPTH) {
      out.push(cur);
      seen.add(cur.pid);
      cur = this.get(host, cur.ppid);
    }
    return out;
  }
}

function keyOf(host: string | null, pid: number): string {
  return `${host ?? ''}|${pid}`;
}

/** The chain as alerts show it. */
export function chainLinks(chain: ProcessInfo[]): ChainLink[] {
  return chain.map(({ pid, exe, argv, uid, tty }) => ({ pid, exe, argv, uid, tty }));
}

/** The program name a process is known by: its exe's base name, else its comm. */
export function programName(p: Pick<ProcessInfo, 'exe' | 'comm'>): string {
  return baseName(p.exe) || p.comm || '?';
}

/** "python3 (pid 4242, uid 0)". */
export function describeProcess(p: Pick<ProcessInfo, 'exe' | 'comm' | 'pid' | 'uid'>): string {
  return `${programName(p)} (pid ${p.pid}, uid ${p.uid ?? '?'})`;
}
