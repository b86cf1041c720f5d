// Streaming parser for conntrack's text output: `conntrack -E [-o timestamp,extended]` events and
// `conntrack -L [-o extended]` snapshots (optionally prefixed with `[EPOCH.micro]\t` by the runner's poller).
// The first tuple is the originator, the second the reply. Malformed lines are counted, never thrown.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Flow } from './types.js';

export interface ConntrackStats {
  lines: number;
  flows: number;
  /** Lines that are not flows by design (blank, conntrack's "N flow entries have been shown" footer). */
  ignored: number;
  malformed: number;
  /** The first 20 malformed lines: number and reason. */
  malformedLines: { line: number; reason: string }[];
}

export type ParsedLine = { flow: Flow } | { ignored: true } | { error: string };

const MAX_REPORTED = 20;
const EVENT_RE = /^\[(NEW|UPDATE|DESTROY)\]$/;
const TIMESTAMP_RE = /^\[(\d+)(?:\.(\d{1,9}))?\]\s*/;
const L3 = new Set(['ipv4', 'ipv6']);

interface Tuple {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  packets?: number;
  bytes?: number;
}

/** Parse one line. `fallbackTime` is used when the line carries no `[EPOCH]` timestamp. */
export function parseConntrackLine(raw: string, fallbackTime: string, host?: string): ParsedLine {
  let line = raw.trim();
  if (line === '' || /^conntrack v[\d.]+ /.test(line)) return { ignored: true };
  let time = fallbackTime;
  const ts = TIMESTAMP_RE.exec(line);
  if (ts) {
    const ms = Number(ts[1]) * 1000 + Math.floor(Number(`0.${ts[2] ?? '0'}`) * 1000);
    const d = new Date(ms);
    if (Number.isNaN(d.getTime())) return { error: `bad timestamp ${ts[0].trim()}` };
    time = d.toISOString();
    line = line.slice(ts[0].length);
  }
  const tokens = line.split(/\s+/);
  let i = 0;
  let event = 'LIST';
  const ev = EVENT_RE.exec(tokens[0] ?? '');
  if (ev) {
    event = ev[1]!;
    i++;
  }
  if (L3.has(tokens[i] ?? '') && /^\d+$/.test(tokens[i + 1] ?? '')) i += 2;
  const protocol = tokens[i];
  if (!protocol || protocol.includes('=') || protocol.startsWith('[')) return { error: 'no protocol before the tuples' };
  if (!/^\d+$/.test(tokens[i + 1] ?? '')) return { error: `protocol ${protocol} is not followed by its number` };
  i += 2;
  // Optional timeout and TCP state, up to the first key=value.
  while (i < tokens.length && !tokens[i]!.includes('=')) {
    const t = tokens[i]!;
    if (!/^\d+$/.test(t) && !/^[A-Z_]+$/.test(t)) return { error: `unexpected "${t}" before the tuples` };
    i++;
  }
  const tuples: Tuple[] = [];
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    const eq = t.indexOf('=');
    if (eq <= 0 || t.startsWith('[')) continue; // [UNREPLIED], [ASSURED], [start=... words
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (key === 'src') tuples.push({});
    const cur = tuples[tuples.length - 1];
    if (!cur || tuples.length > 2) continue; // mark=, use=, zone= after the reply tuple belong to neither
    switch (key) {
      case 'src':
      case 'dst':
        cur[key] = value;
        break;
      case 'sport':
      case 'dport':
      case 'packets':
      case 'bytes': {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0) return { error: `${key}=${value} is not a count` };
        cur[key] = n;
        break;
      }
    }
  }
  const orig = tuples[0];
  if (!orig?.src || !orig.dst) return { error: 'no src=/dst= tuple' };
  const reply = tuples[1] ?? {};
  const flow: Flow = {
    time,
    protocol,
    src: orig.src,
    sport: orig.sport ?? null,
    dst: orig.dst,
    dport: orig.dport ?? null,
    bytesOut: orig.bytes ?? 0,
    bytesIn: reply.bytes ?? 0,
    packetsOut: orig.packets ?? 0,
    packetsIn: reply.packets ?? 0,
    event,
  };
  if (host !== undefined) flow.host = host;
  return { flow };
}

/** Line-at-a-time parser keeping counts; lines without a timestamp take the last one seen (or the clock). */
export class ConntrackParser {
  readonly stats: ConntrackStats = { lines: 0, flows: 0, ignored: 0, malformed: 0, malformedLines: [] };
  private lastTime: string | null = null;

  constructor(private readonly options: { host?: string; now?: () => Date } = {}) {}

  push(line: string): Flow | null {
    this.stats.lines++;
    const fallback = this.lastTime ?? (this.options.now?.() ?? new Date()).toISOString();
    const parsed = parseConntrackLine(line, fallback, this.options.host);
    if ('flow' in parsed) {
      this.stats.flows++;
      this.lastTime = parsed.flow.time;
      return parsed.flow;
    }
    if ('ignored' in parsed) {
      this.stats.ignored++;
      return null;
    }
    this.stats.malformed++;
    if (this.stats.malformedLines.length < MAX_REPORTED) {
      this.stats.malformedLines.push({ line: this.stats.lines, reason: parsed.error });
    }
    return null;
  }
}

/** Flows from a stream of conntrack text (a Readable, or an iterable yielding one line per item), read as it comes. `stats` fills in as the iterator advances. */
export function conntrackFlows(
  source: Readable | AsyncIterable<string>,
  options: { host?: string; now?: () => Date } = {},
): AsyncIterableIterator<Flow> & { stats: ConntrackStats } {
  const parser = new ConntrackParser(options);
  const lines: AsyncIterable<string> = isReadable(source)
    ? createInterface({ input: source, crlfDelay: Infinity })
    : source;
  async function* gen(): AsyncGenerator<Flow> {
    for await (const line of lines) {
      const flow = parser.push(line);
      if (flow) yield flow;
    }
  }
  return Object.assign(gen(), { stats: parser.stats });
}

function isReadable(x: unknown): x is Readable {
  return typeof (x as Readable)?.pipe === 'function' && typeof (x as Readable)?.on === 'function';
}

/** A flow's identity across snapshots and events: protocol and the originator's 4-tuple. */
export function flowKey(flow: Flow): string {
  return `${flow.protocol}|${flow.src}|${flow.sport ?? ''}|${flow.dst}|${flow.dport ?? ''}`;
}
