// Replay throughput and memory: a million audit records (real lines from this host's audit log, replicated with
// shifted timestamps and serials) through the parser and the detection engine, via the compiled CLI.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET_LINES = 1_000_000;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(repoRoot, 'dist/harness/cli/main.js');
const STAMP = /msg=audit\((\d+)\.(\d+):(\d+)\)/;

const PIDS = /\b(pid|ppid)=(\d+)/g;

/** This host's live audit log plus the AIT benign-server capture, in time order per source. */
function sourceLines(): string[] {
  const sources = ['/var/log/audit/audit.log', path.resolve(repoRoot, '../shared/auditd-corpus/ait-lds-v2-audit-sample/russelmitchell_intranet_server_audit.log')];
  const lines: string[] = [];
  for (const file of sources) {
    if (!existsSync(file)) continue;
    lines.push(...readFileSync(file, 'utf8').split('\n').filter((l) => STAMP.test(l)).slice(-50_000));
  }
  return lines;
}

export async function generate(file: string): Promise<number> {
  const lines = sourceLines();
  const stamps = lines.map((l) => STAMP.exec(l)!);
  const seconds = stamps.map((m) => Number(m[1]));
  const serials = stamps.map((m) => Number(m[3]));
  const span = Math.max(...seconds) - Math.min(...seconds) + 1;
  const serialSpan = Math.max(...serials) - Math.min(...serials) + 1;
  const out = createWriteStream(file);
  let written = 0;
  for (let copy = 0; written < TARGET_LINES; copy++) {
    let chunk = '';
    for (const line of lines) {
      if (written >= TARGET_LINES) break;
      // Each copy is later in time, with new serials and new pids (so the process tables fill up to their caps).
      chunk +=
        line
          .replace(STAMP, (_m, s: string, ms: string, serial: string) => `msg=audit(${Number(s) + copy * span}.${ms}:${Number(serial) + copy * serialSpan})`)
          .replace(PIDS, (_m, k: string, pid: string) => `${k}=${(Number(pid) + copy * 40_000) % 4_194_304}`) + '\n';
      written++;
    }
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return written;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'purple-replay-bench-'));
  try {
    const log = path.join(dir, 'audit.log');
    const lines = await generate(log);
    const mb = statSync(log).size / 1e6;
    const time = existsSync('/usr/bin/time');
    const cmd = time ? '/usr/bin/time' : process.execPath;
    const args = [...(time ? ['-v', process.execPath] : []), CLI, 'replay', '--audit-log', log, '--format', 'json'];
    const started = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(r.stdout) as { alerts: unknown[]; stats: { audit: { events: number; malformed: number }; engine: { detectors: Record<string, Record<string, number>> } } };
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    console.log(`log: ${lines} lines, ${mb.toFixed(0)} MB, ${out.stats.audit.events} events, ${out.stats.audit.malformed} malformed`);
    console.log(`replay (parser + 3 detectors): ${seconds.toFixed(2)} s, ${Math.round(lines / seconds).toLocaleString('en-US')} records/s, ${(mb / seconds).toFixed(1)} MB/s`);
    console.log(`peak RSS: ${rss ? `${(Number(rss[1]) / 1024).toFixed(0)} MB` : 'unknown (/usr/bin/time missing)'}; alerts: ${out.alerts.length}`);
    const procs = Object.entries(out.stats.engine.detectors).map(([id, s]) => `${id} ${s.processes}`).join(', ');
    console.log(`process table sizes at the end (bounded): ${procs}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
