// A scenario on a plain Linux host over SSH, where any local user may be hostile: a private work dir
// /tmp/purple-<run>-<scenario>.<random> (root-owned, 0755: nobody else can create anything in it) holding the
// payloads and every path the scenario writes. Before a step, the folders its paths need are made for its user
// (claims): the parent folder of each {{workdir}} path the step names, owned by that user alone, its ancestors
// root's; a folder that exists already is never handed over. So a file one account drops and another runs lives
// where only its owner and root can change it. Root never acts through a path a non-root user can change: a
// root step naming such a path is refused. Steps run as their (mapped) users through a wrapper that reports its
// pid before the step starts; file content is read back by remote-read.ts from inside the work dir; the work dir
// is removed at the end by rm -rf as root (GNU rm never follows a symlink inside what it removes).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import type { Role } from '../../scenario/types.js';
import type { FileArtifact } from '../../telemetry/types.js';
import { readRemoteFiles } from './remote-read.js';
import type { AccountFiles } from '../../events/users.js';
import type { ScenarioTarget, StepRequest, StepResult } from '../../run/target.js';
import type { SshSession } from './session.js';

export interface HostContext {
  session: SshSession;
  /** Scenario user -> host user (--user-map); unmapped users keep their name. */
  userMap: Record<string, string>;
  /** Host user name -> uid, with the scenario's names of mapped users added. */
  uids: Record<string, number>;
}

/** Prints the step's pid, waits for the go-ahead (its pid is then an attribution root), runs the step. */
const WRAPPER = 'echo PURPLE_PID=$$; read _go; cd "$HOME" 2>/dev/null || cd /; exec "$@"';
const PID_LINE = /^PURPLE_PID=(\d+)\r?\n/;
const TAIL = 4096;

/** The work dir's name: `/tmp/purple-<run id>-<slug>.<16 random hex digits>`, unpredictable like mktemp -d's. */
export function workdirFor(runId: string, slug: string): string {
  return `/tmp/purple-${runId}-${slug}.${randomBytes(8).toString('hex')}`;
}

/**
 * Run as root: `$1` the work dir, then pairs of (user, folder relative to it). Walks each folder from the work dir:
 * a symlink, a non-directory or a folder not owned by root stops the walk (someone else's claim: nothing to do);
 * missing folders are created, root-owned 0755 on the way and the folder itself owned by the user, 0755.
 * Every check and mkdir happens in a folder only root can change, so nothing can be swapped in between.
 */
const CLAIM_SCRIPT = [
  'w=$1; shift',
  'while [ $# -ge 2 ]; do',
  '  u=$1; rest=$2; shift 2; cur=$w',
  '  while [ -n "$rest" ]; do',
  '    c=${rest%%/*}; if [ "$c" = "$rest" ]; then rest=; else rest=${rest#*/}; fi',
  '    cur=$cur/$c',
  '    if [ -L "$cur" ]; then break; fi',
  '    if [ -e "$cur" ]; then [ -d "$cur" ] && [ "$(stat -c %u -- "$cur")" = 0 ] || break; continue; fi',
  '    mkdir -m 755 -- "$cur" || exit 1',
  '    if [ -z "$rest" ]; then chown -- "$u:" "$cur" || exit 1; fi',
  '  done',
  'done',
].join('\n');

/**
 * Run as root: `$1` the work dir, then folders relative to it. Prints the first existing component of each that a
 * non-root user could change (a symlink, or not owned by root), if any.
 */
const UNSAFE_FOR_ROOT_SCRIPT = [
  'w=$1; shift',
  'for rel in "$@"; do',
  '  cur=$w; rest=$rel',
  '  while [ -n "$rest" ]; do',
  '    c=${rest%%/*}; if [ "$c" = "$rest" ]; then rest=; else rest=${rest#*/}; fi',
  '    cur=$cur/$c',
  '    if [ -L "$cur" ]; then echo "$cur is a symlink"; exit 0; fi',
  '    [ -e "$cur" ] || break',
  '    o=$(stat -c %U -- "$cur"); if [ "$(stat -c %u -- "$cur")" != 0 ]; then echo "$cur belongs to $o"; exit 0; fi',
  '  done',
  'done',
].join('\n');

export class SshHostTarget implements ScenarioTarget {
  readonly workdir: string;
  readonly payloadDir: string;
  private started = false;

  constructor(
    private readonly host: HostContext,
    runId: string,
    slug: string,
  ) {
    this.workdir = workdirFor(runId, slug);
    this.payloadDir = `${this.workdir}/.scenario`;
  }

  get uri(): string {
    return this.host.session.spec.uri;
  }

  private get session(): SshSession {
    return this.host.session;
  }

  async start(roles: Role[]): Promise<void> {
    const others = roles.filter((r) => r !== 'victim');
    if (others.length) throw new Error(`a host target has only the victim role (the scenario also needs ${others.join(', ')})`);
    // mkdir without -p: an existing path (or a planted symlink) is refused, never reused.
    const r = await this.asRoot(['sh', '-c', 'mkdir -m 700 -- "$1" && chmod 755 -- "$1" && mkdir -m 755 -- "$1/.scenario"', 'sh', this.workdir]);
    if (r.code !== 0) throw new Error(`cannot create ${this.workdir} on ${this.uri}: ${r.stderr.toString('utf8').trim()}`);
    this.started = true;
  }

  has(role: Role): boolean {
    return role === 'victim' && this.started;
  }

  addresses(): Partial<Record<Role, string>> {
    return { victim: this.session.address };
  }

  hostName(): string {
    return this.session.hostname;
  }

  attributionRoots(): number[] {
    return [];
  }

  async copyScenario(directory: string): Promise<void> {
    const tar = await execa('tar', ['-C', directory, '--owner=0', '--group=0', '--mode=a+rX,go-w', '-cf', '-', '.'], { encoding: 'buffer' });
    const r = await this.asRoot(['tar', '--no-same-owner', '-C', this.payloadDir, '-xf', '-'], { stdin: Buffer.from(tar.stdout) });
    if (r.code !== 0) throw new Error(`cannot upload the payloads to ${this.payloadDir} on ${this.uri}: ${r.stderr.toString('utf8').trim()}`);
  }

  hostUser(user: string): string {
    return this.host.userMap[user] ?? user;
  }

  async launch(request: StepRequest): Promise<StepResult> {
    if (request.launch === 'cron') throw new Error('cron steps only run in purple containers, never on a host');
    await this.prepareFolders(request.user, request.argv);
    const env = Object.entries(request.env).map(([k, v]) => `${k}=${v}`);
    const argv = this.session.as(this.hostUser(request.user), ['env', ...env, 'sh', '-c', WRAPPER, 'purple-step', ...request.argv]);
    const pty = request.launch === 'tty';
    let pid: number | null = null;
    let head = '';
    let timedOut = false;
    const stop = new AbortController();
    const kill = async () => {
      if (stop.signal.aborted) return;
      timedOut = true;
      if (pid !== null) await this.killTree(pid).catch(() => undefined);
      // The tree is gone, so the channel closes by itself; force it if it does not.
      setTimeout(() => stop.abort(), 5_000).unref();
    };
    const timer = setTimeout(() => void kill(), request.timeoutMs);
    const onAbort = () => void kill();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await this.session.run(argv, {
        pty,
        keepStdinOpen: true,
        signal: stop.signal,
        tailBytes: TAIL + 64,
        onStdout: (chunk, channel) => {
          if (pid !== null) return;
          head += chunk.toString('utf8');
          const m = /PURPLE_PID=(\d+)/.exec(head);
          if (!m) return;
          pid = Number(m[1]);
          request.onPid?.(pid);
          channel.write('\n');
          // A pty keeps its input open: ending it would hang up the step's terminal.
          if (!pty) channel.end();
        },
      });
      const stdout = r.stdout.toString('utf8').replace(PID_LINE, '');
      return {
        exitCode: timedOut ? null : r.code,
        timedOut: timedOut || r.timedOut,
        stdout: stdout.slice(-TAIL),
        stderr: r.stderr.toString('utf8').slice(-TAIL),
        pid,
      };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Reads created files inside the work dir only (never other files of a real host), walked from the work dir. */
  readArtifacts(_role: Role, files: string[], signal?: AbortSignal): Promise<Map<string, FileArtifact>> {
    const inside = files
      .map((f) => path.posix.resolve('/', f))
      .filter((f) => f.startsWith(this.workdir + '/'))
      .map((f) => ({ relative: f.slice(this.workdir.length + 1), shown: f }));
    return readRemoteFiles(this.session, this.workdir, inside, this.session.hostname, signal);
  }

  /** The {{workdir}} paths named in a step's arguments, relative to the work dir (payloads excluded). */
  private namedPaths(argv: string[]): string[] {
    const prefix = this.workdir + '/';
    const found = new Set<string>();
    for (const arg of argv) {
      for (let at = arg.indexOf(prefix); at >= 0; at = arg.indexOf(prefix, at + prefix.length)) {
        const rest = /^[^\s'"`;&|<>()$\\*?]*/.exec(arg.slice(at + prefix.length))![0];
        const rel = path.posix.normalize(rest).replace(/\/+$/, '');
        if (rel && rel !== '.' && !rel.startsWith('..') && !rel.startsWith('.scenario')) found.add(rel);
      }
    }
    return [...found];
  }

  /**
   * A non-root step gets the parent folder of each path it names (unless it exists: someone's already); a root
   * step is refused when a path it names goes through anything a non-root user can change.
   */
  private async prepareFolders(user: string, argv: string[]): Promise<void> {
    const named = this.namedPaths(argv);
    if (!named.length) return;
    const hostUser = this.hostUser(user);
    if (hostUser === 'root' || this.host.uids[hostUser] === 0) {
      const r = await this.asRoot(['sh', '-c', UNSAFE_FOR_ROOT_SCRIPT, 'sh', this.workdir, ...named]);
      const unsafe = r.stdout.toString('utf8').trim();
      if (r.code !== 0) throw new Error(`cannot check the step's paths in ${this.workdir} on ${this.uri}: ${r.stderr.toString('utf8').trim()}`);
      if (unsafe) throw new Error(`refused to run a root step through ${unsafe}: a non-root user can change that path (run the step as that user)`);
      return;
    }
    const folders = [...new Set(named.map((p) => path.posix.dirname(p)).filter((d) => d !== '.'))].sort((a, b) => a.length - b.length);
    if (!folders.length) return;
    const r = await this.asRoot(['sh', '-c', CLAIM_SCRIPT, 'sh', this.workdir, ...folders.flatMap((f) => [hostUser, f])]);
    if (r.code !== 0) throw new Error(`cannot prepare ${folders.join(', ')} in ${this.workdir} for ${hostUser} on ${this.uri}: ${r.stderr.toString('utf8').trim()}`);
  }

  async accounts(): Promise<AccountFiles> {
    const table = async (name: string) => {
      const r = await this.asRoot(['getent', name], { timeoutMs: 30_000 }).catch(() => null);
      return r?.code === 0 ? r.stdout.toString('utf8').slice(0, 1 << 20) : '';
    };
    return { passwd: await table('passwd'), group: await table('group') };
  }

  users(): Record<string, number> {
    return this.host.uids;
  }

  async teardown(): Promise<string[]> {
    if (!this.started) return [];
    // The pattern is built at run time so that this shell's own command line does not match it.
    const script = 'w="$1"; pkill -KILL -f "$w"/ ; rm -rf -- "$w"; test ! -e "$w"';
    try {
      const r = await this.asRoot(['sh', '-c', script, 'sh', this.workdir], { timeoutMs: 60_000 });
      this.started = false;
      return r.code === 0 ? [] : [`${this.workdir} on ${this.uri} could not be removed: ${r.stderr.toString('utf8').trim()}`];
    } catch (err) {
      return [`${this.workdir} on ${this.uri}: ${(err as Error).message} (the run's guardian removes it when the connection ends)`];
    }
  }

  private killTree(pid: number) {
    const script = 'kt() { for c in $(pgrep -P "$1"); do kt "$c"; done; kill -KILL "$1" 2>/dev/null; }; kt "$1"';
    return this.asRoot(['sh', '-c', script, 'sh', String(pid)], { timeoutMs: 15_000 });
  }

  private asRoot(argv: string[], options: { stdin?: Buffer; timeoutMs?: number } = {}) {
    return this.session.run(this.session.as('root', argv), { timeoutMs: 30_000, ...options });
  }
}
