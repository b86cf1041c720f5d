// Content analysis of a file: size, Shannon entropy, format from magic bytes, sha256, and the text of small scripts.
// Files are streamed in chunks so a 50 MB binary costs one buffer, not 50 MB.
import { createHash } from 'node:crypto';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import type { FileArtifact } from './types.js';

const CHUNK = 1 << 20;
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

/** Incremental size, byte histogram, sha256 and head; shared by the buffer and the file paths. */
class ContentAccumulator {
  readonly counts = new Float64Array(256);
  readonly hash = createHash('sha256');
  size = 0;
  head: Buffer = Buffer.alloc(0);
  text: Buffer[] = [];

  add(chunk: Uint8Array): void {
    const counts = this.counts;
    for (let i = 0; i < chunk.length; i++) counts[chunk[i]!]!++;
    this.hash.update(chunk);
    if (this.head.length < HEAD) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD - this.head.length)]);
    if (this.size < MAX_TEXT_BYTES) this.text.push(Buffer.from(chunk.subarray(0, MAX_TEXT_BYTES - this.size)));
    this.size += chunk.length;
  }

  result(): Omit<FileArtifact, 'time' | 'path' | 'mode' | 'ownerUid'> {
    const format = detectFormat(this.head);
    const out: Omit<FileArtifact, 'time' | 'path' | 'mode' | 'ownerUid'> = {
      size: this.size,
      entropy: shannonEntropy(this.counts, this.size),
      format,
      header: this.head.subarray(0, 16).toString('hex'),
      sha256: this.hash.digest('hex'),
    };
    if (this.size <= MAX_TEXT_BYTES) {
      const body = Buffer.concat(this.text);
      if (format === 'script' || looksPrintable(body)) out.text = body.toString('utf8');
    }
    return out;
  }
}

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
  /** Path to record in the artifact (the path the process saw); defaults to the path read. */
  displayPath?: string;
  host?: string;
  /** Clock for the artifact's `time`; defaults to now. */
  time?: Date;
}

/** Analyse bytes in memory, or a file by path (streamed). */
export async function analyzeContent(input: Uint8Array | string, options: AnalyzeOptions = {}): Promise<FileArtifact> {
  if (typeof input !== 'string') {
    const acc = new ContentAccumulator();
    acc.add(input);
    return finish(acc, options.displayPath ?? '', null, null, options);
  }
  const handle = await open(input, 'r');
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${input} is not a regular file`);
    const acc = new ContentAccumulator();
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      acc.add(buf.subarray(0, bytesRead));
    }
    return finish(acc, options.displayPath ?? input, '0' + st.mode.toString(8), st.uid, options);
  } finally {
    await handle.close();
  }
}

/** Analyse content that arrives in chunks, e.g. a file streamed from another host. */
export function contentAnalyzer(options: AnalyzeOptions = {}): {
  add(chunk: Uint8Array): void;
  finish(mode: string | null, ownerUid: number | null): FileArtifact;
} {
  const acc = new ContentAccumulator();
  return {
    add: (chunk) => acc.add(chunk),
    finish: (mode, ownerUid) => finish(acc, options.displayPath ?? '', mode, ownerUid, options),
  };
}

function finish(
  acc: ContentAccumulator,
  filePath: string,
  mode: string | null,
  ownerUid: number | null,
  options: AnalyzeOptions,
): FileArtifact {
  const artifact: FileArtifact = {
    time: (options.time ?? new Date()).toISOString(),
    path: filePath,
    ...acc.result(),
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

/**
 * Analyse a file a process named, looked up under an alternate root (`--root DIR`, or `/proc/<pid>/root` for a
 * container). The artifact keeps the path as the process saw it. Throws (ENOENT...) when the file cannot be read.
 */
export async function analyzeFile(
  filePath: string,
  options: { root?: string; host?: string; time?: Date } = {},
): Promise<FileArtifact> {
  const real = pathUnderRoot(filePath, options.root ?? '/');
  // lstat: a symlink planted under a container's root could point at a file of the host itself.
  const st = await lstat(real);
  if (!st.isFile()) throw new Error(`${real} is not a regular file${st.isSymbolicLink() ? ' (a symlink, not followed)' : ''}`);
  const opts: AnalyzeOptions = { displayPath: path.posix.resolve('/', filePath) };
  if (options.host !== undefined) opts.host = options.host;
  if (options.time !== undefined) opts.time = options.time;
  return analyzeContent(real, opts);
}
