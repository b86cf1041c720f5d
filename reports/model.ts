// Formatting shared by the renderers: latencies, ratios, durations. What the verdicts mean (grouping,
// outcomes, coverage, waivers, exit code) is decided in harness/run/judge/, never here.

/** "1.2 s", or across repetitions "0.8–1.4 s"; "—" when nothing fired. */
export function latencyLabel(latencies: (number | null)[]): string {
  const values = latencies.filter((l): l is number => l !== null);
  if (!values.length) return '—';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? formatMs(min) : `${formatMs(min)}–${formatMs(max)}`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatRatio(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(2);
}

export function durationSeconds(start: string, end: string): number {
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}
