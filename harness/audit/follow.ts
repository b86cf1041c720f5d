// `tail -F` for audit.log: yields lines as they are appended, across rotation (the file is renamed and a
// new one created: the old one is read to its end first) and truncation (read again from the start).
// Polls with stat rather than fs.watch, which misses events on some filesystems and across renames.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter } from './stream.js';

export interface FollowOptions {
  signal?: AbortSignal;
  /** Read the existing content first (default: start at the current end, like tail -F -n 0). */
  fromStart?: boolean;
  /** Poll interval when idle, ms (default 100). */
  pollMs?: number;
}

const CHUNK = 1 << 16;

export async function* followLines(file: string, options: FollowOptions = {}): AsyncGenerator<string> {
  const { signal, fromStart = false, pollMs = 100 } = options;
  let handle: FileHandle | undefined;
  let ino = -1;
  let pos = 0;
  let splitter = new LineSplitter();
  const buf = Buffer.allocUnsafe(CHUNK);
  let first = true;

  const openCurrent = async (startAtEnd: boolean): Promise<boolean> => {
    try {
      const h = await open(file, 'r');
      const st = await h.stat();
      handle = h;
      ino = st.ino;
      pos = startAtEnd ? st.size : 0;
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  };

  try {
    while (!signal?.aborted) {
      if (handle === undefined) {
        // A file that appears after we started is new: read it whole.
        const opened = await openCurrent(first && !fromStart);
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
        if (current !== undefined) continue;
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

/** Sleeps; false when aborted. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
