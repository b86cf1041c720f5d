// Reading a hostile target's files: every file is opened inside the target's root (a container's
// /proc/<pid>/root, a `replay --root` folder) with no symlink followed in any component, never opened for
// reading unless it is a regular file on a real file system, and read only in part: size from fstat,
// entropy and magic from a bounded sample, within a deadline.
//
// Node has no openat(2), so the walk goes one component at a time: each directory is held as an O_PATH fd,
// and the next component is opened as /proc/self/fd/<dir fd>/<name> with O_NOFOLLOW. The fd's magic link is
// the only link the kernel follows (to exactly the directory we hold); a symlink planted anywhere on the way,
// even one swapped in during the walk, makes that open fail instead of leading out of the root. No `..` is ever
// looked up (paths are normalized first), so a directory renamed away mid-walk cannot lead upwards either.
// The last component is opened with O_PATH too (which never runs a device's open or blocks on a FIFO), checked
// with fstat and statfs, and only then reopened for reading, O_NONBLOCK, through its own fd.
import { constants } from 'node:fs';
import { open, statfs, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileArtifact } from './types.js';
import { ContentAccumulator, artifactOf, unreadArtifact, type AnalyzeOptions } from './content.js';

/** O_PATH (Linux, the generic value used by x86-64 and arm64; Node's fs.constants lacks it). */
const O_PATH = 0o10000000;
const { O_RDONLY, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY } = constants;

/** How much of one file is read. */
export interface ReadLimits {
  /** Files up to this size are read whole; bigger ones are sampled in `blocks` blocks of `blockBytes`. */
  fullBytes: number;
  blockBytes: number;
  blocks: number;
  /** Time allowed for one file. */
  timeoutMs: number;
}

export const READ_LIMITS: ReadLimits = { fullBytes: 16 << 20, blockBytes: 1 << 20, blocks: 16, timeoutMs: 10_000 };

/**
 * Pseudo and remote file systems whose "regular" files are not content a step wrote and may never end or block
 * (procfs, sysfs, FUSE...): refused. The magic numbers are statfs's f_type; the names are mountinfo's.
 */
export const REFUSED_FILESYSTEMS: readonly { name: string; magic: number }[] = [
  { name: 'proc', magic: 0x9fa0 },
  { name: 'sysfs', magic: 0x62656572 },
  { name: 'debugfs', magic: 0x64626720 },
  { name: 'tracefs', magic: 0x74726163 },
  { name: 'securityfs', magic: 0x73636673 },
  { name: 'cgroup', magic: 0x27e0eb },
  { name: 'cgroup2', magic: 0x63677270 },
  { name: 'bpf', magic: 0xcafe4a11 },
  { name: 'configfs', magic: 0x62656570 },
  { name: 'efivarfs', magic: 0xde5e81e4 },
  { name: 'pstore', magic: 0x6165676c },
  { name: 'fuse', magic: 0x65735546 },
  { name: 'fusectl', magic: 0x65735543 },
  { name: 'nfs', magic: 0x6969 },
  { name: 'cifs', magic: 0xff534d42 },
  { name: 'smb3', magic: 0xfe534d42 },
];

/** The byte ranges read of a file of `size` bytes: all of it when small, else evenly spread blocks (the first at 0). */
export function samplePlan(size: number, limits: ReadLimits = READ_LIMITS): [offset: number, length: number][] {
  const plan: [number, number][] = [];
  if (size <= limits.fullBytes) {
    for (let offset = 0; offset < size; offset += limits.blockBytes) plan.push([offset, Math.min(limits.blockBytes, size - offset)]);
    return plan;
  }
  for (let i = 0; i < limits.blocks; i++) plan.push([Math.floor((i * (size - limits.blockBytes)) / (limits.blocks - 1)), limits.blockBytes]);
  return plan;
}

/** What "sampled" says about a file bigger than the limit. */
export function sampledNote(size: number, limits: ReadLimits = READ_LIMITS): string {
  return `${size} bytes is more than the ${limits.fullBytes}-byte read limit: entropy and format from ${limits.blocks} blocks of ${limits.blockBytes} bytes`;
}

export interface SafeReadOptions extends Omit<AnalyzeOptions, 'displayPath'> {
  limits?: ReadLimits;
  /** The scenario's deadline: a read still going when it aborts is cut, and files not started are not read. */
  signal?: AbortSignal;
}

class Refused extends Error {}

/**
 * Reads each of `paths` (as the target's processes saw them) inside `root`. The result maps a path to its artifact,
 * which says why when the content was refused or cut (`unread`, `sampled`); a path that does not exist (a temp file
 * the step deleted) is left out.
 */
export async function readFilesUnderRoot(root: string, paths: string[], options: SafeReadOptions = {}): Promise<Map<string, FileArtifact>> {
  const found = new Map<string, FileArtifact>();
  for (const p of paths) {
    const artifact = await readFileUnderRoot(root, p, options);
    if (artifact) found.set(p, artifact);
  }
  return found;
}

/** One file; null when it does not exist. */
export async function readFileUnderRoot(root: string, filePath: string, options: SafeReadOptions = {}): Promise<FileArtifact | null> {
  const shown = path.posix.resolve('/', filePath);
  const analyze: AnalyzeOptions = { ...options, displayPath: shown };
  if (options.signal?.aborted) return unreadArtifact(shown, 'not read: the scenario deadline had passed', analyze);
  let target: FileHandle | null;
  try {
    target = await openInRoot(root, shown);
  } catch (err) {
    if (err instanceof Refused) return unreadArtifact(shown, err.message, analyze);
    throw err;
  }
  if (!target) return null;
  try {
    return await readOpened(target, shown, analyze, options.limits ?? READ_LIMITS, options.signal);
  } finally {
    void target.close().catch(() => undefined);
  }
}

/** One file under `root` (default "/"), for callers that want content or an error: throws when gone or refused. */
export async function analyzeFile(filePath: string, options: SafeReadOptions & { root?: string } = {}): Promise<FileArtifact> {
  const root = options.root ?? '/';
  const artifact = await readFileUnderRoot(root, filePath, options);
  if (!artifact) throw new Error(`${filePath}: ENOENT: no such file under ${root}`);
  if (artifact.unread) throw new Error(`${filePath}: ${artifact.unread}`);
  return artifact;
}

/** Opens `filePath` under `root` as an O_PATH fd, no symlink followed; null when a component does not exist. */
async function openInRoot(root: string, filePath: string): Promise<FileHandle | null> {
  const names = filePath.split('/').filter(Boolean);
  // The root itself is trusted: the operator's --root, or the container root's magic link.
  let dir = await open(root, O_PATH | O_DIRECTORY);
  let walked = '';
  try {
    for (const [i, name] of names.entries()) {
      const last = i === names.length - 1;
      walked += `/${name}`;
      let next: FileHandle;
      try {
        next = await open(`/proc/self/fd/${dir.fd}/${name}`, O_PATH | O_NOFOLLOW | (last ? 0 : O_DIRECTORY));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return null;
        if (code === 'ENOTDIR' || code === 'ELOOP') throw new Refused(`not read: ${walked} ${await describe(dir, name)}`);
        throw new Refused(`not read: ${walked}: ${code ?? (err as Error).message}`);
      }
      await dir.close();
      dir = next;
    }
    const handle = dir;
    dir = null as unknown as FileHandle;
    return handle;
  } finally {
    await dir?.close().catch(() => undefined);
  }
}

/** What a component is that cannot be walked through (opened as the entry itself). */
async function describe(dir: FileHandle, name: string): Promise<string> {
  let entry: FileHandle | undefined;
  try {
    entry = await open(`/proc/self/fd/${dir.fd}/${name}`, O_PATH | O_NOFOLLOW);
    const st = await entry.stat();
    return st.isSymbolicLink() ? 'is a symlink (not followed)' : `is ${kindOf(st)}, not a directory`;
  } catch (err) {
    return `cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  } finally {
    await entry?.close().catch(() => undefined);
  }
}

function kindOf(st: { isSymbolicLink(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isSymbolicLink()) return 'a symlink (not followed)';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** fstat and statfs on the O_PATH fd, then the bounded read through a fresh O_NONBLOCK fd of the same inode. */
async function readOpened(target: FileHandle, shown: string, options: AnalyzeOptions, limits: ReadLimits, signal?: AbortSignal): Promise<FileArtifact> {
  const st = await target.stat();
  const mode = '0' + st.mode.toString(8);
  const meta = { ...options, mode, ownerUid: st.uid };
  if (!st.isFile()) return unreadArtifact(shown, `not read: ${kindOf(st)}`, meta);
  const fsType = (await statfs(`/proc/self/fd/${target.fd}`)).type;
  const refused = REFUSED_FILESYSTEMS.find((f) => f.magic === fsType);
  if (refused) return unreadArtifact(shown, `not read: on a ${refused.name} file system`, { ...meta, size: st.size });
  const handle = await open(`/proc/self/fd/${target.fd}`, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  try {
    return await readBounded(handle, st.size, shown, meta, limits, signal);
  } finally {
    // Not awaited: after an abandoned read, close waits for that read.
    void handle.close().catch(() => undefined);
  }
}

/** Reads `size` bytes' sample plan from an open regular file, giving up at the deadline or the per-file timeout. */
export async function readBounded(
  handle: FileHandle,
  size: number,
  shown: string,
  meta: AnalyzeOptions & { mode: string | null; ownerUid: number | null },
  limits: ReadLimits,
  signal?: AbortSignal,
): Promise<FileArtifact> {
  const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)]) : AbortSignal.timeout(limits.timeoutMs);
  const plan = samplePlan(size, limits);
  const acc = new ContentAccumulator();
  const buf = Buffer.allocUnsafe(limits.blockBytes);
  // A read that never returns (a hung file system) is abandoned at the deadline rather than awaited.
  const aborted = new Promise<null>((resolve) => deadline.addEventListener('abort', () => resolve(null), { once: true }));
  const cut = (why: string) => unreadArtifact(shown, `cut: ${why} after ${acc.bytes} of ${size} bytes`, { ...meta, size });
  for (const [offset, length] of plan) {
    if (deadline.aborted) return cut(signal?.aborted ? 'the scenario deadline passed' : `the ${limits.timeoutMs} ms read limit passed`);
    const read = await Promise.race([handle.read(buf, 0, length, offset).then((r) => r.bytesRead), aborted]);
    if (read === null) return cut(signal?.aborted ? 'the scenario deadline passed' : `the ${limits.timeoutMs} ms read limit passed`);
    acc.add(buf.subarray(0, read));
    if (read < length) break; // shrank since fstat
  }
  const sampled = size > limits.fullBytes ? sampledNote(size, limits) : undefined;
  return artifactOf(await acc.result(size, sampled), shown, meta.mode, meta.ownerUid, meta);
}

/** A file of the operator's own (not a target's), by a path that may go through symlinks: bounded the same way. */
export async function analyzeLocalFile(file: string, options: SafeReadOptions & { displayPath?: string } = {}): Promise<FileArtifact> {
  const handle = await open(file, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    const meta = { ...options, mode: '0' + st.mode.toString(8), ownerUid: st.uid };
    return await readBounded(handle, st.size, options.displayPath ?? file, meta, options.limits ?? READ_LIMITS, options.signal);
  } finally {
    await handle.close();
  }
}
