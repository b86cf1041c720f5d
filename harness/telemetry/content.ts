// Content analysis of bytes read from a file: Shannon entropy, format (harness/telemetry/format.ts), sha256, and the text of small
// scripts. How a target's file is opened and which bytes of it are read is harness/telemetry/safe-read.ts.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FileArtifact } from './types.js';
import { FORMAT_HEAD_BYTES, detectFormat } from './format.js';

const HEAD = FORMAT_HEAD_BYTES;
/** Scripts bigger than this are not kept as text. */
export const MAX_TEXT_BYTES = 64 * 1024;

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
  async result(size = this.bytes, sampled?: string): Promise<ContentFacts> {
    const format = await detectFormat(this.head);
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
export async function analyzeContent(input: Uint8Array | string, options: AnalyzeOptions = {}): Promise<FileArtifact> {
  const acc = new ContentAccumulator();
  acc.add(typeof input === 'string' ? Buffer.from(input) : input);
  return artifactOf(await acc.result(), options.displayPath ?? '', null, null, options);
}

/** Analyse content that arrives in chunks, e.g. a file streamed from another host. */
export function contentAnalyzer(options: AnalyzeOptions = {}): {
  add(chunk: Uint8Array): void;
  /** `size` and `sampled`: the file's real size when the chunks were only a sample of it. */
  finish(mode: string | null, ownerUid: number | null, size?: number, sampled?: string): Promise<FileArtifact>;
} {
  const acc = new ContentAccumulator();
  return {
    add: (chunk) => acc.add(chunk),
    finish: async (mode, ownerUid, size, sampled) => artifactOf(await acc.result(size, sampled), options.displayPath ?? '', mode, ownerUid, options),
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
