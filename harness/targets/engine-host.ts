// The machine a Docker engine runs on, as DockerEnvironment needs it beyond the Docker API: host
// pids (a container's shim, killing a timed-out step's tree) and the content of files under a
// container's root through /proc/<pid>/root, which also sees tmpfs mounts such as /dev/shm that
// Docker's archive API cannot. Locally through this machine's /proc; a remote engine's host over
// SSH (harness/targets/ssh/engine-host.ts).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { FileArtifact } from '../telemetry/types.js';
import { readFilesUnderRoot } from '../telemetry/safe-read.js';

export interface EngineHost {
  /** What results name as the target: docker://<host name>, or docker+ssh://user@host:port. */
  readonly uri: string;
  parentPid(pid: number): Promise<number>;
  /** Kills a host process and its descendants. */
  killTree(pid: number): Promise<void>;
  /** Reads files at `paths` as the container whose init is `initPid` sees them (readFilesUnderRoot's rules). */
  readFiles(initPid: number, paths: string[], host: string, signal?: AbortSignal): Promise<Map<string, FileArtifact>>;
  /** The listening TCP and bound UDP sockets of the network namespace of `pid`, as `tcp/<port>`, `udp/<port>`. */
  listening?(pid: number): Promise<Set<string>>;
}

/** Socket states in /proc/net/{tcp,udp}: TCP_LISTEN, and TCP_CLOSE (an unconnected, bound UDP socket). */
const BOUND_STATE: Record<'tcp' | 'udp', string> = { tcp: '0A', udp: '07' };

/** Ports bound in the text of a /proc/<pid>/net/{tcp,tcp6,udp,udp6} table, as `<proto>/<port>`. */
export function boundSockets(table: string, proto: 'tcp' | 'udp'): string[] {
  const bound: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const port = local?.split(':')[1];
    if (port && state === BOUND_STATE[proto]) bound.push(`${proto}/${parseInt(port, 16)}`);
  }
  return bound;
}

/** The fields after a /proc/<pid>/stat's comm: comm may hold spaces and parentheses, so split after the last ')'. */
export function ppidFromStat(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export const localEngineHost: EngineHost = {
  uri: `docker://${os.hostname()}`,
  parentPid: async (pid) => ppidFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')),
  killTree: async (pid) => killTree(pid),
  readFiles: (initPid, paths, host, signal) => readFilesUnderRoot(`/proc/${initPid}/root`, paths, { host, ...(signal ? { signal } : {}) }),
  listening: async (pid) => {
    const tables = await Promise.all(
      (['tcp', 'tcp6', 'udp', 'udp6'] as const).map(async (table) =>
        // tcp is always there while the process lives; the others may be absent (no IPv6).
        boundSockets(await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch((err: unknown) => { if (table === 'tcp') throw err; return ''; }), table.startsWith('tcp') ? 'tcp' : 'udp'),
      ),
    );
    return new Set(tables.flat());
  },
};

function killTree(pid: number): void {
  for (const child of childrenOf(pid)) killTree(child);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
