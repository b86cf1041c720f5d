// Human-friendly sizes ("10MB") and durations ("24h"): detector thresholds, scenario inputs and reports.
// Size units are binary: 1 KB = 1024 bytes, 1 MB = 1024 KB (KiB/MiB spellings are accepted too).

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

const DURATION_UNITS: Record<string, number> = {
  '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400, w: 604800,
};

/** Bytes from a non-negative number or a string like "10MB", "512 KiB", "1.5g". */
export function parseSize(value: unknown): number {
  return parseQuantity(value, SIZE_UNITS, 'a size such as 10485760 or "10MB"');
}

/** Seconds from a non-negative number or a string like "24h", "10m", "90s", "7d". */
export function parseDuration(value: unknown): number {
  return parseQuantity(value, DURATION_UNITS, 'a duration in seconds or like "24h", "10m"');
}

function parseQuantity(value: unknown, units: Record<string, number>, expected: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new Error(`expected ${expected}, got ${value}`);
  }
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = m ? units[m[2]!.toLowerCase()] : undefined;
    if (m && unit !== undefined) return Math.round(Number(m[1]) * unit);
  }
  throw new Error(`expected ${expected}, got ${JSON.stringify(value)}`);
}

/** "312 KB", "24.0 MB": for summaries. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** "3m 20s", "2h 5m": for summaries. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
