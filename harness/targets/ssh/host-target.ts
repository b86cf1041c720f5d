// A scenario on a plain Linux host over SSH: a private work dir /tmp/purple-<run>-<scenario>
// (mode 1777, root-owned) holding the payloads and every path the scenario writes, steps run as
// their (mapped) users through a wrapper that reports its pid before the step starts, file
// content read back only from inside the work dir, and the work dir removed at the end.
import path from 'node:path';
import { execa } from 'execa';
import type { Role } from '../../scenario/types.js';
import type { FileArtifact } from '../../telemetry/types.js';
import type { AccountFiles } from '../../events/users.js';
import { analyzeContent } from '../../telemetry/content.js';
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

export function workdirFor(runId: string, slug: string): string {
  return `/tmp/purple-${runId}-${slug}`;
}

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
    const r = await this.asRoot(['sh', '-c', 'mkdir -m 1777 -- "$1" && chmod 1777 -- "$1" && mkdir -m 755 -- "$1/.scenario"', 'sh', this.workdir]);
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

  async readArtifact(_role: Role, file: string): Promise<FileArtifact> {
    const normalized = path.posix.resolve('/', file);
    // Only what the scenario wrote: never read other files of a real host.
    if (!normalized.startsWith(this.workdir + '/')) throw new Error(`${normalized} is outside ${this.workdir}`);
    const r = await this.asRoot(['sh', '-c', 'test -f "$1" && test ! -L "$1" || exit 3; stat -c "%f %u" -- "$1" && exec cat -- "$1"', 'sh', normalized], {
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`${normalized}: not a regular file on ${this.uri}`);
    const newline = r.stdout.indexOf(0x0a);
    const [modeHex = '0', uid = ''] = r.stdout.subarray(0, newline).toString('utf8').trim().split(' ');
    const artifact = await analyzeContent(r.stdout.subarray(newline + 1), { displayPath: normalized, host: this.session.hostname });
    artifact.mode = '0' + parseInt(modeHex, 16).toString(8);
    artifact.ownerUid = uid === '' ? null : Number(uid);
    return artifact;
  }

  /**
   * One channel for all: per readable regular file inside the work dir, a line
   * `<index> <mode hex> <uid> <base64 content>` (indexes, not paths, so no name can break the framing).
   */
  async readArtifacts(_role: Role, files: string[]): Promise<Map<string, FileArtifact>> {
    const inside = files.filter((f) => path.posix.resolve('/', f) === f && f.startsWith(this.workdir + '/'));
    const found = new Map<string, FileArtifact>();
    if (!inside.length) return found;
    const script =
      'i=0; for f in "$@"; do i=$((i+1)); if [ -f "$f" ] && [ ! -L "$f" ]; then ' +
      'm=$(stat -c "%f %u" -- "$f") || continue; printf "%s %s " "$i" "$m"; base64 -w0 -- "$f"; echo; fi; done';
    const r = await this.asRoot(['sh', '-c', script, 'sh', ...inside], { timeoutMs: 120_000 });
    for (const line of r.stdout.toString('latin1').split('\n')) {
      const [index, modeHex, uid, content = ''] = line.split(' ');
      const file = inside[Number(index) - 1];
      if (!file || !modeHex) continue;
      const artifact = await analyzeContent(Buffer.from(content, 'base64'), { displayPath: file, host: this.session.hostname });
      artifact.mode = '0' + parseInt(modeHex, 16).toString(8);
      artifact.ownerUid = Number(uid);
      found.set(file, artifact);
    }
    return found;
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
