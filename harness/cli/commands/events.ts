// `purple events`: parse an audit log into normalized events (jsonl or a compact table), with a summary on stderr.
import { closeSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditStream, ChunkWriter, LineSplitter, followLines, writeEventJsonl, type AuditStats } from '../../audit/index.js';
import type { AuditEvent } from '../../audit/event.js';
import { EXIT, EnvironmentError, UsageError, type Command } from '../command.js';

const USAGE = `usage: purple events --audit-log FILE [--format jsonl|table] [--follow] [--window N]

Parses a raw auditd log (plain or ENRICHED) into one normalized event per line on stdout and prints
a summary (lines, records, events, malformed lines, lost serials) on stderr.

  --audit-log FILE   the log to read; "-" reads stdin
  --format F         jsonl (default) or table
  --follow           keep reading new lines as they are appended, across rotation and truncation
                     (starts at the current end; Ctrl-C stops and prints the summary)
  --window N         events kept in flight while waiting for their records (default 256)`;

const FLUSH_AT = 1 << 18;
// Small reads on purpose: all the lines of a chunk are alive until it is processed, and 4 MB of them
// outlived young-generation GCs and were copied and promoted, a large share of the run time.
const READ_CHUNK = 1 << 16;
const FOLLOW_IDLE_MS = 1000;

/** Buffered stdout: formatters write bytes into chunks, flushed as a batch with backpressure. */
class Output {
  readonly writer = new ChunkWriter();
  closed = false;

  constructor(private readonly onClosed: () => void) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      this.closed = true;
      this.writer.discard();
      this.onClosed();
    });
  }

  get pending(): number {
    return this.writer.pending;
  }

  async flush(): Promise<void> {
    if (this.closed || this.writer.pending === 0) return;
    let ready = true;
    for (const chunk of this.writer.take()) ready = process.stdout.write(chunk);
    if (!ready) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('error', done);
          resolve();
        };
        process.stdout.on('drain', done);
        process.stdout.on('error', done);
      });
    }
  }
}

type Formatter = (out: ChunkWriter, e: AuditEvent) => void;

const jsonl: Formatter = writeEventJsonl;

const TABLE_HEADER = `${'TIME'.padEnd(24)} ${'SERIAL'.padStart(10)} ${'EVENT'.padEnd(16)} ${'OK'.padEnd(3)} ${'PID'.padStart(7)} ${'AUID'.padStart(6)} ${'KEY'.padEnd(16)} EXE / COMMAND\n`;

const table: Formatter = (out, e) => out.text(tableLine(e));

function tableLine(e: AuditEvent): string {
  const what = e.syscall ?? e.types[0] ?? '';
  const ok = e.success === null ? '-' : e.success ? 'yes' : 'no';
  const command = e.process.argv.length > 0 ? e.process.argv.join(' ') : (e.process.title ?? '');
  const object = e.files.find((f) => f.nametype !== 'PARENT')?.name ?? (e.socket ? `${e.socket.addr ?? e.socket.path ?? e.socket.family}${e.socket.port === null ? '' : ':' + e.socket.port}` : '');
  const cols = [
    e.time.padEnd(24),
    String(e.serial).padStart(10),
    what.slice(0, 16).padEnd(16),
    ok.padEnd(3),
    String(e.process.pid ?? '-').padStart(7),
    String(e.process.auid ?? '-').padStart(6),
    (e.key ?? '-').slice(0, 16).padEnd(16),
    [e.process.exe ?? e.process.comm ?? '-', command && `[${command}]`, object && `-> ${object}`].filter(Boolean).join(' '),
  ];
  return cols.join(' ').replace(/[\x00-\x1f]/g, '?') + '\n';
}

export function summarize(stats: AuditStats): string {
  const malformed =
    stats.malformed === 0
      ? '0 malformed'
      : `${stats.malformed} malformed (line${stats.malformedLines.length > 1 ? 's' : ''} ${stats.malformedLines.slice(0, 5).join(', ')}${stats.malformed > 5 ? ', ...' : ''})`;
  const late = stats.lateRecords > 0 ? `, ${stats.lateRecords} late records dropped` : '';
  return `purple events: ${stats.lines} lines, ${stats.records} records, ${stats.events} events, ${malformed}, ${stats.lostSerials} lost serials${late}`;
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'parse an audit log into normalized events (jsonl or table)',
  usage: USAGE,
  async run(args: string[]): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          'audit-log': { type: 'string' },
          format: { type: 'string', default: 'jsonl' },
          follow: { type: 'boolean', default: false },
          window: { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const file = values['audit-log'];
    if (!file) throw new UsageError('--audit-log FILE is required ("-" for stdin)');
    const format = values.format === 'jsonl' ? jsonl : values.format === 'table' ? table : undefined;
    if (!format) throw new UsageError(`--format must be jsonl or table, not "${values.format}"`);
    if (values.follow && file === '-') throw new UsageError('--follow needs a file, not stdin');
    const window = values.window === undefined ? undefined : Number(values.window);
    if (window !== undefined && !(Number.isInteger(window) && window > 0)) {
      throw new UsageError(`--window must be a positive integer, not "${values.window}"`);
    }

    const stream = new AuditStream({ window });
    const abort = new AbortController();
    const out = new Output(() => abort.abort());
    const emit = (events: AuditEvent[]) => {
      if (out.closed) return;
      for (let i = 0; i < events.length; i++) format(out.writer, events[i]!);
    };
    if (format === table) out.writer.text(TABLE_HEADER);

    if (values.follow) await follow(file, stream, emit, out, abort);
    else if (file === '-') await readStdin(stream, emit, out, abort.signal);
    else await readFile(file, stream, emit, out, abort.signal);

    emit(stream.end());
    await out.flush();
    process.stderr.write(summarize(stream.stats) + '\n');
    return EXIT.ok;
  },
};

async function readFile(file: string, stream: AuditStream, emit: (e: AuditEvent[]) => void, out: Output, signal: AbortSignal): Promise<void> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new EnvironmentError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  const splitter = new LineSplitter();
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, READ_CHUNK, null);
      const lines = n === 0 ? splitter.end() : splitter.write(buf.subarray(0, n));
      for (let i = 0; i < lines.length; i++) emit(stream.push(lines[i]!));
      if (out.pending >= FLUSH_AT || n === 0) await out.flush();
      if (n === 0 || signal.aborted) return;
    }
  } finally {
    closeSync(fd);
  }
}

async function readStdin(stream: AuditStream, emit: (e: AuditEvent[]) => void, out: Output, signal: AbortSignal): Promise<void> {
  const splitter = new LineSplitter();
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    for (const line of splitter.write(chunk)) emit(stream.push(line));
    if (out.pending >= FLUSH_AT) await out.flush();
    if (signal.aborted) return;
  }
  for (const line of splitter.end()) emit(stream.push(line));
}

async function follow(file: string, stream: AuditStream, emit: (e: AuditEvent[]) => void, out: Output, abort: AbortController): Promise<void> {
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // A live log may go quiet with an event still waiting for records that will never come (no EOE).
  const idle = setInterval(() => {
    emit(stream.flushIdle(FOLLOW_IDLE_MS));
    void out.flush();
  }, FOLLOW_IDLE_MS / 2);
  try {
    for await (const line of followLines(file, { signal: abort.signal })) {
      emit(stream.push(line));
      await out.flush();
    }
  } finally {
    clearInterval(idle);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
