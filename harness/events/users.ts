// The accounts of the machine the events came from: its passwd and group, read from the target (live) or from the
// copy saved with the run (replay). Never the harness machine's own /etc/passwd, and never module-global: whoever
// interprets events holds the directory of the host they came from.

export interface UserDirectory {
  /** Name of a uid, or null when the target has no such account. */
  userName(uid: number | null): string | null;
  groupName(gid: number | null): string | null;
  /** Uid of a user name, or undefined. */
  uidOf(name: string): number | undefined;
  /** Every user name -> uid (for messages that list the known users). */
  users(): Record<string, number>;
}

/** The target's passwd and group files as text (either may be empty when unreadable). */
export interface AccountFiles {
  passwd: string;
  group: string;
}

function parseTable(text: string): Map<string, number> {
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !byName.has(name)) byName.set(name, Number(id));
  }
  return byName;
}

/**
 * A directory from the target's passwd and group text; `extra` adds names the target knows better (e.g. scenario
 * users mapped to host accounts). root is uid 0 everywhere, so it resolves even without a passwd.
 */
export function userDirectory(files: Partial<AccountFiles> = {}, extra: Record<string, number> = {}): UserDirectory {
  const byName = new Map<string, number>([['root', 0], ...parseTable(files.passwd ?? ''), ...Object.entries(extra)]);
  const byUid = new Map<number, string>();
  for (const [name, uid] of parseTable(files.passwd ?? '')) if (!byUid.has(uid)) byUid.set(uid, name);
  if (!byUid.has(0)) byUid.set(0, 'root');
  const groups = new Map<number, string>();
  for (const [name, gid] of parseTable(files.group ?? '')) if (!groups.has(gid)) groups.set(gid, name);
  return {
    userName: (uid) => (uid === null ? null : byUid.get(uid) ?? null),
    groupName: (gid) => (gid === null ? null : groups.get(gid) ?? null),
    uidOf: (name) => byName.get(name),
    users: () => Object.fromEntries(byName),
  };
}

/** A set of users named by name or uid (a `standard_users` style setting), resolved against a directory. */
export interface UserSet {
  uids: Set<number>;
  /** Names the directory does not know (they can never match). */
  unresolved: string[];
}

export function resolveUsers(entries: readonly (string | number)[], directory: UserDirectory): UserSet {
  const uids = new Set<number>();
  const unresolved: string[] = [];
  for (const entry of entries) {
    const text = String(entry).trim();
    if (/^\d+$/.test(text)) uids.add(Number(text));
    else {
      const uid = directory.uidOf(text);
      if (uid === undefined) unresolved.push(text);
      else uids.add(uid);
    }
  }
  return { uids, unresolved };
}
