// One SSH connection to a host target: verified host key, commands as root or as a given user
// (directly, runuser when connected as root, sudo -n otherwise), a bounded number of channels at
// once (sshd's MaxSessions is 10 by default), and the audit log streamed back by `tail -F`.
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { LineSplitter } from '../../audit/index.js';
import type { ExecResult as HostExecResult, HostExec } from '../../host/exec.js';
import { shellQuote } from '../../shared/shell.js';
import { describeRefusal, knownKeyAlgorithms, readKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';

export interface SshTargetSpec {
  user: string;
  host: string;
  port: number;
  /** `ssh`: scenarios run on the host itself; `docker+ssh`: in containers of the host's Docker engine. */
  scheme: 'ssh' | 'docker+ssh';
  /** scheme://user@host:port, as reports show it. */
  uri: string;
}

export interface SshOptions {
  identity?: string;
  knownHosts?: string;
  /** Only ever from the PURPLE_SSH_PASSWORD environment variable; never logged or stored. */
  password?: string;
  readyTimeoutMs?: number;
}

export const PASSWORD_ENV = 'PURPLE_SSH_PASSWORD';
const MAX_CHANNELS = 8;

/** Parses ssh://USER@HOST[:PORT] or docker+ssh://USER@HOST[:PORT] (HOST may be [ipv6]); throws a usage message otherwise. */
export function parseSshTarget(text: string): SshTargetSpec {
  const m = /^(ssh|docker\+ssh):\/\/([a-z_][a-z0-9_.-]{0,31})@(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(text.trim());
  if (!m) throw new Error(`--target ${JSON.stringify(text)}: expected ssh://USER@HOST[:PORT] or docker+ssh://USER@HOST[:PORT]`);
  const scheme = m[1] as SshTargetSpec['scheme'];
  const port = m[4] ? Number(m[4]) : 22;
  if (port < 1 || port > 65535) throw new Error(`--target ${text}: port ${port} is out of range`);
  const host = m[3]!.replace(/^\[|\]$/g, '');
  return { user: m[2]!, host, port, scheme, uri: `${scheme}://${m[2]}@${m[3]}:${port}` };
}

export interface ChannelOptions {
  stdin?: string | Buffer;
  /** Keep stdin open after `stdin` was written (the caller ends it). */
  keepStdinOpen?: boolean;
  pty?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Buffer, channel: ClientChannel) => void;
  /** false: stdout goes only to onStdout (a large file streamed through), the result's stdout stays empty. */
  keepStdout?: boolean;
  /** Keep only the last this many bytes of stdout (a step's output); default MAX_STDOUT. */
  tailBytes?: number;
}

export interface ChannelResult {
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export class SshSession {
  private readonly waiting: (() => void)[] = [];
  private open = 0;
  private closedBecause: string | undefined;
  readonly isRoot: boolean;
  /** The host's address as the SSH server sees it (SSH_CONNECTION), and its host name. */
  address = '';
  hostname = '';

  private constructor(
    private readonly client: Client,
    readonly spec: SshTargetSpec,
  ) {
    this.isRoot = spec.user === 'root';
    client.on('close', () => {
      this.closedBecause ??= 'the SSH connection closed';
      for (const wake of this.waiting.splice(0)) wake();
    });
    client.on('error', (err) => {
      this.closedBecause ??= `the SSH connection failed: ${err.message}`;
    });
  }

  get where(): string {
    return this.spec.uri;
  }

  /** Why the connection ended, once it has. */
  get closedReason(): string | undefined {
    return this.closedBecause;
  }

  get closed(): boolean {
    return this.closedBecause !== undefined;
  }

  static async connect(spec: SshTargetSpec, options: SshOptions = {}): Promise<SshSession> {
    const knownHostsFile = options.knownHosts ?? path.join(os.homedir(), '.ssh', 'known_hosts');
    const known = readKnownHosts(knownHostsFile);
    let refusal: string | undefined;
    const config: ConnectConfig = {
      host: spec.host,
      port: spec.port,
      username: spec.user,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const verdict: HostKeyVerdict = verifyHostKey(known, spec.host, spec.port, key);
        if (verdict.status === 'match') return true;
        refusal = describeRefusal(verdict, known, spec.host, spec.port, key);
        return false;
      },
    };
    const algorithms = knownKeyAlgorithms(known, spec.host, spec.port);
    if (algorithms.length) config.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    const identity = options.identity ?? ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(os.homedir(), '.ssh', f)).find((f) => existsSync(f));
    if (options.identity && !existsSync(options.identity)) throw new Error(`--identity ${options.identity}: no such file`);
    if (identity) {
      try {
        config.privateKey = readFileSync(identity);
      } catch (err) {
        throw new Error(`cannot read the identity ${identity}: ${(err as Error).message}`);
      }
    }
    if (options.password) config.password = options.password;
    if (!config.privateKey && !config.password) {
      throw new Error(`${spec.uri}: no identity (~/.ssh/id_ed25519 or id_rsa, or --identity FILE) and no ${PASSWORD_ENV} set`);
    }
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (err: Error & { level?: string }) => {
        if (refusal) reject(new Error(`${spec.uri}: ${refusal}`));
        else if (err.level === 'client-authentication')
          reject(new Error(`${spec.uri}: authentication refused for ${spec.user} (identity ${identity ?? 'none'}${options.password ? `, ${PASSWORD_ENV}` : ''})`));
        else reject(new Error(`${spec.uri}: cannot connect: ${err.message}`));
      });
      client.connect(config);
    });
    const session = new SshSession(client, spec);
    const facts = await session.run(['sh', '-c', 'echo "$SSH_CONNECTION"; hostname']);
    const [connection = '', hostname = ''] = facts.stdout.toString('utf8').split('\n');
    session.address = connection.trim().split(/\s+/)[2] ?? spec.host;
    session.hostname = hostname.trim() || spec.host;
    return session;
  }

  /** argv prefixed so it runs as `user` (root when omitted). */
  as(user: string | undefined, argv: string[]): string[] {
    const target = user ?? 'root';
    if (target === this.spec.user) return argv;
    if (this.isRoot) return ['runuser', '-u', target, '--', ...argv];
    return target === 'root' ? ['sudo', '-n', '--', ...argv] : ['sudo', '-n', '-u', target, '--', ...argv];
  }

  /** Runs argv (quoted for the remote shell) on a channel of its own. */
  run(argv: string[], options: ChannelOptions = {}): Promise<ChannelResult> {
    return this.command(argv.map(shellQuote).join(' '), options);
  }

  async command(command: string, options: ChannelOptions = {}): Promise<ChannelResult> {
    await this.acquire();
    try {
      const channel = await this.exec(command, options.pty ?? false);
      return await collect(channel, options);
    } finally {
      this.release();
    }
  }

  /** A channel held open by the caller (the guardian, the log tail); counts against the limit until it closes. */
  async channel(command: string): Promise<ClientChannel> {
    await this.acquire();
    try {
      const channel = await this.exec(command, false);
      channel.once('close', () => this.release());
      return channel;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** A HostExec running every program as root on this host (for the doctor and the collectors). */
  rootExec(): HostExec {
    return {
      where: this.spec.uri,
      run: async (program, args, options = {}): Promise<HostExecResult> => {
        try {
          const r = await this.run(this.as('root', [program, ...args]), { timeoutMs: options.timeoutMs ?? 30_000 });
          const stderr = r.stderr.toString('utf8');
          // 127: the shell or runuser did not find the program; sudo says so in words.
          const missing = r.code === 127 || (r.code !== 0 && /^sudo: .*: command not found/m.test(stderr));
          return { code: r.timedOut ? -1 : missing ? 127 : (r.code ?? 1), stdout: r.stdout.toString('utf8'), stderr };
        } catch (err) {
          return { code: 1, stdout: '', stderr: (err as Error).message };
        }
      },
    };
  }

  /** Lines appended to a root-readable file from now on (`tail -F -n 0`), until `signal` aborts. */
  async *follow(file: string, signal: AbortSignal): AsyncGenerator<string> {
    const channel = await this.channel(this.as('root', ['tail', '-F', '-s', '0.2', '-n', '0', file]).map(shellQuote).join(' '));
    const splitter = new LineSplitter();
    const queue: string[] = [];
    let done = false;
    let wake: (() => void) | undefined;
    let stderr = '';
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    channel.on('data', (chunk: Buffer) => {
      queue.push(...splitter.write(chunk));
      notify();
    });
    channel.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    channel.on('close', () => {
      queue.push(...splitter.end());
      done = true;
      notify();
    });
    const stop = () => {
      channel.close();
      notify();
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (signal.aborted) return;
        if (done) {
          const why = stderr.trim().split('\n').filter((l) => !/has become inaccessible|has appeared|following new file/.test(l)).pop();
          throw new Error(`reading ${file} on ${this.spec.uri} stopped: ${why || this.closedReason || 'tail exited'}`);
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', stop);
      if (!done) channel.close();
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
      setTimeout(resolve, 5_000).unref();
    });
  }

  private exec(command: string, pty: boolean): Promise<ClientChannel> {
    if (this.closedReason) return Promise.reject(new Error(`${this.spec.uri}: ${this.closedReason}`));
    return new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, channel: ClientChannel) => (err ? reject(new Error(`${this.spec.uri}: ${err.message}`)) : resolve(channel));
      if (pty) this.client.exec(command, { pty: { term: 'xterm', rows: 24, cols: 120 } }, cb);
      else this.client.exec(command, cb);
    });
  }

  private async acquire(): Promise<void> {
    while (this.open >= MAX_CHANNELS && !this.closedReason) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.open++;
  }

  private release(): void {
    this.open--;
    this.waiting.shift()?.();
  }
}

const TAIL = 4096;
/** What any command's stdout may hold in memory: the tail beyond it is kept, the rest dropped. */
const MAX_STDOUT = 32 << 20;

function collect(channel: ClientChannel, options: ChannelOptions): Promise<ChannelResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let outSize = 0;
    const limit = options.tailBytes ?? MAX_STDOUT;
    const err: Buffer[] = [];
    let code: number | null = null;
    let signal: string | null = null;
    let timedOut = false;
    channel.on('data', (chunk: Buffer) => {
      if (options.keepStdout !== false) {
        out.push(chunk);
        outSize += chunk.length;
        while (out.length > 1 && outSize - out[0]!.length >= limit) outSize -= out.shift()!.length;
      }
      options.onStdout?.(chunk, channel);
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      if (err.length > 64) err.splice(0, err.length - 64);
    });
    channel.on('exit', (c: number | null, s?: string) => {
      code = c;
      signal = s ?? null;
    });
    const kill = () => {
      timedOut = true;
      channel.signal('KILL');
      channel.close();
    };
    const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : undefined;
    options.signal?.addEventListener('abort', kill, { once: true });
    channel.on('close', () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      resolve({ code, signal, stdout: Buffer.concat(out).subarray(-limit), stderr: Buffer.concat(err).subarray(-TAIL), timedOut });
    });
    if (options.stdin !== undefined) channel.write(options.stdin);
    if (!options.keepStdinOpen) channel.end();
  });
}
