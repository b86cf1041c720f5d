// Content analysis of a file: size, Shannon entropy, format from magic bytes, sha256, and the text of small scripts.
// Files are streamed in chunks so a 50 MB binary costs one buffer, not 50 MB.
import { createHash } from 'node:crypto';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import type { FileArtifact } from './types.js';
import { FORMAT_HEAD_BYTES, detectFormat } from './format.js';

const CHUNK = 1 << 20;
const HEAD = FORMAT_HEAD_BYTES;
/** Scripts bigger than this are not kept as text. */
export const MAX_TEXT_BYTES = 64 * 1024;

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

  async result(): Promise<Omit<FileArtifact, 'time' | 'path' | 'mode' | 'ownerUid'>> {
    const format = await detectFormat(this.head);
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
  finish(mode: string | null, ownerUid: number | null): Promise<FileArtifact>;
} {
  const acc = new ContentAccumulator();
  return {
    add: (chunk) => acc.add(chunk),
    finish: (mode, ownerUid) => finish(acc, options.displayPath ?? '', mode, ownerUid, options),
  };
}

async function finish(
  acc: ContentAccumulator,
  filePath: string,
  mode: string | null,
  ownerUid: number | null,
  options: AnalyzeOptions,
): Promise<FileArtifact> {
  const artifact: FileArtifact = {
    time: (options.time ?? new Date()).toISOString(),
    path: filePath,
    ...(await acc.result()),
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
