import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs fn while holding an exclusive lock file (created with O_EXCL, holding our pid).
 * A lock left by a dead process is taken over; a live holder is waited for.
 */
export async function withLockFile<T>(
  path: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (holderPid: number) => void } = {},
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    let lockFile: { ino: number; mtimeMs: number };
    try {
      lockFile = statSync(path);
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // released between our open and read
    }
    const beingWritten = !Number.isInteger(holder) && Date.now() - lockFile.mtimeMs < 5_000;
    if (!beingWritten && (!Number.isInteger(holder) || !pidAlive(holder))) {
      // Stale: the holder died. Remove it only if it is still the same file we judged stale.
      try {
        if (statSync(path).ino === lockFile.ino) unlinkSync(path);
      } catch {
        /* someone else removed it first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path} held by pid ${holder}`);
    if (!told) {
      options.onWait?.(holder);
      told = true;
    }
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
}
