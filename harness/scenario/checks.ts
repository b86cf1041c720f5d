// A scenario's telemetry checks against what the run collected, independently of any detector:
// did the audit trail, the flow accounting and the artifact reader see what the steps did?
// Pure functions over the shared telemetry contracts.
import path from 'node:path';
import type { AuditEvent } from '../audit/event.js';
import { createdFileItems, isSuccessfulExec, resolveFile } from '../events/facts.js';
import { ProcessTable } from '../events/process-table.js';
import type { FileArtifact, Flow } from '../telemetry/types.js';
import { ARCHIVE_FORMATS } from '../telemetry/format.js';
import { formatSize, parseSize } from '../shared/units.js';
import { interpolate, templateValues, type Addresses } from './inputs.js';
import type { InputValue, Role, Scenario, TelemetryCheck, TelemetryCheckSpec } from './types.js';

export interface CollectedTelemetry {
  events: AuditEvent[];
  flows: Flow[];
  artifacts: FileArtifact[];
  addresses: Addresses;
  /** User name -> uid in the victim (e.g. from its /etc/passwd); falls back to VICTIM_UIDS. */
  users?: Record<string, number>;
}

/**
 * Uids of the victim image's accounts (containers/images/victim/Dockerfile): Debian's fixed ones,
 * alice (--uid 1000) and svc-app (useradd --system takes the highest free system uid, 999).
 * Used only when the runner does not pass the victim's real table.
 */
export const VICTIM_UIDS: Readonly<Record<string, number>> = {
  root: 0, daemon: 1, bin: 2, sys: 3, 'www-data': 33, backup: 34, nobody: 65534, alice: 1000, 'svc-app': 999,
};

const OPEN_SYSCALLS = new Set(['open', 'openat', 'openat2', 'creat']);
const EINPROGRESS = -115;
const MAX_ANCESTRY = 64;

export function evaluateTelemetryChecks(
  scenario: Pick<Scenario, 'telemetry'>,
  inputs: Record<string, InputValue>,
  telemetry: CollectedTelemetry,
): TelemetryCheck[] {
  const values = templateValues(inputs, telemetry.addresses);
  const context = new Evaluation(telemetry);
  return scenario.telemetry.map((spec) => {
    try {
      return context.check(spec, values);
    } catch (err) {
      return { description: `${spec.kind} check on line ${spec.line}: ${(err as Error).message}`, satisfied: false, eventIds: [] };
    }
  });
}

interface ProcessNode {
  ppid: number | null;
  /** Every exe basename and comm the pid had during the run (a forked child first looks like its parent). */
  names: Set<string>;
}

/** pid -> parent and identities, as the event layer's process table learnt them from the run's events. */
export function buildProcessTree(events: AuditEvent[]): Map<number, ProcessNode> {
  const table = new ProcessTable();
  for (const e of events) table.observe(e, null, Date.parse(e.time) || 0);
  const tree = new Map<number, ProcessNode>();
  for (const p of table.processes()) tree.set(p.pid, { ppid: p.ppid, names: new Set(p.names) });
  return tree;
}

class Evaluation {
  private tree: Map<number, ProcessNode> | undefined;
  private readonly users: Record<string, number>;

  constructor(private readonly t: CollectedTelemetry) {
    this.users = { ...VICTIM_UIDS, ...(t.users ?? {}) };
  }

  check(spec: TelemetryCheckSpec, values: Record<string, InputValue>): TelemetryCheck {
    const fill = (s: string) => interpolate(s, values);
    switch (spec.kind) {
      case 'execve':
        return this.execve(fill(spec.exe), spec.user === undefined ? undefined : fill(spec.user), spec.tty, spec.ancestor === undefined ? undefined : fill(spec.ancestor));
      case 'connect':
        return this.connect(spec.to, spec.port, spec.user === undefined ? undefined : fill(spec.user));
      case 'flow':
        return this.flow(spec.to, parseSize(fill(spec.minBytes)), spec.maxBytes === undefined ? undefined : parseSize(fill(spec.maxBytes)));
      case 'file':
        return this.file(spec, fill);
      case 'open':
        return this.open(path.posix.normalize(fill(spec.path)), spec.user === undefined ? undefined : fill(spec.user));
    }
  }

  private uidOf(user: string): number {
    if (/^\d+$/.test(user)) return Number(user);
    const uid = this.users[user];
    if (uid === undefined) throw new Error(`unknown user ${user} (known: ${Object.keys(this.users).join(', ')})`);
    return uid;
  }

  private ancestry(pid: number | null): Set<string>[] {
    this.tree ??= buildProcessTree(this.t.events);
    const chain: Set<string>[] = [];
    const seen = new Set<number>();
    for (let p = pid; p !== null && p > 0 && !seen.has(p) && chain.length < MAX_ANCESTRY; ) {
      seen.add(p);
      const n = this.tree.get(p);
      if (!n) break;
      chain.push(n.names);
      p = n.ppid;
    }
    return chain;
  }

  private execve(exe: string, user: string | undefined, tty: 'none' | 'any' | undefined, ancestor: string | undefined): TelemetryCheck {
    const uid = user === undefined ? undefined : this.uidOf(user);
    const want = exe.includes('/') ? exe : null;
    const base = path.posix.basename(exe);
    const ancestorName = ancestor === undefined ? undefined : path.posix.basename(ancestor);
    const matches = this.t.events.filter((e) => {
      if (!isSuccessfulExec(e)) return false;
      const p = e.process;
      const exeOk = want
        ? p.exe === want || p.argv[0] === want
        : (p.exe !== null && path.posix.basename(p.exe) === base) || (p.argv[0] !== undefined && path.posix.basename(p.argv[0]) === base);
      if (!exeOk) return false;
      if (uid !== undefined && p.uid !== uid) return false;
      if (tty === 'none' && p.tty !== null) return false;
      if (tty === 'any' && p.tty === null) return false;
      if (ancestorName !== undefined && !this.ancestry(p.ppid).some((names) => names.has(ancestorName))) return false;
      return true;
    });
    const parts = [`execve of ${exe}`];
    if (user !== undefined) parts.push(`by ${user} (uid ${uid})`);
    if (tty === 'none') parts.push('with no TTY');
    if (tty === 'any') parts.push('on a TTY');
    if (ancestor !== undefined) parts.push(`under ${ancestor}`);
    return result(parts.join(' '), matches.map((e) => e.id), matches.length ? null : this.execveHint(base));
  }

  /** What was seen instead, so a failed check says which condition missed. */
  private execveHint(base: string): string {
    const same = this.t.events.filter(
      (e) => e.syscall?.startsWith('execve') && ((e.process.exe && path.posix.basename(e.process.exe) === base) || (e.process.argv[0] && path.posix.basename(e.process.argv[0]) === base)),
    );
    if (!same.length) return `no execve of ${base} seen`;
    const e = same[0]!;
    const chain = this.ancestry(e.process.ppid).map((names) => [...names].join('|'));
    return `saw ${same.length} execve of ${base} but none matched (first: uid ${e.process.uid}, tty ${e.process.tty ?? 'none'}, ancestors ${chain.join(' < ') || 'unknown'})`;
  }

  private address(role: Role): string {
    const a = this.t.addresses[role];
    if (!a) throw new Error(`no address for the ${role} container`);
    return a;
  }

  private connect(role: Role, port: number | undefined, user: string | undefined): TelemetryCheck {
    const address = this.address(role);
    const uid = user === undefined ? undefined : this.uidOf(user);
    const matches = this.t.events.filter((e) => {
      if (e.syscall !== 'connect' || !e.socket) return false;
      if (e.success === false && e.exit !== EINPROGRESS) return false;
      if (normalizeAddress(e.socket.addr) !== address) return false;
      if (port !== undefined && e.socket.port !== port) return false;
      return uid === undefined || e.process.uid === uid;
    });
    const target = port === undefined ? address : `${address}:${port}`;
    const description = `connect to ${role} (${target})${user === undefined ? '' : ` by ${user}`}`;
    const seen = this.t.events.filter((e) => e.syscall === 'connect' && e.socket?.addr).map((e) => `${e.socket!.addr}:${e.socket!.port}`);
    return result(description, matches.map((e) => e.id), matches.length ? null : `saw connects to: ${[...new Set(seen)].slice(0, 5).join(', ') || 'none'}`);
  }

  /** Bytes the victim sent to the role, over every connection (largest counter seen per connection). */
  sentBytes(role: Role): number {
    const victim = this.address('victim');
    const peer = this.address(role);
    const perConnection = new Map<string, number>();
    for (const f of this.t.flows) {
      const sent = f.src === victim && f.dst === peer ? f.bytesOut : f.src === peer && f.dst === victim ? f.bytesIn : null;
      if (sent === null) continue;
      const key = `${f.protocol} ${f.src}:${f.sport} ${f.dst}:${f.dport}`;
      perConnection.set(key, Math.max(perConnection.get(key) ?? 0, sent));
    }
    let total = 0;
    for (const n of perConnection.values()) total += n;
    return total;
  }

  private flow(role: Role, min: number, max: number | undefined): TelemetryCheck {
    const sent = this.sentBytes(role);
    const ok = sent >= min && (max === undefined || sent <= max);
    const range = max === undefined ? `at least ${formatSize(min)}` : `${formatSize(min)} to ${formatSize(max)}`;
    return { description: `victim sent ${range} to ${role} (${this.address(role)}): saw ${formatSize(sent)}`, satisfied: ok, eventIds: [] };
  }

  private file(spec: Extract<TelemetryCheckSpec, { kind: 'file' }>, fill: (s: string) => string): TelemetryCheck {
    const dir = path.posix.normalize(fill(spec.createdIn)).replace(/\/+$/, '') || '/';
    const uid = spec.user === undefined ? undefined : this.uidOf(fill(spec.user));
    const c = spec.constraints;
    const minSize = c.minSize === undefined ? undefined : parseSize(fill(c.minSize));
    const maxSize = c.maxSize === undefined ? undefined : parseSize(fill(c.maxSize));
    const wants: string[] = [];
    if (c.minEntropy !== undefined) wants.push(`entropy >= ${c.minEntropy}`);
    if (c.maxEntropy !== undefined) wants.push(`entropy <= ${c.maxEntropy}`);
    if (c.format !== undefined) wants.push(`format ${c.format}`);
    if (minSize !== undefined) wants.push(`size >= ${formatSize(minSize)}`);
    if (maxSize !== undefined) wants.push(`size <= ${formatSize(maxSize)}`);
    const description = `file created in ${dir}${spec.user === undefined ? '' : ` by ${spec.user}`}${wants.length ? ` with ${wants.join(', ')}` : ''}`;

    const created = new Map<string, string[]>(); // path -> event ids
    for (const e of this.t.events) {
      if (uid !== undefined && e.process.uid !== uid) continue;
      for (const { path: p } of createdFileItems(e)) {
        if (isUnder(p, dir)) created.set(p, [...(created.get(p) ?? []), e.id]);
      }
    }
    if (!created.size) return result(description, [], `no file creation under ${dir} seen`);
    if (!wants.length) return result(description, [...created.values()].flat(), null);

    const fits = (a: FileArtifact) =>
      (c.minEntropy === undefined || a.entropy >= c.minEntropy) &&
      (c.maxEntropy === undefined || a.entropy <= c.maxEntropy) &&
      (c.format === undefined || formatMatches(c.format, a.format)) &&
      (minSize === undefined || a.size >= minSize) &&
      (maxSize === undefined || a.size <= maxSize);
    const looked = this.t.artifacts.filter((a) => created.has(path.posix.normalize(a.path)));
    // A refused or cut read (a symlink on the way, not a regular file, the deadline) is no measurement: say why.
    const read = looked.filter((a) => !a.unread);
    const unread = looked.filter((a) => a.unread).map((a) => `${a.path}: ${a.unread}`);
    const good = read.filter(fits);
    const facts = (list: FileArtifact[]) => list.slice(0, 3).map((a) => `${a.path}: ${a.entropy.toFixed(2)} bits/byte, ${a.format ?? 'no known format'}, ${formatSize(a.size)}`).join('; ');
    if (good.length) {
      const ids = [...new Set(good.flatMap((a) => created.get(path.posix.normalize(a.path))!))];
      return { description: `${description} (saw ${facts(good)})`, satisfied: true, eventIds: ids };
    }
    const why = unread.length ? `; content not read: ${unread.slice(0, 3).join('; ')}` : '';
    return result(description, [], read.length ? `created files did not fit (${facts(read)})${why}` : unread.length ? why.slice(2) : `created ${[...created.keys()].slice(0, 3).join(', ')} but no content was read`);
  }

  private open(file: string, user: string | undefined): TelemetryCheck {
    const uid = user === undefined ? undefined : this.uidOf(user);
    const matches = this.t.events.filter((e) => {
      if (!e.syscall || !OPEN_SYSCALLS.has(e.syscall) || e.success === false) return false;
      if (uid !== undefined && e.process.uid !== uid) return false;
      return e.files.some((f) => f.nametype !== 'PARENT' && resolveFile(e, f) === file);
    });
    return result(`open of ${file}${user === undefined ? '' : ` by ${user}`}`, matches.map((e) => e.id), matches.length ? null : 'not seen');
  }
}

function result(description: string, eventIds: string[], missing: string | null): TelemetryCheck {
  return { description: missing ? `${description}: ${missing}` : description, satisfied: missing === null, eventIds };
}

/** The absolute path an event created (the event layer's meaning of "created"), or null. */
export function createdPath(e: AuditEvent): string | null {
  return createdFileItems(e)[0]?.path ?? null;
}

function isUnder(file: string, dir: string): boolean {
  return dir === '/' ? file.startsWith('/') : file.startsWith(`${dir}/`);
}

function formatMatches(want: string, got: string | null): boolean {
  if (want === 'none') return got === null;
  if (want === 'archive') return got !== null && ARCHIVE_FORMATS.has(got);
  return got === want;
}

function normalizeAddress(addr: string | null): string | null {
  return addr?.startsWith('::ffff:') ? addr.slice(7) : addr ?? null;
}
