// AuditEvent -> one JSON line, encoded straight into byte chunks. The bytes are exactly those of
// `JSON.stringify(event) + '\n'` in UTF-8, but without building a string per event and then encoding it:
// the hot path of `purple events --format jsonl`, where JSON.stringify and the string->bytes copy dominated.
import type { AuditEvent, AuditFile, AuditProcess, AuditSocket } from './event.js';

const DEFAULT_CHUNK = 1 << 18;
const QUOTE = 34;

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');
const COMMA = ascii(',');
const OPEN_BRACKET = ascii('[');
const CLOSE_BRACKET = ascii(']');

/**
 * Characters JSON.stringify writes as they are, one byte each in UTF-8: printable ASCII except `"` and `\`.
 * Indexed by UTF-16 code unit so that no range check is needed.
 */
const PLAIN = new Uint8Array(65536);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = 1;
PLAIN[0x22] = 0;
PLAIN[0x5c] = 0;

/**
 * An append-only byte sink made of fixed-size chunks. `take()` hands out what was written since the last
 * call, as views that are never written again (a stream may hold them until they are flushed).
 */
export class ChunkWriter {
  private chunk: Buffer;
  private start = 0;
  private pos = 0;
  private done: Buffer[] = [];
  private doneBytes = 0;

  constructor(private readonly chunkSize = DEFAULT_CHUNK) {
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  /** Bytes written and not yet taken. */
  get pending(): number {
    return this.doneBytes + this.pos - this.start;
  }

  /** Everything written since the last call, in order. */
  take(): Buffer[] {
    this.seal();
    const out = this.done;
    this.done = [];
    this.doneBytes = 0;
    return out;
  }

  /** Drops everything not yet taken. */
  discard(): void {
    this.done = [];
    this.doneBytes = 0;
    this.start = this.pos;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3); // the most UTF-8 bytes one UTF-16 unit can take
    this.pos += this.chunk.write(s, this.pos);
  }

  /** Bytes encoded in advance (JSON punctuation and keys). */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.room(n);
    const b = this.chunk;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i]!;
    this.pos = p;
  }

  jsonString(s: string | null): void {
    if (s === null) return this.raw(NULL);
    const n = s.length;
    this.room(n + 2);
    const b = this.chunk;
    let p = this.pos;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // Escapes, non-ASCII and lone surrogates: JSON.stringify's own rules, then UTF-8. Nothing is committed
      // until this.pos moves, so the bytes already copied are simply overwritten.
      if (PLAIN[c] === 0) return this.text(JSON.stringify(s));
      b[p++] = c;
    }
    b[p++] = QUOTE;
    this.pos = p;
  }

  jsonNumber(n: number | null): void {
    if (n === null || !Number.isFinite(n)) return this.raw(NULL);
    if (Number.isInteger(n) && n >= 0 && n <= 0x7fffffff) return this.digits(n); // ids, counts (and -0, as "0")
    this.text(String(n));
  }

  jsonBoolean(v: boolean | null): void {
    this.raw(v === null ? NULL : v ? TRUE : FALSE);
  }

  jsonStrings(a: readonly string[]): void {
    this.raw(OPEN_BRACKET);
    for (let i = 0; i < a.length; i++) {
      if (i > 0) this.raw(COMMA);
      this.jsonString(a[i]!);
    }
    this.raw(CLOSE_BRACKET);
  }

  /** A small non-negative integer in decimal, as String(n) would write it. */
  private digits(n: number): void {
    let len = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) len++;
    this.room(len);
    const b = this.chunk;
    for (let p = this.pos + len - 1, m = n; p >= this.pos; p--, m = (m / 10) | 0) b[p] = 48 + (m % 10);
    this.pos += len;
  }

  /** Makes room for n more bytes, starting a new chunk when the current one is full. */
  private room(n: number): void {
    if (this.pos + n <= this.chunk.length) return;
    this.seal();
    this.chunk = Buffer.allocUnsafe(Math.max(this.chunkSize, n));
    this.start = this.pos = 0;
  }

  private seal(): void {
    if (this.pos === this.start) return;
    this.done.push(this.chunk.subarray(this.start, this.pos));
    this.doneBytes += this.pos - this.start;
    this.start = this.pos;
  }
}

/** Each key with the punctuation before it, in the order JSON.stringify writes them (normalizeEvent's order). */
const EVENT = {
  id: ascii('{"id":'),
  node: ascii(',"node":'),
  time: ascii(',"time":'),
  serial: ascii(',"serial":'),
  types: ascii(',"types":'),
  syscall: ascii(',"syscall":'),
  args: ascii(',"args":'),
  success: ascii(',"success":'),
  exit: ascii(',"exit":'),
  key: ascii(',"key":'),
  process: ascii(',"process":'),
  files: ascii(',"files":['),
  socket: ascii('],"socket":'),
  end: ascii('}\n'),
};
const PROCESS = {
  pid: ascii('{"pid":'),
  ppid: ascii(',"ppid":'),
  uid: ascii(',"uid":'),
  euid: ascii(',"euid":'),
  auid: ascii(',"auid":'),
  gid: ascii(',"gid":'),
  ses: ascii(',"ses":'),
  tty: ascii(',"tty":'),
  comm: ascii(',"comm":'),
  exe: ascii(',"exe":'),
  cwd: ascii(',"cwd":'),
  argv: ascii(',"argv":'),
  title: ascii(',"title":'),
  end: ascii('}'),
};
const FILE = {
  name: ascii('{"name":'),
  nametype: ascii(',"nametype":'),
  mode: ascii(',"mode":'),
  inode: ascii(',"inode":'),
  ouid: ascii(',"ouid":'),
  end: ascii('}'),
};
const SOCKET = {
  family: ascii('{"family":'),
  addr: ascii(',"addr":'),
  port: ascii(',"port":'),
  path: ascii(',"path":'),
  end: ascii('}'),
};

/**
 * Writes `JSON.stringify(e) + '\n'`, field by field in the order normalizeEvent creates them (which is the
 * order JSON.stringify uses); test/audit/jsonl.test.ts holds the two to the same bytes.
 */
export function writeEventJsonl(w: ChunkWriter, e: AuditEvent): void {
  w.raw(EVENT.id);
  w.jsonString(e.id);
  w.raw(EVENT.node);
  w.jsonString(e.node);
  w.raw(EVENT.time);
  w.jsonString(e.time);
  w.raw(EVENT.serial);
  w.jsonNumber(e.serial);
  w.raw(EVENT.types);
  w.jsonStrings(e.types);
  w.raw(EVENT.syscall);
  w.jsonString(e.syscall);
  w.raw(EVENT.args);
  w.jsonStrings(e.args);
  w.raw(EVENT.success);
  w.jsonBoolean(e.success);
  w.raw(EVENT.exit);
  w.jsonNumber(e.exit);
  w.raw(EVENT.key);
  w.jsonString(e.key);
  w.raw(EVENT.process);
  writeProcess(w, e.process);
  w.raw(EVENT.files);
  for (let i = 0; i < e.files.length; i++) {
    if (i > 0) w.raw(COMMA);
    writeFile(w, e.files[i]!);
  }
  w.raw(EVENT.socket);
  writeSocket(w, e.socket);
  w.raw(EVENT.end);
}

function writeProcess(w: ChunkWriter, p: AuditProcess): void {
  w.raw(PROCESS.pid);
  w.jsonNumber(p.pid);
  w.raw(PROCESS.ppid);
  w.jsonNumber(p.ppid);
  w.raw(PROCESS.uid);
  w.jsonNumber(p.uid);
  w.raw(PROCESS.euid);
  w.jsonNumber(p.euid);
  w.raw(PROCESS.auid);
  w.jsonNumber(p.auid);
  w.raw(PROCESS.gid);
  w.jsonNumber(p.gid);
  w.raw(PROCESS.ses);
  w.jsonNumber(p.ses);
  w.raw(PROCESS.tty);
  w.jsonString(p.tty);
  w.raw(PROCESS.comm);
  w.jsonString(p.comm);
  w.raw(PROCESS.exe);
  w.jsonString(p.exe);
  w.raw(PROCESS.cwd);
  w.jsonString(p.cwd);
  w.raw(PROCESS.argv);
  w.jsonStrings(p.argv);
  w.raw(PROCESS.title);
  w.jsonString(p.title);
  w.raw(PROCESS.end);
}

function writeFile(w: ChunkWriter, f: AuditFile): void {
  w.raw(FILE.name);
  w.jsonString(f.name);
  w.raw(FILE.nametype);
  w.jsonString(f.nametype);
  w.raw(FILE.mode);
  w.jsonString(f.mode);
  w.raw(FILE.inode);
  w.jsonNumber(f.inode);
  w.raw(FILE.ouid);
  w.jsonNumber(f.ouid);
  w.raw(FILE.end);
}

function writeSocket(w: ChunkWriter, s: AuditSocket | null): void {
  if (s === null) return w.raw(NULL);
  w.raw(SOCKET.family);
  w.jsonString(s.family);
  w.raw(SOCKET.addr);
  w.jsonString(s.addr);
  w.raw(SOCKET.port);
  w.jsonNumber(s.port);
  w.raw(SOCKET.path);
  w.jsonString(s.path);
  w.raw(SOCKET.end);
}
