// THE adapter between purple's normalized audit events and Sigma's Linux logsources: every field a rule can read comes
// from here, and `rules lint` asks here which fields exist. Re-point this one module when the event layer changes.
import type { AuditEvent } from '../../harness/audit/event.js';
import { FORK_SYSCALLS, createdFileItems, isSuccessfulExec } from '../../harness/events/facts.js';
import { ProcessTable } from '../../harness/events/process-table.js';
import type { Logsource } from './rule.js';
import { EventView, type FieldValue } from './view.js';

const PROCESS_CREATION = ['Image', 'CommandLine', 'ParentImage', 'ParentCommandLine', 'User', 'CurrentDirectory', 'ProcessId', 'ParentProcessId', 'LogonId'];
const FILE_EVENT = ['TargetFilename', 'Image', 'User', 'ProcessId'];
const NETWORK_CONNECTION = ['Image', 'DestinationIp', 'DestinationPort', 'SourceIp', 'SourcePort', 'Initiated', 'User', 'ProcessId', 'Protocol'];
const AUDITD_FIXED = new Set([
  'type',
  // SYSCALL
  'syscall', 'SYSCALL', 'success', 'exit', 'pid', 'ppid', 'uid', 'euid', 'auid', 'gid', 'ses', 'tty', 'comm', 'exe', 'key', 'UID', 'EUID', 'AUID',
  // EXECVE (a0..aN match the pattern below)
  'argc',
  // PATH
  'item', 'name', 'nametype', 'mode', 'inode', 'ouid', 'OUID',
  // CWD, PROCTITLE, SOCKADDR
  'cwd', 'proctitle', 'fam', 'laddr', 'lport', 'path',
  // user-space records (USER_*, SERVICE_*, ADD_USER...): the process fields above, plus their result
  'res',
]);

const PROCESS_FIELDS = ['pid', 'ppid', 'uid', 'euid', 'auid', 'gid', 'ses', 'tty', 'comm', 'exe', 'UID', 'EUID', 'AUID'];
/** Fields of each auditd record view; user-space records (no syscall) carry `USER_SPACE`. */
const RECORD_FIELDS: Record<string, ReadonlySet<string>> = {
  SYSCALL: new Set(['type', 'syscall', 'SYSCALL', 'a0', 'a1', 'a2', 'a3', 'success', 'exit', 'key', ...PROCESS_FIELDS]),
  EXECVE: new Set(['type', 'argc']),
  PATH: new Set(['type', 'item', 'name', 'nametype', 'mode', 'inode', 'ouid', 'OUID']),
  CWD: new Set(['type', 'cwd']),
  PROCTITLE: new Set(['type', 'proctitle']),
  SOCKADDR: new Set(['type', 'fam', 'laddr', 'lport', 'path']),
};
const USER_SPACE = new Set(['type', 'res', 'key', ...PROCESS_FIELDS]);

/** Which auditd record views a rule reading `fields` (and nothing else) can match; null when any. */
export function auditdViewsFor(fields: Iterable<string>): AuditdWanted {
  const types = new Set<string>();
  let userSpace = false;
  for (const f of fields) {
    if (f === 'type') return null;
    for (const [t, set] of Object.entries(RECORD_FIELDS)) if (set.has(f) || (t === 'EXECVE' && /^a\d+$/.test(f))) types.add(t);
    if (USER_SPACE.has(f)) userSpace = true;
  }
  return { types, userSpace };
}

/** auditd views to build: these record types, and user-space records or not; null = every record. */
export type AuditdWanted = { types: Set<string>; userSpace: boolean } | null;

/** The logsources purple fills, by key `product/category-or-service`, with the fields each view carries. */
export const LINUX_LOGSOURCES: Record<string, { description: string; fields: readonly string[] | ((field: string) => boolean) }> = {
  'linux/process_creation': { description: 'one view per successful execve/execveat', fields: PROCESS_CREATION },
  'linux/file_event': { description: 'one view per file created or truncated for writing (open/openat/creat with O_CREAT, PATH CREATE)', fields: FILE_EVENT },
  'linux/network_connection': { description: 'one view per connect() (Initiated true) or accept() (Initiated false) on an inet socket', fields: NETWORK_CONNECTION },
  'linux/auditd': { description: 'one view per audit record (SYSCALL, EXECVE, PATH, CWD, PROCTITLE, SOCKADDR, user-space records)', fields: (f) => AUDITD_FIXED.has(f) || /^a\d+$/.test(f) },
};

/** Why purple has no telemetry for a field, when that is known. */
const NOT_COLLECTED: Record<string, string> = {
  DestinationHostname: 'purple sees addresses in connect(), never the host name that was resolved (no DNS telemetry)',
  unit: 'the systemd unit of SERVICE_START/SERVICE_STOP records is not kept by purple\'s event layer',
};

/** The key a rule's logsource maps to, or the reason purple has no telemetry for it. */
export function logsourceKey(ls: Logsource): { key: string } | { unsupported: string } {
  const product = ls.product?.toLowerCase();
  const describe = `logsource ${JSON.stringify(ls)}`;
  if (product !== undefined && product !== 'linux') return { unsupported: `${describe}: purple collects Linux telemetry only` };
  if (ls.category && ls.service) return { unsupported: `${describe}: purple has no telemetry for this category and service together` };
  const which = ls.category ?? ls.service;
  if (!which) return { unsupported: `${describe}: product-wide keyword rules read syslog, which purple does not collect` };
  const key = `linux/${which.toLowerCase()}`;
  if (key in LINUX_LOGSOURCES) return { key };
  return { unsupported: `${describe}: purple has no telemetry for ${ls.category ? `category ${ls.category}` : `service ${ls.service}`} (it has ${Object.keys(LINUX_LOGSOURCES).map((k) => k.slice(6)).join(', ')})` };
}

/** Fields a rule reads that purple never fills for its logsource, each with the reason. */
export function unfillableFields(key: string, fields: Iterable<string>): string[] {
  const known = LINUX_LOGSOURCES[key]!.fields;
  const has = typeof known === 'function' ? known : (f: string) => known.includes(f);
  return [...fields].filter((f) => !has(f)).map((f) => `${f} (${NOT_COLLECTED[f] ?? `not a field purple fills for ${key}; it fills ${describeFields(key)}`})`);
}

function describeFields(key: string): string {
  const known = LINUX_LOGSOURCES[key]!.fields;
  return typeof known === 'function' ? [...AUDITD_FIXED, 'a0..aN'].join(', ') : known.join(', ');
}

const NO_AUID = 4294967295;
const CONNECT = new Set(['connect']);
const ACCEPT = new Set(['accept', 'accept4']);
const EINPROGRESS = -115;

/** Turns events into views for the logsources rules need. Keeps a bounded process table for the parent fields. */
export class LinuxViews {
  private readonly processes = new ProcessTable(undefined, 86_400_000, 20_000);

  constructor(
    /** Which logsource keys any loaded rule reads (others are not built). */
    private readonly wanted: ReadonlySet<string>,
    /** uid -> user name, from the target's passwd. */
    private readonly userNames: ReadonlyMap<number, string>,
    private readonly auditd: AuditdWanted = null,
  ) {}

  private user(uid: number | null): string | undefined {
    if (uid === null) return undefined;
    return this.userNames.get(uid) ?? String(uid);
  }

  views(ev: AuditEvent, host: string | null): EventView[] {
    // The process table serves ParentImage/ParentCommandLine only: execs and forks are all it needs to learn.
    const learns = this.wanted.has('linux/process_creation') && ev.syscall !== null && (isSuccessfulExec(ev) || FORK_SYSCALLS.has(ev.syscall));
    const me = learns ? this.processes.observe(ev, host, Date.parse(ev.time) || 0) : null;
    const out: EventView[] = [];
    const p = ev.process;
    const view = (key: string, type: string | null, fields: Record<string, FieldValue>) => out.push(new EventView(key, type, fields, [ev.id], ev.time, p.pid));
    if (this.wanted.has('linux/process_creation') && isSuccessfulExec(ev)) {
      const parent = this.processes.get(host, p.ppid);
      view('linux/process_creation', null, {
        Image: p.exe ?? undefined,
        CommandLine: p.argv.length ? p.argv.join(' ') : p.title ?? undefined,
        ParentImage: parent?.exe ?? undefined,
        ParentCommandLine: parent && parent.argv.length ? parent.argv.join(' ') : undefined,
        User: this.user(p.uid),
        CurrentDirectory: p.cwd ?? undefined,
        ProcessId: p.pid ?? undefined,
        ParentProcessId: p.ppid ?? undefined,
        LogonId: p.auid === null || p.auid === NO_AUID ? undefined : p.auid,
      });
    }
    if (this.wanted.has('linux/file_event')) {
      for (const created of createdFileItems(ev)) {
        view('linux/file_event', null, { TargetFilename: created.path, Image: p.exe ?? me?.exe ?? undefined, User: this.user(p.uid), ProcessId: p.pid ?? undefined });
      }
    }
    const sock = ev.socket;
    if (this.wanted.has('linux/network_connection') && sock && (sock.family === 'inet' || sock.family === 'inet6') && ev.syscall) {
      const base = { Image: p.exe ?? undefined, User: this.user(p.uid), ProcessId: p.pid ?? undefined, Protocol: undefined };
      if (CONNECT.has(ev.syscall) && (ev.success !== false || ev.exit === EINPROGRESS)) {
        view('linux/network_connection', null, { ...base, Initiated: 'true', DestinationIp: sock.addr ?? undefined, DestinationPort: sock.port ?? undefined });
      } else if (ACCEPT.has(ev.syscall) && ev.success !== false) {
        view('linux/network_connection', null, { ...base, Initiated: 'false', SourceIp: sock.addr ?? undefined, SourcePort: sock.port ?? undefined });
      }
    }
    if (this.wanted.has('linux/auditd')) this.recordViews(ev, view);
    return out;
  }

  private recordViews(ev: AuditEvent, view: (key: string, type: string | null, fields: Record<string, FieldValue>) => void): void {
    const p = ev.process;
    const key = 'linux/auditd';
    const processFields = {
      pid: p.pid ?? undefined, ppid: p.ppid ?? undefined, uid: p.uid ?? undefined, euid: p.euid ?? undefined, auid: p.auid ?? undefined,
      gid: p.gid ?? undefined, ses: p.ses ?? undefined, tty: p.tty ?? '(none)', comm: p.comm ?? undefined, exe: p.exe ?? undefined,
      UID: this.user(p.uid), EUID: this.user(p.euid), AUID: p.auid === NO_AUID ? 'unset' : this.user(p.auid),
    };
    let execveDone = false;
    let pathIndex = 0;
    const wanted = this.auditd;
    for (const type of ev.types) {
      if (wanted && !(ev.syscall === null ? wanted.userSpace || wanted.types.has(type) : wanted.types.has(type))) {
        if (type === 'PATH') pathIndex++;
        continue;
      }
      switch (type) {
        case 'SYSCALL': {
          const args = Object.fromEntries(ev.args.map((a, i) => [`a${i}`, a]));
          view(key, type, {
            type, syscall: ev.syscall ?? undefined, SYSCALL: ev.syscall ?? undefined, ...args,
            success: ev.success === null ? undefined : ev.success ? 'yes' : 'no', exit: ev.exit ?? undefined, key: ev.key ?? undefined, ...processFields,
          });
          break;
        }
        case 'EXECVE': {
          if (execveDone) break; // one record per event in the view: purple keeps the decoded argv once
          execveDone = true;
          view(key, type, { type, argc: p.argv.length, ...Object.fromEntries(p.argv.map((a, i) => [`a${i}`, a])) });
          break;
        }
        case 'PATH': {
          const f = ev.files[pathIndex];
          if (f) view(key, type, { type, item: pathIndex, name: f.name ?? undefined, nametype: f.nametype ?? undefined, mode: f.mode ?? undefined, inode: f.inode ?? undefined, ouid: f.ouid ?? undefined, OUID: this.user(f.ouid) });
          pathIndex++;
          break;
        }
        case 'CWD':
          view(key, type, { type, cwd: p.cwd ?? undefined });
          break;
        case 'PROCTITLE':
          view(key, type, { type, proctitle: p.title ?? undefined });
          break;
        case 'SOCKADDR': {
          const s = ev.socket;
          view(key, type, { type, fam: s?.family, laddr: s?.addr ?? undefined, lport: s?.port ?? undefined, path: s?.path ?? undefined });
          break;
        }
        default:
          if (ev.syscall === null) view(key, type, { type, ...processFields, res: ev.success === null ? undefined : ev.success ? 'success' : 'failed', key: ev.key ?? undefined });
      }
    }
  }
}

/** uid -> name from passwd text (bounded: the first 10 000 lines). */
export function userNamesFromPasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n').slice(0, 10_000)) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid) && !out.has(Number(uid))) out.set(Number(uid), name);
  }
  return out;
}
