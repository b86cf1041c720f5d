// The three layers wired together: raw lines -> records -> events -> AuditEvent, with counters.
import type { AuditEvent } from './event.js';
import { EventAssembler } from './assembler.js';
import { normalizeEvent } from './normalize.js';
import { isRecordError, parseRecord, type AuditRecord } from './record.js';

export interface AuditStats {
  lines: number;
  records: number;
  events: number;
  malformed: number;
  /** Line numbers (1-based) of the first 20 malformed lines. */
  malformedLines: number[];
  lostSerials: number;
  /** Records that arrived after their event had been completed; dropped (additive to the API). */
  lateRecords: number;
}

export type MalformedHandler = (lineNo: number, line: string, reason: string) => void;

export interface AuditStreamOptions {
  /** In-flight events (default 256). */
  window?: number;
  onMalformed?: MalformedHandler;
}

const MAX_MALFORMED_LINES = 20;
const NO_EVENTS: AuditEvent[] = [];

/** Push-based and synchronous: feed raw lines, get completed events back. */
export class AuditStream {
  readonly stats: AuditStats = {
    lines: 0,
    records: 0,
    events: 0,
    malformed: 0,
    malformedLines: [],
    lostSerials: 0,
    lateRecords: 0,
  };
  private readonly assembler: EventAssembler;
  private readonly onMalformed: MalformedHandler | undefined;

  constructor(options: AuditStreamOptions = {}) {
    this.assembler = new EventAssembler({ window: options.window });
    this.onMalformed = options.onMalformed;
  }

  /** One raw line (a trailing `\r` or `\n` is ignored). Returns the events this line completed. */
  push(line: string): AuditEvent[] {
    const stats = this.stats;
    const lineNo = ++stats.lines;
    if (line === OVERLONG_LINE || line.length > MAX_LINE_BYTES) {
      stats.malformed++;
      if (stats.malformedLines.length < MAX_MALFORMED_LINES) stats.malformedLines.push(lineNo);
      this.onMalformed?.(lineNo, '', `line longer than ${MAX_LINE_BYTES} bytes (skipped)`);
      return NO_EVENTS;
    }
    let end = line.length;
    while (end > 0 && (line.charCodeAt(end - 1) === 10 || line.charCodeAt(end - 1) === 13)) end--;
    if (end !== line.length) line = line.slice(0, end);
    if (isBlank(line)) return NO_EVENTS;
    const parsed = parseRecord(line);
    if (isRecordError(parsed)) {
      stats.malformed++;
      if (stats.malformedLines.length < MAX_MALFORMED_LINES) stats.malformedLines.push(lineNo);
      this.onMalformed?.(lineNo, line, parsed.error);
      return NO_EVENTS;
    }
    stats.records++;
    return this.finish(this.assembler.add(parsed));
  }

  /** Emits events that have sat in flight with no new record for `idleMs` (for live tails that may go quiet). */
  flushIdle(idleMs = 1000): AuditEvent[] {
    return this.finish(this.assembler.flushIdle(idleMs));
  }

  /** Flushes everything still in flight. */
  end(): AuditEvent[] {
    return this.finish(this.assembler.flush());
  }

  private finish(groups: AuditRecord[][]): AuditEvent[] {
    const a = this.assembler;
    this.stats.lostSerials = a.lostSerials;
    this.stats.lateRecords = a.lateRecords;
    if (groups.length === 0) return NO_EVENTS;
    const events = groups.map(normalizeEvent);
    this.stats.events += events.length;
    return events;
  }
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/**
 * Longest audit line accepted. The kernel caps a record at 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH) and ENRICHED
 * adds a little; anything much longer is not auditd's, and holding it whole would let one hostile file (a log
 * with no newline) take all the memory. Such a line is dropped as it streams and counted as malformed.
 */
export const MAX_LINE_BYTES = 256 * 1024;
/** What LineSplitter yields in place of a line longer than its limit (no real line holds a NUL). */
export const OVERLONG_LINE = '\u0000overlong line\u0000';

/**
 * Splits a chunked byte or text stream into lines (UTF-8, `\n` separated; a final unterminated line counts).
 * Each line is decoded on its own, so a retained value never pins a whole multi-megabyte chunk in memory
 * (slices of one big decoded string would). A line longer than `maxLineBytes` is never held: it comes out as
 * OVERLONG_LINE.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private partialText = '';
  /** The line being read has passed the limit: its bytes are being skipped. */
  private overlong = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** Complete lines in this chunk, without their newline. */
  write(chunk: Buffer | string): string[] {
    if (typeof chunk === 'string') return this.writeText(chunk);
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl >= 0) {
      if (this.overlong || this.pendingBytes + (nl - start) > this.maxLineBytes) lines.push(OVERLONG_LINE);
      else if (this.pending.length > 0) {
        this.pending.push(chunk.subarray(start, nl));
        lines.push(Buffer.concat(this.pending).toString('utf8'));
      } else lines.push(chunk.toString('utf8', start, nl));
      this.pending = [];
      this.pendingBytes = 0;
      this.overlong = false;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length && !this.overlong) {
      const rest = chunk.length - start;
      if (this.pendingBytes + rest > this.maxLineBytes) this.skipLine();
      else {
        // Keep a copy: the caller may reuse its buffer.
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingBytes += rest;
      }
    }
    return lines;
  }

  end(): string[] {
    const overlong = this.overlong;
    const rest = this.partialText + (this.pending.length > 0 ? Buffer.concat(this.pending).toString('utf8') : '');
    this.pending = [];
    this.pendingBytes = 0;
    this.partialText = '';
    this.overlong = false;
    if (overlong) return [OVERLONG_LINE];
    return rest.length > 0 ? [rest] : [];
  }

  private writeText(chunk: string): string[] {
    const lines = chunk.split('\n');
    const last = lines.pop()!;
    const out: string[] = [];
    for (const [i, line] of lines.entries()) {
      const whole = i === 0 ? this.partialText + line : line;
      out.push(this.overlong && i === 0 ? OVERLONG_LINE : whole.length > this.maxLineBytes ? OVERLONG_LINE : whole);
      if (i === 0) this.overlong = false;
    }
    if (lines.length > 0) this.partialText = '';
    if (!this.overlong) {
      this.partialText += last;
      if (this.partialText.length > this.maxLineBytes) this.skipLine();
    }
    return out;
  }

  private skipLine(): void {
    this.overlong = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.partialText = '';
  }
}

function isByteStream(source: unknown): source is NodeJS.ReadableStream {
  return typeof (source as NodeJS.ReadableStream).pipe === 'function';
}

/**
 * Async events from a byte/text stream (chunks split into lines) or from an async iterable of lines
 * (such as followLines). The returned iterator exposes the live `stats`.
 */
export function auditEvents(
  source: NodeJS.ReadableStream | AsyncIterable<string>,
  options: { window?: number; onMalformed?: MalformedHandler } = {},
): AsyncIterableIterator<AuditEvent> & { stats: AuditStats } {
  const stream = new AuditStream(options);
  async function* generate(): AsyncGenerator<AuditEvent> {
    if (isByteStream(source)) {
      const splitter = new LineSplitter();
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        for (const line of splitter.write(chunk)) yield* stream.push(line);
      }
      for (const line of splitter.end()) yield* stream.push(line);
    } else {
      for await (const line of source) yield* stream.push(line);
    }
    yield* stream.end();
  }
  return Object.assign(generate(), { stats: stream.stats });
}
