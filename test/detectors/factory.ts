// Hand-made telemetry for detector tests: audit events with the fields a real normalized event has.
import type { AuditEvent, AuditFile, AuditProcess, AuditSocket } from '../../harness/audit/event.js';
import type { FileArtifact, Flow, TelemetryItem } from '../../harness/telemetry/types.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
let serial = 1000;

export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

export interface EventSpec {
  t?: number;
  syscall?: string;
  args?: string[];
  success?: boolean;
  exit?: number;
  pid: number;
  ppid?: number;
  uid?: number;
  tty?: string | null;
  exe?: string;
  comm?: string;
  cwd?: string;
  argv?: string[];
  files?: Partial<AuditFile>[];
  socket?: AuditSocket;
  node?: string;
}

export function event(s: EventSpec): AuditEvent {
  serial++;
  const t = at(s.t ?? 0);
  const exe = s.exe ?? null;
  const process: AuditProcess = {
    pid: s.pid,
    ppid: s.ppid ?? 1,
    uid: s.uid ?? 0,
    euid: s.uid ?? 0,
    auid: s.uid ?? 0,
    gid: 0,
    ses: 1,
    tty: s.tty === undefined ? null : s.tty,
    comm: s.comm ?? (exe ? exe.split('/').pop()!.slice(0, 15) : null),
    exe,
    cwd: s.cwd ?? '/',
    argv: s.argv ?? [],
    title: s.argv?.join(' ') ?? null,
  };
  return {
    id: `${(Date.parse(t) / 1000).toFixed(3)}:${serial}`,
    node: s.node ?? null,
    time: t,
    serial,
    types: ['SYSCALL', ...(s.argv ? ['EXECVE'] : []), ...(s.files?.length ? ['CWD', 'PATH'] : []), ...(s.socket ? ['SOCKADDR'] : []), 'PROCTITLE'],
    syscall: s.syscall ?? 'execve',
    args: s.args ?? ['0', '0', '0', '0'],
    success: s.success ?? true,
    exit: s.exit ?? 0,
    key: 'purple',
    process,
    files: (s.files ?? []).map((f) => ({ name: null, nametype: 'NORMAL', mode: '0100644', inode: 1, ouid: 0, ...f })),
    socket: s.socket ?? null,
  };
}

export const audit = (s: EventSpec, host?: string): TelemetryItem =>
  host === undefined ? { kind: 'audit', event: event(s) } : { kind: 'audit', event: event(s), host };

/** An execve of `argv` by pid (exe defaults to /usr/bin/<argv0>). */
export function exec(s: Omit<EventSpec, 'syscall' | 'argv'> & { argv: string[] }, host?: string): TelemetryItem {
  const exe = s.exe ?? `/usr/bin/${s.argv[0]!.split('/').pop()}`;
  return audit({ ...s, syscall: 'execve', exe, files: [{ name: s.argv[0]!.startsWith('/') ? s.argv[0]! : exe, nametype: 'NORMAL', mode: '0100755' }] }, host);
}

/** openat(AT_FDCWD, path, O_WRONLY|O_CREAT|O_TRUNC) that created `path`. */
export function create(s: Omit<EventSpec, 'syscall'> & { path: string }, host?: string): TelemetryItem {
  const dir = s.path.slice(0, s.path.lastIndexOf('/') + 1);
  return audit(
    {
      ...s,
      syscall: 'openat',
      args: ['ffffff9c', '7ffd0000', '241', '1b6'],
      exit: 3,
      files: [
        { name: dir, nametype: 'PARENT', mode: '040755' },
        { name: s.path, nametype: 'CREATE', mode: '0100644' },
      ],
    },
    host,
  );
}

/** openat(path, O_RDONLY). */
export function openRead(s: Omit<EventSpec, 'syscall'> & { path: string }, host?: string): TelemetryItem {
  return audit({ ...s, syscall: 'openat', args: ['ffffff9c', '7ffd0000', '0', '0'], exit: 3, files: [{ name: s.path, nametype: 'NORMAL', mode: '0100755' }] }, host);
}

export function clone(s: Omit<EventSpec, 'syscall'> & { child: number }, host?: string): TelemetryItem {
  return audit({ ...s, syscall: 'clone', exit: s.child }, host);
}

export function connect(s: Omit<EventSpec, 'syscall' | 'socket'> & { addr: string; port: number }, host?: string): TelemetryItem {
  return audit({ ...s, syscall: 'connect', socket: { family: s.addr.includes(':') ? 'inet6' : 'inet', addr: s.addr, port: s.port, path: null } }, host);
}

export function artifact(a: Partial<FileArtifact> & { path: string; t?: number }): TelemetryItem {
  const { t, ...rest } = a;
  return {
    kind: 'artifact',
    artifact: {
      time: at(t ?? 1),
      size: 300_000,
      entropy: 7.99,
      format: null,
      header: '8f3a9b00112233445566778899aabbcc',
      mode: '0100644',
      ownerUid: 0,
      sha256: 'ab'.repeat(32),
      ...rest,
    },
  };
}

export function flow(f: Partial<Flow> & { src: string; dst: string; t?: number }): TelemetryItem {
  const { t, ...rest } = f;
  return {
    kind: 'flow',
    flow: { time: at(t ?? 1), protocol: 'tcp', sport: 40000, dport: 22, bytesOut: 0, bytesIn: 0, packetsOut: 1, packetsIn: 1, event: 'LIST', ...rest },
  };
}
