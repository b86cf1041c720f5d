// User names or uids (the `standard_users` setting) as a set of uids.
import { readFileSync } from 'node:fs';

export interface UserSet {
  uids: Set<number>;
  /** Names that no passwd entry resolved (they can never match). */
  unresolved: string[];
}

let defaultPasswdFile = '/etc/passwd';

/** Resolve names against another host's passwd (e.g. `<replay root>/etc/passwd`). */
export function usePasswdFile(file: string): void {
  defaultPasswdFile = file;
}

/** Resolve names against passwd text already read (safely, from a replay root); `label` names it. */
export function usePasswdText(label: string, text: string): void {
  defaultPasswdFile = label;
  passwdCache = { file: label, byName: parsePasswd(text) };
}

let passwdCache: { file: string; byName: Map<string, number> } | undefined;

function parsePasswd(text: string): Map<string, number> {
  const byName = new Map<string, number>([['root', 0]]);
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid)) byName.set(name, Number(uid));
  }
  return byName;
}

function passwd(file: string): Map<string, number> {
  if (passwdCache?.file === file) return passwdCache.byName;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No passwd file (a bare replay root): only numeric uids and root resolve.
  }
  passwdCache = { file, byName: parsePasswd(text) };
  return passwdCache.byName;
}

export function resolveUsers(entries: readonly (string | number)[], passwdFile = defaultPasswdFile): UserSet {
  const uids = new Set<number>();
  const unresolved: string[] = [];
  for (const entry of entries) {
    const text = String(entry).trim();
    if (/^\d+$/.test(text)) uids.add(Number(text));
    else {
      const uid = passwd(passwdFile).get(text);
      if (uid === undefined) unresolved.push(text);
      else uids.add(uid);
    }
  }
  return { uids, unresolved };
}
