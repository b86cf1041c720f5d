// A bounded table of processes built from audit events (execve, clone/fork and any event's process fields), with
// ancestry: the chain from a process up to its oldest known ancestor, the user names of its uids (from the events'
// host's own passwd), and how it came to run (a TTY, cron, a service). Detectors, telemetry checks and the run's
// attribution all learn processes here.
import type { AuditEvent } from '../audit/event.js';
import { BoundedMap } from '../shared/bounded.js';
import { SCHEDULER_RE, SERVICE_MANAGER_RE, baseName, forkedChild, isSuccessfulExec } from './facts.js';
import { userDirectory, type UserDirectory } from './users.js';

export interface ProcessInfo {
  host: string | null;
  pid: number;
  ppid: number | null;
  uid: number | null;
  euid: number | null;
  auid: number | null;
  /** Names of uid, euid and auid on the events' host (null when it has no such account). */
  user: string | null;
  euser: string | null;
  auser: string | null;
  tty: string | null;
  exe: string | null;
  comm: string | null;
  cwd: string | null;
  argv: string[];
  /** Time (ms) of the exec that gave this process its image, or of the first sighting. */
  since: number;
  /** Event id of that exec, when seen. */
  execId: string | null;
  /** Every program name (exe base name, comm) the pid had, oldest first: a forked child first looks like its parent. */
  names: string[];
}

/** How a process came to run, from its own TTY and its ancestors. */
export type Origin = 'tty' | 'cron' | 'service' | 'unknown';

export type ChainLink = Pick<ProcessInfo, 'pid' | 'exe' | 'argv' | 'uid' | 'tty'>;

const MAX_DEPTH = 32;
const MAX_NAMES = 8;

export class ProcessTable {
  private readonly table: BoundedMap<string, ProcessInfo>;

  /**
   * Processes go after `windowMs` without being seen, or oldest-first beyond `cap`. `users` names the uids (the
   * directory of the host the events come from; without one only root is named).
   */
  constructor(
    private readonly users: UserDirectory = userDirectory(),
    windowMs = 7 * 86_400_000,
    cap = 50_000,
  ) {
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
    const seenAs = [baseName(p.exe), p.comm ?? ''].filter(Boolean);
    if (isSuccessfulExec(ev) || !info) {
      info = {
        host,
        pid: p.pid,
        ppid: p.ppid,
        uid: p.uid,
        euid: p.euid,
        auid: p.auid,
        user: this.users.userName(p.uid),
        euser: this.users.userName(p.euid),
        auser: this.users.userName(p.auid === 4294967295 ? null : p.auid),
        tty: p.tty,
        exe: p.exe,
        comm: p.comm,
        cwd: p.cwd,
        argv: isSuccessfulExec(ev) ? p.argv : info?.argv ?? p.argv,
        since: at,
        execId: isSuccessfulExec(ev) ? ev.id : null,
        names: withNames(info?.names ?? [], seenAs),
      };
    } else {
      // Same process, later event: fill gaps, follow setuid/comm changes.
      info.ppid ??= p.ppid;
      if (p.uid !== null && p.uid !== info.uid) info.user = this.users.userName(p.uid);
      if (p.euid !== null && p.euid !== info.euid) info.euser = this.users.userName(p.euid);
      info.uid = p.uid ?? info.uid;
      info.euid = p.euid ?? info.euid;
      info.names = withNames(info.names, seenAs);
      info.exe ??= p.exe;
      info.comm = p.comm ?? info.comm;
      info.cwd = p.cwd ?? info.cwd;
    }
    this.table.set(key, info, at);
    const child = forkedChild(ev);
    if (child !== null) this.forked(info, child, at);
    this.table.expire(at);
    return info;
  }

  private forked(parent: ProcessInfo, childPid: number, at: number): void {
    const key = keyOf(parent.host, childPid);
    const existing = this.table.get(key);
    // The child's own exec may be logged before the parent's clone returns: keep it if it names this parent.
    if (existing && existing.ppid === parent.pid && at - existing.since < 60_000) {
      existing.names = withNames(parent.names, existing.names);
      return;
    }
    this.table.set(key, { ...parent, pid: childPid, ppid: parent.pid, since: at, execId: null, names: [...parent.names] }, at);
  }

  /** Every process known, oldest sighting first. */
  processes(): IterableIterator<ProcessInfo> {
    return this.table.values();
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

  /** How the process came to run: on a TTY, under a scheduler, under a service manager, or unknown. */
  origin(host: string | null, pid: number | null): Origin {
    const chain = this.chain(host, pid);
    if (chain.length === 0) return 'unknown';
    if (chain[0]!.tty !== null && chain[0]!.tty !== '(none)') return 'tty';
    const ancestors = chain.slice(1);
    if (ancestors.some((p) => SCHEDULER_RE.test(programName(p)) || SCHEDULER_RE.test(p.comm ?? ''))) return 'cron';
    if (ancestors.some((p) => SERVICE_MANAGER_RE.test(programName(p)) || p.pid === 1)) return 'service';
    return 'unknown';
  }
}

function withNames(before: string[], more: string[]): string[] {
  const out = [...before];
  for (const n of more) if (!out.includes(n)) out.push(n);
  return out.slice(-MAX_NAMES);
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
