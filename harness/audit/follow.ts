// `tail -F` for audit.log: yields lines as they are appended, across rotation (the file is renamed and a
// new one created: the old one is read to its end first) and truncation (read again from the start).
// Polls with stat rather than fs.watch, which misses events on some filesystems and across renames.
// A busy host can rotate several times while one file is read (auditd's 8 MB files, a host rule logging every
// open): the files in between are read too, in order, by following the rename chain (audit.log -> .1 -> .2).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter } from './stream.js';

export interface FollowOptions {
  signal?: AbortSignal;
  /** Read the existing content first (default: start at the current end, like tail -F -n 0). */
  fromStart?: boolean;
  /** Poll interval when idle, ms (default 100). */
  pollMs?: number;
  /** Called when a rotated file was gone before it could be read (its lines are lost), with what happened. */
  onGap?: (message: string) => void;
}

/** How far down the rename chain (file.1, file.2...) to look for the file that was being read. */
const MAX_ROTATED = 99;

const CHUNK = 1 << 16;

export async function* followLines(file: string, options: FollowOptions = {}): AsyncGenerator<string> {
  const { signal, fromStart = false, pollMs = 100 } = options;
  let handle: FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  let splitter = new LineSplitter();
  const buf = Buffer.allocUnsafe(CHUNK);
  let first = true;

  /** Reads `path` from its end or its start; false when it is gone, or is no longer the file `expectedIno`. */
  const adopt = async (path: string, fromEnd: boolean, expectedIno?: number): Promise<boolean> => {
    const h = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!h) return false;
    const st = await h.stat();
    if (expectedIno !== undefined && st.ino !== expectedIno) {
      await h.close();
      return false;
    }
    [handle, ino, pos] = [h, st.ino, fromEnd ? st.size : 0];
    return true;
  };

  /** Opens the file written after the finished one (inode `done`) to read it from its start. */
  const openSuccessor = async (done: number): Promise<void> => {
    // A rename between finding the file and opening it shifts the chain: find it again. Nothing to open yet:
    // the next loop opens the current file whole.
    for (let attempt = 0; attempt < 5; attempt++) {
      const next = await successor(file, done, options.onGap);
      if (!next || (await adopt(next.path, false, next.ino))) return;
    }
  };

  try {
    while (!signal?.aborted) {
      if (handle === undefined) {
        // A file that appears after we started is new: read it whole.
        const opened = await adopt(file, first && !fromStart);
        first = false;
        if (!opened) {
          if (!(await pause(pollMs, signal))) return;
          continue;
        }
      }
      const { bytesRead } = await handle!.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        for (const line of splitter.write(buf.subarray(0, bytesRead))) yield line;
        continue;
      }
      // At the end of what we have: has the path been rotated or truncated?
      const current = await stat(file).catch(() => undefined);
      if (current === undefined || current.ino !== ino) {
        // Rotated (or removed): the old file is fully read; its last unterminated line ends here.
        for (const line of splitter.end()) yield line;
        splitter = new LineSplitter();
        await handle!.close();
        handle = undefined;
        if (current === undefined) continue;
        await openSuccessor(ino);
        continue;
      } else if (current.size < pos) {
        for (const line of splitter.end()) yield line;
        splitter = new LineSplitter();
        pos = 0;
        continue;
      }
      if (!(await pause(pollMs, signal))) return;
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * The file written after the one with inode `ino`, which was renamed away: when it is now `file.N`, that is
 * `file.(N-1)` (or `file` itself for N = 1). When it is nowhere in the chain (deleted as the oldest), resumes at the
 * oldest file left and reports the gap. Undefined when `file` itself does not exist (yet).
 */
async function successor(file: string, ino: number, onGap?: (message: string) => void): Promise<{ path: string; ino: number } | undefined> {
  const chain: { path: string; ino: number }[] = [];
  for (let n = 0; n <= MAX_ROTATED; n++) {
    const path = n === 0 ? file : `${file}.${n}`;
    const st = await stat(path).catch(() => undefined);
    if (!st) {
      if (n === 0) continue;
      break;
    }
    if (st.ino === ino) return chain.at(-1);
    chain.push({ path, ino: st.ino });
  }
  if (chain.length > 1) onGap?.(`${file} rotated ${chain.length} times while purple read one file: a file removed before it was read is lost`);
  return chain.at(-1);
}

/** Sleeps; false when aborted. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
