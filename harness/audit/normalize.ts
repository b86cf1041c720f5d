// Layer 3: the records of one event -> one AuditEvent (harness/audit/event.ts).
import type { AuditEvent, AuditFile, AuditProcess, AuditSocket } from './event.js';
import type { AuditRecord } from './record.js';
import { archIsLittleEndian, syscallName } from './syscalls.js';

/**
 * Decodes a text field as the kernel writes it: `"quoted"` is literal, `(null)` and `?` mean no value,
 * an unquoted even-length hex string is hex-encoded bytes (used when the text has spaces, quotes or
 * control characters), anything else is taken as written.
 */
export function fieldText(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const len = raw.length;
  if (len === 0) return '';
  const c = raw.charCodeAt(0);
  if (c === 34 /* " */) return raw.charCodeAt(len - 1) === 34 && len > 1 ? raw.slice(1, len - 1) : raw.slice(1);
  if (raw === '(null)' || raw === '?' || raw === '(none)') return null;
  return hexToText(raw, len, false) ?? raw;
}

/** Hex digit values by UTF-16 code unit, -1 for anything else (a full table: no range check per character). */
const HEX_VALUE = new Int8Array(65536).fill(-1);
'0123456789'.split('').forEach((c, i) => (HEX_VALUE[c.charCodeAt(0)] = i));
'abcdef'.split('').forEach((c, i) => ((HEX_VALUE[c.charCodeAt(0)] = 10 + i), (HEX_VALUE[c.toUpperCase().charCodeAt(0)] = 10 + i)));

/** Room for decoded bytes, reused from value to value (values over SCRATCH_MAX bytes get their own). */
let scratch = Buffer.allocUnsafe(1024);
const SCRATCH_MAX = 1 << 16;

/**
 * hex[0, end) decoded as hex-encoded UTF-8 text, or null when it is not an even number of hex digits
 * (validated while decoding, in one pass). `nulToSpace` turns NUL separators into spaces (proctitle):
 * done on the bytes, which is the same as on the text since a 0 byte is only ever NUL in UTF-8.
 */
function hexToText(hex: string, end: number, nulToSpace: boolean): string | null {
  if ((end & 1) !== 0) return null;
  const n = end >> 1;
  if (n > scratch.length && n <= SCRATCH_MAX) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(n, 2 * scratch.length)));
  const bytes = n <= scratch.length ? scratch : Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const hi = HEX_VALUE[hex.charCodeAt(2 * i)]!;
    const lo = HEX_VALUE[hex.charCodeAt(2 * i + 1)]!;
    if ((hi | lo) < 0) return null;
    const b = (hi << 4) | lo;
    bytes[i] = b === 0 && nulToSpace ? 32 : b;
  }
  return bytes.toString('utf8', 0, n);
}

/** A numeric id or count; the unset id (4294967295 or -1) and anything non-numeric become null. */
export function fieldNumber(raw: string | undefined): number | null {
  if (raw === undefined || raw.length === 0) return null;
  if (raw === '4294967295' || raw === '-1') return null;
  const n = Number(raw);
  return Number.isInteger(n) ? n : null;
}

function isHex(s: string): boolean {
  if ((s.length & 1) !== 0) return false;
  for (let i = 0; i < s.length; i++) if (HEX_VALUE[s.charCodeAt(i)]! < 0) return false;
  return true;
}

/** Proctitle: NUL-separated argv, quoted or hex. */
export function decodeTitle(raw: string | undefined): string | null {
  if (raw !== undefined && raw.charCodeAt(0) !== 34) {
    let end = raw.length;
    while (end >= 2 && raw.charCodeAt(end - 1) === 48 && raw.charCodeAt(end - 2) === 48) end -= 2; // trailing NULs
    const hex = hexToText(raw, end, true);
    if (hex !== null) return hex;
  }
  const text = fieldText(raw);
  if (text === null) return null;
  return text.replace(/\0+$/, '').replace(/\0/g, ' ');
}

/** Audit keys: several keys on one rule are joined by 0x01 in the log; they are returned joined by ','. */
export function decodeKey(raw: string | undefined): string | null {
  const text = fieldText(raw);
  if (text === null) return null;
  return text.includes('\x01') ? text.split('\x01').filter((k) => k.length > 0).join(',') : text;
}

const FAMILIES: Record<number, string> = {
  0: 'unspec', 1: 'unix', 2: 'inet', 3: 'ax25', 4: 'ipx', 5: 'appletalk', 9: 'x25', 10: 'inet6',
  16: 'netlink', 17: 'packet', 29: 'can', 31: 'bluetooth', 38: 'alg', 40: 'vsock', 44: 'xdp',
};

/** Decodes a SOCKADDR `saddr=` hex blob. `arch` (from the event's SYSCALL) gives the byte order of sa_family. */
export function decodeSockaddr(raw: string | undefined, arch?: string): AuditSocket | null {
  if (raw === undefined || raw.charCodeAt(0) === 34 || !isHex(raw) || raw.length < 4) return null;
  const b = Buffer.from(raw, 'hex');
  const le = archIsLittleEndian(arch) ?? !(b[0] === 0 && b[1] !== 0);
  const fam = le ? b.readUInt16LE(0) : b.readUInt16BE(0);
  const family = FAMILIES[fam] ?? `unknown(${fam})`;
  const socket: AuditSocket = { family, addr: null, port: null, path: null };
  if (fam === 2 && b.length >= 8) {
    socket.port = b.readUInt16BE(2);
    socket.addr = `${b[4]}.${b[5]}.${b[6]}.${b[7]}`;
  } else if (fam === 10 && b.length >= 24) {
    socket.port = b.readUInt16BE(2);
    socket.addr = formatIPv6(b.subarray(8, 24));
  } else if (fam === 1) {
    const body = b.subarray(2);
    if (body.length > 0 && body[0] === 0) {
      // Abstract namespace: leading NUL, shown as '@' like ss(8) does.
      const rest = body.subarray(1);
      const end = rest.indexOf(0);
      socket.path = body.length > 1 ? '@' + rest.subarray(0, end < 0 ? rest.length : end).toString('utf8') : null;
    } else {
      const end = body.indexOf(0);
      socket.path = body.subarray(0, end < 0 ? body.length : end).toString('utf8');
    }
  }
  return socket;
}

function formatIPv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

let cachedSecond = '';
let cachedIsoPrefix = '';

/** `SECONDS.MILLIS` -> ISO 8601 (UTC, millisecond precision). */
export function stampToIso(stamp: string): string {
  const dot = stamp.indexOf('.');
  const sec = stamp.slice(0, dot);
  if (sec !== cachedSecond) {
    const iso = new Date(Number(sec) * 1000).toISOString(); // 2024-01-01T00:00:00.000Z
    cachedSecond = sec;
    cachedIsoPrefix = iso.slice(0, 20);
  }
  const ms = (stamp.slice(dot + 1) + '000').slice(0, 3);
  return `${cachedIsoPrefix}${ms}Z`;
}

function isProctitle(type: string): boolean {
  return type === 'PROCTITLE' || type === 'UNKNOWN[1327]';
}

/** The decoded EXECVE argv, joining all EXECVE records of the event and split `aN[i]` chunks. */
export function decodeArgv(execve: AuditRecord[]): string[] {
  const get =
    execve.length === 1
      ? (name: string) => execve[0]!.field(name)
      : (name: string) => {
          for (const r of execve) {
            const v = r.field(name);
            if (v !== undefined) return v;
          }
          return undefined;
        };
  const argc = Number(get('argc'));
  const argv: string[] = [];
  const count = Number.isInteger(argc) && argc >= 0 ? argc : Infinity;
  for (let k = 0; k < count; k++) {
    const whole = get(`a${k}`);
    if (whole !== undefined) {
      argv.push(fieldText(whole) ?? '');
      continue;
    }
    if (get(`a${k}_len`) === undefined) {
      if (count === Infinity) break;
      argv.push(''); // a missing argument (lost record): keep positions stable
      continue;
    }
    let arg = '';
    for (let part = 0; ; part++) {
      const chunk = get(`a${k}[${part}]`);
      if (chunk === undefined) break;
      arg += fieldText(chunk) ?? '';
    }
    argv.push(arg);
  }
  return argv;
}

const NO_ARGS: string[] = [];

/** Builds the normalized event. `records` are the event's records in arrival order (EOE excluded). */
export function normalizeEvent(records: AuditRecord[]): AuditEvent {
  const first = records[0]!;
  const types: string[] = new Array(records.length);
  let syscallRec: AuditRecord | undefined;
  let cwdRec: AuditRecord | undefined;
  let titleRec: AuditRecord | undefined;
  let sockRec: AuditRecord | undefined;
  let execve: AuditRecord[] | undefined;
  const files: AuditFile[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const t = r.type;
    types[i] = t;
    switch (t) {
      case 'SYSCALL':
        syscallRec ??= r;
        break;
      case 'CWD':
        cwdRec ??= r;
        break;
      case 'SOCKADDR':
        sockRec ??= r;
        break;
      case 'EXECVE':
        (execve ??= []).push(r);
        break;
      case 'PATH': {
        files.push({
          name: fieldText(r.field('name')),
          nametype: r.field('nametype') ?? r.field('objtype') ?? null, // objtype= on kernels before 3.x renamed it
          mode: r.field('mode') ?? null,
          inode: fieldNumber(r.field('inode')),
          ouid: fieldNumber(r.field('ouid')),
        });
        break;
      }
      default:
        if (isProctitle(t)) titleRec ??= r;
    }
  }
  // Process identity: the SYSCALL record when there is one, else the first record that names a pid
  // (user-space messages such as USER_LOGIN carry pid/uid/auid/ses and exe in their nested msg).
  const pr = syscallRec ?? records.find((r) => r.field('pid') !== undefined) ?? first;
  const tty = pr.field('tty');
  const process: AuditProcess = {
    pid: fieldNumber(pr.field('pid')),
    ppid: fieldNumber(pr.field('ppid')),
    uid: fieldNumber(pr.field('uid')),
    euid: fieldNumber(pr.field('euid')),
    auid: fieldNumber(pr.field('auid')),
    gid: fieldNumber(pr.field('gid')),
    ses: fieldNumber(pr.field('ses')),
    tty: tty === undefined || tty === '(none)' ? null : unquote(tty),
    comm: fieldText(pr.field('comm')),
    exe: fieldText(pr.field('exe')),
    cwd: fieldText(cwdRec ? cwdRec.field('cwd') : pr.field('cwd')), // user-space USER_CMD carries cwd= itself
    argv: execve ? decodeArgv(execve) : [],
    title: titleRec ? decodeTitle(titleRec.field('proctitle')) : null,
  };

  let syscall: string | null = null;
  let args: string[] = NO_ARGS;
  let success: boolean | null = null;
  let exit: number | null = null;
  let keyRaw: string | undefined;
  let arch: string | undefined;
  if (syscallRec) {
    const r = syscallRec;
    const num = r.field('syscall');
    arch = r.field('arch');
    syscall = syscallName(arch, Number(num)) ?? enrichedText(r, 'SYSCALL') ?? num ?? null;
    const a0 = r.field('a0');
    if (a0 !== undefined) args = [a0, r.field('a1') ?? '', r.field('a2') ?? '', r.field('a3') ?? ''];
    const okRaw = r.field('success');
    const ok = okRaw === undefined ? undefined : unquote(okRaw);
    success = ok === 'yes' ? true : ok === 'no' ? false : null;
    const ex = r.field('exit');
    exit = ex === undefined ? null : toInt(ex);
    keyRaw = r.field('key');
  } else {
    const res = pr.field('res') ?? pr.field('result');
    if (res !== undefined) {
      const v = fieldText(res);
      success = v === 'success' || v === '1' || v === 'yes' ? true : v === 'failed' || v === '0' || v === 'no' ? false : null;
    }
  }
  if (keyRaw === undefined) {
    for (const r of records) {
      keyRaw = r.field('key');
      if (keyRaw !== undefined) break;
    }
  }
  return {
    id: `${first.stamp}:${first.serial}`,
    node: first.node,
    time: stampToIso(first.stamp),
    serial: first.serial,
    types,
    syscall,
    args,
    success,
    exit,
    key: decodeKey(keyRaw),
    process,
    files,
    socket: sockRec ? decodeSockaddr(sockRec.field('saddr'), arch) : null,
  };
}

function enrichedText(r: AuditRecord, key: string): string | null {
  const v = r.enriched?.[key]; // rare: only for syscalls the tables don't know
  return v === undefined ? null : fieldText(v);
}

function toInt(raw: string): number | null {
  const n = Number(raw);
  return Number.isInteger(n) ? n : null;
}

function unquote(raw: string): string {
  return raw.length > 1 && raw.charCodeAt(0) === 34 && raw.charCodeAt(raw.length - 1) === 34 ? raw.slice(1, -1) : raw;
}
