// Layer 1: one raw audit.log line -> one AuditRecord. A hand scanner (no regex per field): this is the hot path.
//
// Line shape: [node=NAME ]type=TYPE [msg=]audit(SECONDS.MILLIS:SERIAL): key=value ...[\x1dKEY=value ...]
// Values are `"quoted text"`, unquoted tokens (numbers, hex-encoded text, `(null)`, `?`), a nested
// user-space `msg='k=v ...'` (flattened into the record), or an enriched `SADDR={ ... }` group.

export interface AuditRecord {
  node: string | null;
  type: string;
  /** `SECONDS.MILLIS` exactly as logged. */
  stamp: string;
  serial: number;
  /**
   * Fields as logged, built on first access. Quoted values keep their double quotes, so a reader can tell
   * literal text (`"ls"`) from hex-encoded text (`6C73`); use `fieldText` from normalize.ts to decode.
   * Fields of a nested `msg='...'` are merged in without overriding the outer ones.
   */
  readonly fields: Record<string, string>;
  /** The ENRICHED format's interpreted fields after the 0x1D separator (`UID: '"root"'`), or null. */
  readonly enriched: Record<string, string> | null;
  /** One raw field value (same value as `fields[name]`), found without building `fields`: the hot path. */
  field(name: string): string | undefined;
}

export interface RecordError {
  error: string;
}

const SPACE = 32;
const EQUALS = 61;
const DQUOTE = 34;
const SQUOTE = 39;
const LBRACE = 123;
const GS = '\x1d';

export function isRecordError(r: AuditRecord | RecordError): r is RecordError {
  return (r as RecordError).error !== undefined;
}

/** Parses one line (without its newline). Never throws: returns `{ error }` for a line that is not an audit record. */
export function parseRecord(line: string): AuditRecord | RecordError {
  const len = line.length;
  let i = 0;
  while (i < len && line.charCodeAt(i) === SPACE) i++;
  let node: string | null = null;
  if (line.startsWith('node=', i)) {
    const end = indexOrEnd(line, ' ', i + 5, len);
    node = line.slice(i + 5, end);
    i = skipSpaces(line, end, len);
  }
  if (!line.startsWith('type=', i)) return { error: 'no "type=" at the start of the line' };
  const typeEnd = indexOrEnd(line, ' ', i + 5, len);
  const type = line.slice(i + 5, typeEnd);
  if (type.length === 0) return { error: 'empty record type' };
  i = skipSpaces(line, typeEnd, len);
  if (line.startsWith('msg=', i)) i += 4;
  if (!line.startsWith('audit(', i)) return { error: 'no "msg=audit(SECONDS.MILLIS:SERIAL)" header' };
  i += 6;
  const colon = line.indexOf(':', i);
  const close = line.indexOf(')', i);
  if (colon < 0 || close < 0 || colon > close) return { error: 'malformed audit(...) header' };
  const stamp = line.slice(i, colon);
  if (!isStamp(line, i, colon)) return { error: `malformed timestamp "${stamp}"` };
  const serial = parseDigits(line, colon + 1, close);
  if (serial < 0) return { error: `malformed serial "${line.slice(colon + 1, close)}"` };
  i = close + 1;
  if (line.charCodeAt(i) === 58 /* : */) i++;

  const gs = line.indexOf(GS, i);
  return new ParsedRecord(node, type, stamp, serial, line, i, gs < 0 ? len : gs);
}

class ParsedRecord implements AuditRecord {
  private parsedFields: { [key: string]: string } | undefined;
  private parsedEnriched: { [key: string]: string } | null | undefined;

  constructor(
    readonly node: string | null,
    readonly type: string,
    readonly stamp: string,
    readonly serial: number,
    private readonly line: string,
    private readonly bodyStart: number,
    private readonly bodyEnd: number,
  ) {}

  get fields(): { [key: string]: string } {
    if (this.parsedFields === undefined) {
      this.parsedFields = {};
      scanFields(this.line, this.bodyStart, this.bodyEnd, this.parsedFields, false);
    }
    return this.parsedFields;
  }

  get enriched(): { [key: string]: string } | null {
    if (this.parsedEnriched === undefined) {
      if (this.bodyEnd >= this.line.length) this.parsedEnriched = null;
      else {
        this.parsedEnriched = {};
        scanFields(this.line, this.bodyEnd + 1, this.line.length, this.parsedEnriched, false);
      }
    }
    return this.parsedEnriched;
  }

  field(name: string): string | undefined {
    if (this.parsedFields !== undefined) return this.parsedFields[name];
    return findField(this.line, this.bodyStart, this.bodyEnd, name);
  }

  toJSON(): object {
    const { node, type, stamp, serial, fields, enriched } = this;
    return { node, type, stamp, serial, fields, enriched };
  }
}

/**
 * The value of `name=` in line[from, end) by searching the raw text. Because the kernel hex-encodes any
 * value containing a space or a double quote, a `name=` preceded by a space (or by the quote opening a
 * nested msg) is a field start. The first such occurrence wins, as in scanFields: outer fields come
 * before the nested msg. Falls back to a full scan when the text is unusual (unbalanced quotes).
 */
function findField(line: string, from: number, end: number, name: string): string | undefined {
  const n = name.length;
  let at = line.indexOf(name, from);
  while (at >= 0 && at < end) {
    const prev = line.charCodeAt(at - 1);
    if (line.charCodeAt(at + n) === EQUALS && (prev === SPACE || prev === SQUOTE) && at + n < end) {
      if (prev === SQUOTE && line.charCodeAt(at - 2) !== EQUALS) {
        // a quote that does not open a msg='...' value: unusual text, let the full scanner decide
        const all: { [key: string]: string } = {};
        scanFields(line, from, end, all, false);
        return all[name];
      }
      return valueAt(line, at + n + 1, end);
    }
    at = line.indexOf(name, at + 1);
  }
  return undefined;
}

function valueAt(line: string, i: number, end: number): string | undefined {
  if (i >= end) return '';
  const c = line.charCodeAt(i);
  if (c === DQUOTE) {
    const close = line.indexOf('"', i + 1);
    return close < 0 || close >= end ? line.slice(i, end) + '"' : line.slice(i, close + 1);
  }
  if (c === SQUOTE) return undefined; // a nested msg is flattened, not a value
  if (c === LBRACE) {
    const close = line.indexOf('}', i);
    return line.slice(i, close < 0 || close >= end ? end : close + 1);
  }
  const stop = indexOrEnd(line, ' ', i, end);
  // The last field of a nested msg='...' ends at the closing quote, as in scanFields.
  if (line.charCodeAt(stop - 1) === SQUOTE && line.lastIndexOf("='", i) >= 0) return line.slice(i, stop - 1);
  return line.slice(i, stop);
}

/**
 * Reads `key=value` pairs from line[i, end) into out. Tokens without `=` (the prose of AVC records,
 * trailing garbage) are skipped; an unterminated quote takes the rest of the range.
 */
function scanFields(line: string, i: number, end: number, out: { [key: string]: string }, nested: boolean): void {
  while (i < end) {
    let c = line.charCodeAt(i);
    if (c === SPACE) {
      i++;
      continue;
    }
    if (c === LBRACE) {
      // A bare `{ read }` group (AVC permissions): not a field.
      const close = line.indexOf('}', i);
      i = close < 0 || close >= end ? end : close + 1;
      continue;
    }
    const keyStart = i;
    while (i < end) {
      c = line.charCodeAt(i);
      if (c === EQUALS || c === SPACE) break;
      i++;
    }
    if (i >= end || c === SPACE) continue; // a word without `=`
    const key = line.slice(keyStart, i);
    i++; // '='
    if (i >= end) {
      setField(out, key, '', nested);
      break;
    }
    c = line.charCodeAt(i);
    let value: string;
    if (c === DQUOTE) {
      const close = line.indexOf('"', i + 1);
      if (close < 0 || close >= end) {
        value = line.slice(i, end) + '"';
        i = end;
      } else {
        value = line.slice(i, close + 1);
        i = close + 1;
      }
    } else if (c === SQUOTE) {
      let close = line.indexOf("'", i + 1);
      if (close < 0 || close >= end) close = end;
      scanFields(line, i + 1, close, out, true);
      i = close + 1;
      continue;
    } else if (c === LBRACE) {
      const close = line.indexOf('}', i);
      const stop = close < 0 || close >= end ? end : close + 1;
      value = line.slice(i, stop);
      i = stop;
    } else {
      const stop = indexOrEnd(line, ' ', i, end);
      value = line.slice(i, stop);
      i = stop;
    }
    if (key.length > 0) setField(out, key, value, nested);
  }
}

/** The first occurrence of a key wins (outer fields come before a nested msg='...'). */
function setField(out: { [key: string]: string }, key: string, value: string, _nested: boolean): void {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') return;
  if (Object.hasOwn(out, key)) return;
  out[key] = value;
}

function indexOrEnd(s: string, ch: string, from: number, end: number): number {
  const at = s.indexOf(ch, from);
  return at < 0 || at > end ? end : at;
}

function skipSpaces(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) === SPACE) i++;
  return i;
}

/** Non-negative integer in s[from, to), or -1. */
function parseDigits(s: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** `SECONDS.MILLIS` in s[from, to) (checked in the line rather than in the sliced stamp: faster to read). */
function isStamp(s: string, from: number, to: number): boolean {
  const dot = s.indexOf('.', from);
  if (dot <= from || dot >= to - 1) return false;
  return parseDigits(s, from, dot) >= 0 && parseDigits(s, dot + 1, to) >= 0;
}
