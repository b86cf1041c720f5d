// Reads the content of the files a scenario's processes create (and the scripts its interpreters
// run) from the container's own filesystem view, /proc/<init pid>/root, before the container goes.
import path from 'node:path';
import type { AuditEvent } from '../audit/event.js';
import type { FileArtifact } from '../telemetry/types.js';
import { readFilesUnderRoot } from '../telemetry/safe-read.js';

const O_CREAT = 0x40;
const MAX_PATHS = 300;
const IGNORED = [/^\/proc\//, /^\/sys\//, /^\/dev\/(?!shm\/)/, /^\/run\//, /^\/var\/log\/purple\//, /^\/etc\/cron\.d\//];
const INTERPRETER = /^(python[\d.]*|perl[\d.]*|bash|sh|dash|zsh|ksh|ruby[\d.]*|php[\d.]*|node|lua[\d.]*)$/;

export class ArtifactCollector {
  private readonly paths = new Set<string>();
  private readonly collected = new Map<string, FileArtifact>();
  private dropped = 0;

  constructor(private readonly host: string) {}

  /** Notes the paths an event creates or runs as a script. */
  observe(event: AuditEvent): void {
    for (const p of createdPaths(event)) this.note(p);
    const argv = event.process.argv;
    if (event.syscall?.startsWith('execve') && argv.length > 1 && INTERPRETER.test(path.basename(argv[0] ?? ''))) {
      const script = argv.slice(1).find((a) => !a.startsWith('-'));
      if (script) this.note(resolve(script, event.process.cwd));
    }
  }

  get droppedPaths(): number {
    return this.dropped;
  }

  /** Reads every noted path not read yet through `root` (the container's /proc/<pid>/root), within `signal`. */
  collect(root: string, signal?: AbortSignal): Promise<FileArtifact[]> {
    return this.collectMany((paths) => readFilesUnderRoot(root, paths, { host: this.host, ...(signal ? { signal } : {}) }));
  }

  /**
   * Reads every noted path not read yet in one go; `readMany` leaves out the files that are gone. A refused or
   * cut read comes back as an artifact saying why (`unread`) and counts as read: it is not retried.
   */
  async collectMany(readMany: (paths: string[]) => Promise<Map<string, FileArtifact>>): Promise<FileArtifact[]> {
    const wanted = [...this.paths].filter((p) => !this.collected.has(p));
    if (!wanted.length) return [];
    const read = await readMany(wanted);
    const fresh: FileArtifact[] = [];
    for (const p of wanted) {
      const artifact = read.get(p);
      if (!artifact) continue;
      this.collected.set(p, artifact);
      fresh.push(artifact);
    }
    return fresh;
  }

  private note(p: string | null): void {
    if (!p || IGNORED.some((re) => re.test(p))) return;
    if (this.paths.size >= MAX_PATHS && !this.paths.has(p)) {
      this.dropped++;
      return;
    }
    this.paths.add(p);
  }
}

/** Paths an event created: PATH records of nametype CREATE, or the file of an O_CREAT open. */
export function createdPaths(event: AuditEvent): string[] {
  const cwd = event.process.cwd;
  const created = event.files.filter((f) => f.nametype === 'CREATE' && f.name).map((f) => resolve(f.name!, cwd));
  if (created.length) return created;
  const flags = openFlags(event);
  if (flags !== null && flags & O_CREAT) {
    const file = event.files.find((f) => f.nametype === 'NORMAL' && f.name);
    if (file?.name) return [resolve(file.name, cwd)];
  }
  return [];
}

function openFlags(event: AuditEvent): number | null {
  const arg = event.syscall === 'openat' || event.syscall === 'openat2' ? event.args[2] : event.syscall === 'open' ? event.args[1] : null;
  if (event.syscall === 'creat') return O_CREAT;
  return arg ? parseInt(arg, 16) : null;
}

function resolve(p: string, cwd: string | null): string {
  return path.posix.resolve(cwd ?? '/', p);
}
