// Which runs are alive on this host: each run leaves a small file naming its pid while it runs,
// so `purple cleanup` removes only what dead (killed) runs left behind.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LIVE_RUNS_DIR = process.env.PURPLE_STATE_DIR ?? '/run/purple';

export function markRunAlive(runId: string): void {
  mkdirSync(LIVE_RUNS_DIR, { recursive: true });
  writeFileSync(path.join(LIVE_RUNS_DIR, `${runId}.json`), JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
}

export function markRunEnded(runId: string): void {
  rmSync(path.join(LIVE_RUNS_DIR, `${runId}.json`), { force: true });
}

/** True while the process that started the run is still there. */
export function isRunAlive(runId: string): boolean {
  try {
    const { pid } = JSON.parse(readFileSync(path.join(LIVE_RUNS_DIR, `${runId}.json`), 'utf8')) as { pid: number };
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function knownRuns(): string[] {
  try {
    return readdirSync(LIVE_RUNS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}
