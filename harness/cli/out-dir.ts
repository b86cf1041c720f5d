// The run's output folder, checked before anything starts: a run whose reports cannot be written,
// or would mix with a previous run's files (which `purple replay --run` would then replay too),
// is refused as a usage error naming the path.
import { accessSync, constants, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './command.js';

/** Kernel file systems: files there are not files, and writing reports into them never ends well. */
const PSEUDO_ROOTS = ['/proc', '/sys'];

/**
 * Throws a UsageError when `dir` cannot hold this run's reports: inside /proc or /sys, not a
 * directory, not writable, or not empty (unless `force`, and then only a folder safe to empty).
 */
export function checkOutDir(dir: string, force: boolean): void {
  const resolved = path.resolve(dir);
  const real = realPathOf(resolved);
  const pseudo = PSEUDO_ROOTS.find((root) => real === root || real.startsWith(root + '/'));
  if (pseudo) throw new UsageError(`--out ${dir}: ${real} is inside ${pseudo}, a kernel file system: choose a folder on a real disk`);
  const existing = nearestExisting(resolved);
  const stat = statSync(existing);
  if (!stat.isDirectory()) {
    throw new UsageError(`--out ${dir}: ${existing} is not a directory`);
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new UsageError(`--out ${dir}: ${existing} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (existing !== resolved) return; // created fresh for this run
  const entries = readdirSync(resolved);
  if (!entries.length) return;
  if (!force) {
    throw new UsageError(
      `--out ${dir} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, e.g. ${entries[0]}): a previous run's files would mix ` +
        "with this run's, and purple replay --run would replay them too; choose another folder, or add --force to empty it first",
    );
  }
  const why = unsafeToEmpty(real);
  if (why) throw new UsageError(`--out ${dir} --force: will not empty ${real}: ${why}; choose a folder of its own for the reports`);
}

/** Removes everything inside `dir` (call after checkOutDir with force). */
export function emptyOutDir(dir: string): void {
  const resolved = path.resolve(dir);
  let entries: string[];
  try {
    entries = readdirSync(resolved);
  } catch {
    return; // not there yet
  }
  for (const entry of entries) rmSync(path.join(resolved, entry), { recursive: true, force: true });
}

/** Why emptying this folder would destroy more than old reports, if it would. */
function unsafeToEmpty(real: string): string | undefined {
  if (real.split('/').filter(Boolean).length <= 1) return 'it is the root or a top-level folder';
  const within = (outer: string) => {
    const relative = path.relative(real, outer);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  };
  if (within(realPathOf(process.cwd()))) return 'it is the current folder or one of its parents';
  if (within(realPathOf(os.homedir()))) return 'it is the home folder or one of its parents';
  return undefined;
}

/** The real path of `p`'s nearest existing ancestor, with the rest of `p` appended (symlinks resolved). */
function realPathOf(p: string): string {
  const existing = nearestExisting(p);
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    real = existing;
  }
  return path.join(real, path.relative(existing, p));
}

function nearestExisting(p: string): string {
  let current = p;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}
