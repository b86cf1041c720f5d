import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { auditEvents, type AuditEvent } from '../../harness/audit/index.js';
import type { RunReport } from '../../harness/run/results.js';
import { LIVE_RUNS_DIR } from '../../harness/run/live-runs.js';

export const CLI = fileURLToPath(new URL('../../harness/cli/main.js', import.meta.url));

export function purple(args: string[], options: { reject?: boolean; timeout?: number } = {}): Promise<Result> {
  return execa('node', [CLI, ...args], { reject: options.reject ?? false, timeout: options.timeout ?? 600_000, all: true });
}

const madeDirs: string[] = [];

/** A fresh folder under the system temp dir, removed when the whole test run ends (a root-level mocha hook). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `purple-${prefix}-`));
  madeDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function readReport(dir: string): RunReport {
  return JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as RunReport;
}

export async function savedEvents(scenarioDir: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of auditEvents(createReadStream(path.join(scenarioDir, 'audit.log')))) events.push(event);
  return events;
}

/** Exe basenames from the process up through its ancestors, using only the saved events. */
export function ancestry(events: AuditEvent[], pid: number): string[] {
  const byPid = new Map<number, AuditEvent>();
  const parents = new Map<number, number>();
  for (const e of events) {
    const p = e.process.pid;
    if (p === null) continue;
    if (e.process.ppid !== null) parents.set(p, e.process.ppid);
    if (e.syscall?.startsWith('execve') || !byPid.has(p)) byPid.set(p, e);
  }
  const chain: string[] = [];
  for (let current: number | undefined = pid, i = 0; current !== undefined && i < 32; current = parents.get(current), i++) {
    const exe = byPid.get(current)?.process.exe;
    if (exe) chain.push(path.basename(exe));
  }
  return chain;
}

export async function leftovers(runId: string): Promise<{ containers: string; networks: string; rules: string }> {
  const label = `label=purple.run=${runId}`;
  const containers = (await execa('docker', ['ps', '-a', '-q', '--filter', label])).stdout.trim();
  const networks = (await execa('docker', ['network', 'ls', '-q', '--filter', label])).stdout.trim();
  const rules = (await execa('auditctl', ['-l'])).stdout
    .split('\n')
    .filter((l) => l.includes(`purple-${runId}`))
    .join('\n');
  return { containers, networks, rules };
}

/** The id of the run a purple process started, from its live-run file (exact even when other runs are going on). */
export function runIdOf(pid: number): string | undefined {
  for (const file of existsSync(LIVE_RUNS_DIR) ? readdirSync(LIVE_RUNS_DIR) : []) {
    try {
      if ((JSON.parse(readFileSync(path.join(LIVE_RUNS_DIR, file), 'utf8')) as { pid: number }).pid === pid) return file.replace(/\.json$/, '');
    } catch {
      // removed while reading
    }
  }
  return undefined;
}

/**
 * What a run left on this host, scoped to its own run id (neighbours' runs are not ours to judge):
 * containers, networks, audit rules, its live-run file and its work dirs under /tmp. All empty when clean.
 */
export async function leftBehind(runId: string): Promise<{ containers: string; networks: string; rules: string; liveRun: boolean; tempDirs: string[] }> {
  return {
    ...(await leftovers(runId)),
    liveRun: existsSync(path.join(LIVE_RUNS_DIR, `${runId}.json`)),
    tempDirs: readdirSync(os.tmpdir()).filter((d) => d.startsWith(`purple-${runId}`)),
  };
}

export const CLEAN = { containers: '', networks: '', rules: '', liveRun: false, tempDirs: [] as string[] };
