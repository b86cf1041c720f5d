// The normalized audit event: the one shape every detector, collector and report reads.
// Produced by harness/audit (record parser -> event assembler -> normalizer).

export interface AuditProcess {
  pid: number | null;
  ppid: number | null;
  uid: number | null;
  euid: number | null;
  auid: number | null;
  gid: number | null;
  ses: number | null;
  /** null when the record says `(none)` or has no tty field. */
  tty: string | null;
  comm: string | null;
  exe: string | null;
  cwd: string | null;
  /** Decoded EXECVE arguments, empty when the event has no EXECVE record. */
  argv: string[];
  /** Decoded PROCTITLE (NUL separators turned into spaces). */
  title: string | null;
}

export interface AuditFile {
  name: string | null;
  /** NORMAL, CREATE, DELETE, PARENT, UNKNOWN... as in the PATH record. */
  nametype: string | null;
  /** Octal mode string as in the log, e.g. "0100755". */
  mode: string | null;
  inode: number | null;
  ouid: number | null;
}

export interface AuditSocket {
  family: string; // inet, inet6, unix, netlink, ...
  addr: string | null;
  port: number | null;
  path: string | null;
}

export interface AuditEvent {
  /** `SECONDS.MILLIS:SERIAL` exactly as in the log. */
  id: string;
  node: string | null;
  /** ISO 8601. */
  time: string;
  serial: number;
  /** Record types in the order they appeared. */
  types: string[];
  /** Syscall name (x86_64/aarch64 tables), or the number as a string when unknown; null for non-syscall events. */
  syscall: string | null;
  /** Raw syscall arguments a0..a3 as hex strings, as logged (empty when not a syscall event). */
  args: string[];
  success: boolean | null;
  exit: number | null;
  key: string | null;
  process: AuditProcess;
  files: AuditFile[];
  socket: AuditSocket | null;
}
