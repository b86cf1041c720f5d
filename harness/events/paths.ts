// Path matching for thresholds such as ArchivePaths and ScriptAllowlist.
import path from 'node:path';

/** A glob as a RegExp: `*` matches within one path segment, `**` across segments, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Directories (globs allowed): a path matches when it is inside one of them, at any depth. */
export class DirectorySet {
  private readonly patterns: RegExp[];
  constructor(readonly dirs: readonly string[]) {
    this.patterns = dirs.map((d) => {
      const trimmed = d.length > 1 ? d.replace(/\/+$/, '') : d;
      const base = globToRegExp(trimmed).source.slice(1, -1);
      return new RegExp(trimmed === '/' ? '^/' : `^${base}(?:/.*)?$`);
    });
  }

  /** The configured directory containing `file`, or null. */
  containing(file: string): string | null {
    const i = this.patterns.findIndex((p) => p.test(file));
    return i < 0 ? null : this.dirs[i]!;
  }
}

/** Names or paths (globs allowed): an entry with a `/` matches a full path, one without matches a base name. */
export class NameSet {
  private readonly full: RegExp[] = [];
  private readonly base: RegExp[] = [];
  constructor(entries: readonly string[]) {
    for (const e of entries) (e.includes('/') ? this.full : this.base).push(globToRegExp(e));
  }

  has(fileOrName: string | null | undefined): boolean {
    if (!fileOrName) return false;
    const name = path.posix.basename(fileOrName);
    return this.full.some((r) => r.test(fileOrName)) || this.base.some((r) => r.test(name));
  }
}

/** Absolute, normalised form of `name` as seen from `cwd` (unchanged when already absolute). */
export function absolutePath(name: string, cwd: string | null): string | null {
  if (name.startsWith('/')) return path.posix.normalize(name);
  if (!cwd || !cwd.startsWith('/')) return null;
  return path.posix.join(cwd, name);
}
