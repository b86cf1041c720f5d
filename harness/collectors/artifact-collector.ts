// Reads the content of the files the detectors' needs select (harness/events/needs.ts: created files, scripts,
// transfer sources...) from the container's own filesystem view, /proc/<init pid>/root, before the container goes.
// Replay selects with the same ContentSelection, so both read the same files.
import type { AuditEvent } from '../audit/event.js';
import type { FileArtifact } from '../telemetry/types.js';
import { readFilesUnderRoot } from '../telemetry/safe-read.js';
import type { ContentSelection } from '../events/needs.js';

const MAX_PATHS = 300;

export class ArtifactCollector {
  private readonly paths = new Set<string>();
  private readonly collected = new Map<string, FileArtifact>();
  private dropped = 0;

  constructor(
    private readonly host: string,
    private readonly selection: ContentSelection,
  ) {}

  /** Notes the paths whose content the event makes wanted. */
  observe(event: AuditEvent): void {
    for (const p of this.selection.select(event)) this.note(p);
  }

  /** Every path noted so far, in the order first wanted. */
  get selected(): string[] {
    return [...this.paths];
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

  private note(p: string): void {
    if (this.paths.size >= MAX_PATHS && !this.paths.has(p)) {
      this.dropped++;
      return;
    }
    this.paths.add(p);
  }
}
