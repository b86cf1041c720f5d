// OpenSSH known_hosts: plain and hashed (|1|salt|hash) host names, [host]:port for other ports,
// wildcards and negations, @revoked lines. Purple never accepts a host key it cannot find here.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownHostEntry {
  /** 1-based line in the file. */
  line: number;
  marker: '@revoked' | '@cert-authority' | null;
  patterns: string[];
  keyType: string;
  /** The raw key blob (what the server presents). */
  key: Buffer;
}

export interface KnownHosts {
  file: string;
  entries: KnownHostEntry[];
  /** Lines that could not be read, with why (reported, never fatal: OpenSSH skips them too). */
  skipped: { line: number; reason: string }[];
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'mismatch'; entries: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const skipped: KnownHosts['skipped'] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m !== '@revoked' && m !== '@cert-authority') return skipped.push({ line: index + 1, reason: `unknown marker ${m}` });
      marker = m;
    }
    const [hosts, keyType, blob] = fields;
    if (!hosts || !keyType || !blob) return skipped.push({ line: index + 1, reason: 'expected "hosts keytype key"' });
    const key = Buffer.from(blob, 'base64');
    if (key.length === 0 || key.toString('base64').replace(/=+$/, '') !== blob.replace(/=+$/, '')) {
      return skipped.push({ line: index + 1, reason: 'the key is not valid base64' });
    }
    entries.push({ line: index + 1, marker, patterns: hosts.split(','), keyType, key });
  });
  return { file, entries, skipped };
}

export function readKnownHosts(file: string): KnownHosts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, entries: [], skipped: [] };
    throw new Error(`cannot read known_hosts ${file}: ${(err as Error).message}`);
  }
  return parseKnownHosts(text, file);
}

/** The name known_hosts stores for a host: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does one known_hosts pattern list name `name`? Negated patterns (`!pat`) veto. */
export function patternsMatch(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (!matchOne(p, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function matchOne(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** Looks the presented key up for host:port. */
export function verifyHostKey(known: KnownHosts, host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const forHost = known.entries.filter((e) => e.marker !== '@cert-authority' && patternsMatch(e.patterns, name));
  const revoked = known.entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === null);
  const match = plain.find((e) => e.key.equals(key));
  if (match) return { status: 'match', entry: match };
  return plain.length ? { status: 'mismatch', entries: plain } : { status: 'unknown' };
}

/** Key types known for host:port, as ssh2 host key algorithm names (so the server offers one we can check). */
export function knownKeyAlgorithms(known: KnownHosts, host: string, port: number): string[] {
  const name = knownHostName(host, port);
  const types = new Set(known.entries.filter((e) => e.marker === null && patternsMatch(e.patterns, name)).map((e) => e.keyType));
  return [...types].flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:base64-without-padding`. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a key blob (its first SSH string). */
export function blobKeyType(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** Why a key was refused and what to do, for a human. */
export function describeRefusal(verdict: HostKeyVerdict, known: KnownHosts, host: string, port: number, key: Buffer): string {
  const name = knownHostName(host, port);
  const fp = `${blobKeyType(key)} ${fingerprint(key)}`;
  const scan = `ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${host}`;
  switch (verdict.status) {
    case 'unknown':
      return (
        `host key of ${name} is not in ${known.file} (the server presented ${fp}); ` +
        `check that fingerprint out of band, then add it: ${scan} >> ${known.file} (or pass --known-hosts FILE)`
      );
    case 'mismatch':
      return (
        `HOST KEY MISMATCH for ${name}: the server presented ${fp}, but ${known.file} line(s) ` +
        `${verdict.entries.map((e) => `${e.line} (${e.keyType} ${fingerprint(e.key)})`).join(', ')} say otherwise. ` +
        `Someone may be intercepting the connection, or the host was reinstalled: verify out of band, then replace the line (ssh-keygen -R '${name}' -f ${known.file})`
      );
    case 'revoked':
      return `host key ${fp} of ${name} is marked @revoked in ${known.file} line ${verdict.entry.line}: refusing to connect`;
    case 'match':
      return `host key of ${name} matches ${known.file} line ${verdict.entry.line}`;
  }
}
