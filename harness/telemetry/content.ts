// Content analysis of bytes read from a file: Shannon entropy, format from magic bytes, sha256, and the text of small
// scripts. How a target's file is opened and which bytes of it are read is harness/telemetry/safe-read.ts.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FileArtifact } from './types.js';

const HEAD = 512;
/** Scripts bigger than this are not kept as text. */
export const MAX_TEXT_BYTES = 64 * 1024;

/** Formats whose magic bytes mark standard compression or archive containers. */
export const ARCHIVE_FORMATS: ReadonlySet<string> = new Set([
  'gzip', 'bzip2', 'xz', 'zstd', 'zip', '7z', 'rar', 'lz4', 'lzma', 'lzip', 'compress', 'zlib', 'tar', 'cpio',
]);

interface Magic {
  format: string;
  offset: number;
  bytes: number[];
}

const magic = (format: string, hex: string, offset = 0): Magic => ({
  format,
  offset,
  bytes: hex.match(/../g)!.map((h) => parseInt(h, 16)),
});

// Longest signatures first where two share a prefix (rar5 before rar4).
const MAGICS: Magic[] = [
  magic('gzip', '1f8b'),
  magic('bzip2', '425a68'),
  magic('xz', 'fd377a585a00'),
  magic('zstd', '28b52ffd'),
  magic('zip', '504b0304'),
  magic('zip', '504b0506'), // empty archive
  magic('zip', '504b0708'), // spanned archive
  magic('7z', '377abcaf271c'),
  magic('rar', '526172211a070100'), // RAR 5
  magic('rar', '526172211a0700'), // RAR 4
  magic('lz4', '04224d18'),
  magic('lz4', '02214c18'), // legacy frame
  magic('lzip', '4c5a4950'),
  magic('compress', '1f9d'),
  magic('cpio', '303730373031'),
  magic('cpio', '303730373032'),
  magic('tar', '7573746172', 257), // "ustar"
  magic('elf', '7f454c46'),
  magic('pdf', '255044462d'),
  magic('png', '89504e470d0a1a0a'),
  magic('jpeg', 'ffd8ff'),
  magic('script', '2321'), // "#!"
  magic('pe', '4d5a'), // "MZ"
];

/** The format named by the magic bytes at the start of `head`, or null. */
export function detectFormat(head: Uint8Array): string | null {
  for (const m of MAGICS) {
    if (head.length < m.offset + m.bytes.length) continue;
    if (m.bytes.every((b, i) => head[m.offset + i] === b)) return m.format;
  }
  // lzma-alone: properties byte 0x5d then a little-endian dictionary size whose low bytes are 0.
  if (head.length >= 13 && head[0] === 0x5d && head[1] === 0 && head[2] === 0) return 'lzma';
  // zlib stream header (default/best/fast levels): what python's zlib.compress writes.
  if (head.length >= 2 && head[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(head[1]!)) return 'zlib';
  return null;
}

/** Whether a format is a standard compression or archive container. */
export function isArchiveFormat(format: string | null): boolean {
  return format !== null && ARCHIVE_FORMATS.has(format);
}

/** Incremental byte histogram, sha256, head and text of the bytes read; shared by every reader. */
export class ContentAccumulator {
  readonly counts = new Float64Array(256);
  readonly hash = createHash('sha256');
  /** Bytes seen so far (the whole file, or the sample of a big one). */
  bytes = 0;
  head: Buffer = Buffer.alloc(0);
  text: Buffer[] = [];

  add(chunk: Uint8Array): void {
    const counts = this.counts;
    for (let i = 0; i < chunk.length; i++) counts[chunk[i]!]!++;
    this.hash.update(chunk);
    if (this.head.length < HEAD) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD - this.head.length)]);
    if (this.bytes < MAX_TEXT_BYTES) this.text.push(Buffer.from(chunk.subarray(0, MAX_TEXT_BYTES - this.bytes)));
    this.bytes += chunk.length;
  }

  /**
   * The measurements. `size` is the file's size from fstat when only a sample was read (`sampled` says so):
   * entropy then comes from the sample, format from the first block, and there is no sha256 of the whole.
   */
  result(size = this.bytes, sampled?: string): ContentFacts {
    const format = detectFormat(this.head);
    const out: ContentFacts = {
      size,
      entropy: shannonEntropy(this.counts, this.bytes),
      format,
      header: this.head.subarray(0, 16).toString('hex'),
      sha256: sampled === undefined ? this.hash.digest('hex') : null,
    };
    if (sampled !== undefined) out.sampled = sampled;
    else if (this.bytes <= MAX_TEXT_BYTES) {
      const body = Buffer.concat(this.text);
      if (format === 'script' || looksPrintable(body)) out.text = body.toString('utf8');
    }
    return out;
  }
}

export type ContentFacts = Omit<FileArtifact, 'time' | 'path' | 'mode' | 'ownerUid'>;

/** Shannon entropy in bits per byte from a byte histogram. */
export function shannonEntropy(counts: ArrayLike<number>, total: number): number {
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const p = c / total;
    h -= p * Math.log2(p);
  }
  return h;
}

/** At least 95% printable ASCII/whitespace or UTF-8 continuation bytes, and no NUL. */
function looksPrintable(body: Buffer): boolean {
  if (body.length === 0) return false;
  let printable = 0;
  for (const b of body) {
    if (b === 0) return false;
    if ((b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13 || b >= 0x80) printable++;
  }
  return printable / body.length >= 0.95;
}

export interface AnalyzeOptions {
  /** Path to record in the artifact (the path the process saw). */
  displayPath?: string;
  host?: string;
  /** Clock for the artifact's `time`; defaults to now. */
  time?: Date;
}

/** Analyse bytes in memory. */
export function analyzeContent(input: Uint8Array, options: AnalyzeOptions = {}): FileArtifact {
  const acc = new ContentAccumulator();
  acc.add(input);
  return artifactOf(acc.result(), options.displayPath ?? '', null, null, options);
}

/** Analyse content that arrives in chunks, e.g. a file streamed from another host. */
export function contentAnalyzer(options: AnalyzeOptions = {}): {
  add(chunk: Uint8Array): void;
  /** `size` and `sampled`: the file's real size when the chunks were only a sample of it. */
  finish(mode: string | null, ownerUid: number | null, size?: number, sampled?: string): FileArtifact;
} {
  const acc = new ContentAccumulator();
  return {
    add: (chunk) => acc.add(chunk),
    finish: (mode, ownerUid, size, sampled) => artifactOf(acc.result(size, sampled), options.displayPath ?? '', mode, ownerUid, options),
  };
}

/** An artifact for a file whose content was not read, saying why (a symlink on the way, not a regular file...). */
export function unreadArtifact(filePath: string, unread: string, options: AnalyzeOptions & { size?: number; mode?: string | null; ownerUid?: number | null } = {}): FileArtifact {
  const facts: ContentFacts = { size: options.size ?? 0, entropy: 0, format: null, header: '', sha256: null };
  const artifact = artifactOf(facts, filePath, options.mode ?? null, options.ownerUid ?? null, options);
  artifact.unread = unread;
  return artifact;
}

export function artifactOf(facts: ContentFacts, filePath: string, mode: string | null, ownerUid: number | null, options: AnalyzeOptions): FileArtifact {
  const artifact: FileArtifact = {
    time: (options.time ?? new Date()).toISOString(),
    path: filePath,
    ...facts,
    mode,
    ownerUid,
  };
  if (options.host !== undefined) artifact.host = options.host;
  // Keep `text` last so JSON dumps stay readable.
  if (artifact.text !== undefined) {
    const { text } = artifact;
    delete artifact.text;
    artifact.text = text;
  }
  return artifact;
}

/** Where `filePath` (as a process saw it) lives under `root`; `..` cannot climb above the root. */
export function pathUnderRoot(filePath: string, root = '/'): string {
  const normalized = path.posix.resolve('/', filePath);
  return root === '/' ? normalized : path.join(root, normalized);
}
