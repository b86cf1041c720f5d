import type { AuditEvent } from '../audit/event.js';

/** One network flow as conntrack accounts it, oriented from the side that opened it. */
export interface Flow {
  /** ISO 8601 time of the observation (conntrack timestamp or poll time). */
  time: string;
  protocol: string; // tcp, udp, icmp...
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  /** Bytes sent by the originator (src -> dst). */
  bytesOut: number;
  /** Bytes sent back by the responder. */
  bytesIn: number;
  packetsOut: number;
  packetsIn: number;
  /** conntrack event (NEW, UPDATE, DESTROY) or "LIST" for a poll snapshot. */
  event: string;
  /** Where the flow was observed (container name or host), when known. */
  host?: string;
}

/** What the content of a created file looked like when it was read. */
export interface FileArtifact {
  /** ISO 8601 time the content was read. */
  time: string;
  /** Path as the process saw it (inside the container for container runs). */
  path: string;
  size: number;
  /** Shannon entropy of the content, bits per byte (0..8). */
  entropy: number;
  /** Format from the magic bytes: gzip, bzip2, xz, zstd, zip, 7z, rar, lz4, tar, elf, ... or null when none is recognised. */
  format: string | null;
  /** First bytes as hex, for evidence. */
  header: string;
  mode: string | null;
  ownerUid: number | null;
  sha256: string | null;
  host?: string;
  /**
   * Why the content was not read, when it was not: a symlink on the way, not a regular file, a pseudo file
   * system, the scenario's deadline... size (from fstat, when the file was opened), entropy, format, header and
   * sha256 are then not measurements, and detectors and checks treat the file as "content not read".
   */
  unread?: string;
  /** Set when the file was bigger than the read limit: entropy and format come from a sample, sha256 is null. */
  sampled?: string;
  /** Text of the file when it is a small script, so detectors can corroborate (e.g. XOR in the source). */
  text?: string;
}

/** Everything a detector can consume, in arrival order. */
export type TelemetryItem =
  | { kind: 'audit'; event: AuditEvent; host?: string }
  | { kind: 'flow'; flow: Flow }
  | { kind: 'artifact'; artifact: FileArtifact };
