// The containers of one scenario: an internal Docker network (no route out) and one container per
// role, labelled with the run id so `purple cleanup` can always find what a killed run left.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { execa } from 'execa';
import { SCENARIO_MOUNT, type Role } from '../scenario/types.js';
import type { FileArtifact } from '../telemetry/types.js';
import type { AccountFiles } from '../events/users.js';
import { launchStep, type ExecOptions, type ExecResult } from './step-launcher.js';

export type { ExecOptions, ExecResult };
import type { ScenarioTarget, StepRequest, StepResult } from '../run/target.js';
import { localEngineHost, type EngineHost } from './engine-host.js';
import { IMAGE_DAEMONS, imageForRole } from '../host/recipes.js';
import { PhaseClock } from '../run/phases.js';

export const LABEL_RUN = 'purple.run';
export const LABEL_SCENARIO = 'purple.scenario';
export const LABEL_ROLE = 'purple.role';


/** Containment limits for every container of a run. */
export const LIMITS = {
  memoryBytes: 512 * 1024 * 1024,
  nanoCpus: 1_000_000_000,
  pids: 256,
  /** Writable layer cap is not enforceable on overlay2 without xfs quotas; /dev/shm is sized. */
  shmBytes: 64 * 1024 * 1024,
};

export interface RoleContainer {
  role: Role;
  name: string;
  container: Dockerode.Container;
  address: string;
  /** Host pid of the container's init process. */
  initPid: number;
  /** Host pid of the containerd shim, the ancestor of every process of the container. */
  shimPid: number;
}

const TAIL = 4096;
/** How long stopping an exec waits for its process tree to be killed before it lets go of the stream anyway. */
const STOP_MS = 10_000;
/** How long a container's daemons may take to bind their sockets (a loaded 2-core host is slow), and how often to look. */
const DAEMONS_MS = 30_000;
const DAEMONS_POLL_MS = 20;

export class DockerEnvironment implements ScenarioTarget {
  readonly containers = new Map<Role, RoleContainer>();
  private network: Dockerode.Network | undefined;
  readonly workdir = '';
  readonly payloadDir = SCENARIO_MOUNT;

  constructor(
    private readonly docker: Dockerode,
    readonly runId: string,
    readonly scenarioId: string,
    private readonly imageFor?: (role: Role) => string,
    private readonly engineHost: EngineHost = localEngineHost,
  ) {}

  get uri(): string {
    return this.engineHost.uri;
  }

  /** Names the network and containers: at most 60 characters, and distinct for distinct slugs (a long id's `-r2` must survive). */
  get prefix(): string {
    const full = `purple-${this.runId}-${this.scenarioId}`;
    if (full.length <= 60) return full;
    return `${full.slice(0, 51)}-${createHash('sha256').update(full).digest('hex').slice(0, 8)}`;
  }

  private labels(role?: Role): Record<string, string> {
    return { [LABEL_RUN]: this.runId, [LABEL_SCENARIO]: this.scenarioId, ...(role ? { [LABEL_ROLE]: role } : {}) };
  }

  async start(roles: Role[], clock = new PhaseClock()): Promise<void> {
    const imageFor = this.imageFor;
    if (!imageFor) throw new Error('DockerEnvironment.start: no image for the roles');
    this.network = await clock.time('network', () =>
      this.docker.createNetwork({
        Name: `${this.prefix}-net`,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        Labels: this.labels(),
      }),
    );
    await clock.time('containers', () => Promise.all(roles.map((role) => this.startRole(role, imageFor(role)))));
    await clock.time('daemons', () => Promise.all(roles.map((role) => this.daemonsReady(role))));
  }

  /** Resolves once every socket the role's image opens at boot is bound (read from the host, no exec). */
  private async daemonsReady(role: Role): Promise<void> {
    const wanted = IMAGE_DAEMONS[imageForRole(role)];
    if (wanted.length === 0 || !this.engineHost.listening) return;
    const c = this.get(role);
    const deadline = Date.now() + DAEMONS_MS;
    for (;;) {
      const bound = await this.engineHost.listening(c.initPid).catch((err: unknown) => {
        throw new Error(`container ${c.name} stopped before its daemons were up: ${(err as Error).message}`);
      });
      const missing = wanted.filter((socket) => !bound.has(socket));
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`container ${c.name}: ${missing.join(', ')} not bound ${DAEMONS_MS / 1000} s after it started (its daemons log to /var/log/purple-*.log)`);
      }
      await new Promise((resolve) => setTimeout(resolve, DAEMONS_POLL_MS));
    }
  }

  private async startRole(role: Role, image: string): Promise<void> {
    const name = `${this.prefix}-${role}`;
    const container = await this.docker.createContainer({
      name,
      Image: image,
      Hostname: role,
      Labels: this.labels(role),
      HostConfig: {
        NetworkMode: `${this.prefix}-net`,
        Privileged: false,
        Memory: LIMITS.memoryBytes,
        MemorySwap: LIMITS.memoryBytes,
        NanoCpus: LIMITS.nanoCpus,
        PidsLimit: LIMITS.pids,
        ShmSize: LIMITS.shmBytes,
        AutoRemove: false,
      },
    });
    await container.start();
    const info = await container.inspect();
    const initPid = info.State.Pid;
    const address = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress ?? '';
    if (!address) throw new Error(`container ${name} got no address on ${this.prefix}-net`);
    this.containers.set(role, { role, name, container, address, initPid, shimPid: await this.engineHost.parentPid(initPid) });
  }

  get(role: Role): RoleContainer {
    const found = this.containers.get(role);
    if (!found) throw new Error(`scenario ${this.scenarioId} has no ${role} container`);
    return found;
  }

  addresses(): Partial<Record<Role, string>> {
    return Object.fromEntries([...this.containers].map(([role, c]) => [role, c.address]));
  }

  has(role: Role): boolean {
    return this.containers.has(role);
  }

  hostName(role: Role): string {
    return this.get(role).name;
  }

  /** Every process of a container descends from its shim (and its init). */
  attributionRoots(role: Role): number[] {
    const c = this.get(role);
    return [c.shimPid, c.initPid];
  }

  /** One archive of `directory`, put into every container at once (the archive creates the mount point: no exec). */
  async copyScenario(directory: string): Promise<void> {
    const tar = await archiveAt(directory, SCENARIO_MOUNT);
    await Promise.all([...this.containers.values()].map((c) => c.container.putArchive(tar, { path: '/' })));
  }

  launch(request: StepRequest): Promise<StepResult> {
    return launchStep(this, request);
  }

  async accounts(): Promise<AccountFiles> {
    const files = await this.readArtifacts('victim', ['/etc/passwd', '/etc/group']).catch(() => new Map<string, FileArtifact>());
    const text = (file: string) => {
      const artifact = files.get(file);
      return artifact && !artifact.unread ? artifact.text ?? '' : '';
    };
    return { passwd: text('/etc/passwd'), group: text('/etc/group') };
  }

  readArtifacts(role: Role, paths: string[], signal?: AbortSignal): Promise<Map<string, FileArtifact>> {
    const c = this.get(role);
    return this.engineHost.readFiles(c.initPid, paths, c.name, signal);
  }

  async writeFile(role: Role, path: string, content: string): Promise<void> {
    const r = await this.exec(role, {
      user: 'root',
      cmd: ['sh', '-c', 'cat > "$1"', 'sh', path],
      timeoutMs: 10_000,
      stdin: content,
    });
    if (r.exitCode !== 0) throw new Error(`could not write ${path} in ${this.get(role).name}: ${r.stderr}`);
  }

  async exec(role: Role, options: ExecOptions): Promise<ExecResult> {
    const c = this.get(role);
    const exec = await c.container.exec({
      Cmd: options.cmd,
      User: options.user,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      WorkingDir: options.workdir,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: options.stdin !== undefined,
      Tty: options.tty ?? false,
    });
    const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined, Tty: options.tty ?? false });
    const stdout = new Tail();
    const stderr = new Tail();
    if (options.tty) stream.on('data', (chunk: Buffer) => stdout.add(chunk));
    else {
      const out = new PassThrough().on('data', (chunk: Buffer) => stdout.add(chunk));
      const err = new PassThrough().on('data', (chunk: Buffer) => stderr.add(chunk));
      this.docker.modem.demuxStream(stream, out, err);
    }
    if (options.stdin !== undefined) stream.end(options.stdin);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    // Stopping (on timeout or abort) never rejects: the exec, or its whole container, may already be
    // gone. The listener and the timer live exactly as long as this call, so a signal that fires
    // later (a cleanup step's timeout, long after the container was removed) reaches nothing.
    let timedOut = false;
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        timedOut = true;
        const kill = (async () => {
          const pid = (await exec.inspect()).Pid;
          if (pid > 0) await this.engineHost.killTree(pid);
        })().catch(() => undefined); // the exec or its container is gone: nothing left to kill
        let bound: NodeJS.Timeout | undefined;
        await Promise.race([kill, new Promise((resolve) => (bound = setTimeout(resolve, STOP_MS)))]);
        clearTimeout(bound);
        stream.destroy();
      })());
    const timer = setTimeout(() => void stop(), options.timeoutMs);
    const onAbort = () => void stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) void stop();
    try {
      await ended;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    await stopping;
    let info: Dockerode.ExecInspectInfo;
    try {
      info = await exec.inspect();
    } catch (err) {
      // The container was removed under the exec: there is no exit code to read.
      const why = `the exec ended without an exit code: ${(err as Error).message.trim()}`;
      return { exitCode: null, timedOut, stdout: stdout.text(), stderr: `${stderr.text()}${stderr.text() ? '\n' : ''}${why}`, pid: null };
    }
    return {
      exitCode: info.Running ? null : info.ExitCode,
      timedOut,
      stdout: stdout.text(),
      stderr: stderr.text(),
      pid: info.Pid || null,
    };
  }

  /** Removes the containers and the network, whatever state they are in; returns what failed. */
  async teardown(): Promise<string[]> {
    const failures: string[] = [];
    await Promise.all(
      [...this.containers.values()].map(async (c) => {
        try {
          await c.container.remove({ force: true, v: true });
        } catch (err) {
          if (!/no such container/i.test(String(err))) failures.push(`container ${c.name}: ${(err as Error).message}`);
        }
      }),
    );
    this.containers.clear();
    if (this.network) {
      try {
        await this.network.remove();
      } catch (err) {
        if (!/not found/i.test(String(err))) failures.push(`network ${this.prefix}-net: ${(err as Error).message}`);
      }
      this.network = undefined;
    }
    return failures;
  }
}

/**
 * A tar of `directory`'s content as root-owned files under the absolute path `target`, to extract at
 * `/`: it holds `target`'s parent directories too (Docker does not create the parents of a directory
 * entry), taken from an empty staging folder. Symlink targets are left as they are.
 */
async function archiveAt(directory: string, target: string): Promise<Buffer> {
  const staging = mkdtempSync(path.join(os.tmpdir(), 'purple-archive-'));
  try {
    const inside = target.replace(/^\/+|\/+$/g, '');
    mkdirSync(path.join(staging, inside), { recursive: true });
    const top = inside.split('/')[0]!;
    const escaped = inside.replace(/[\\,&]/g, '\\$&');
    const tar = await execa(
      'tar',
      ['--owner=0', '--group=0', '--mode=a+rX', '-cf', '-', '-C', staging, top, '-C', directory,
        `--transform=s,^\\.$,${escaped},S`, `--transform=s,^\\./,${escaped}/,S`, '.'],
      { encoding: 'buffer' },
    );
    return Buffer.from(tar.stdout);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The last few KB of a stream, for step outcomes. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) > TAIL) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL)).toString('utf8');
  }
}
