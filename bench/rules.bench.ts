// Sigma cost: replay of the same million-line audit log as replay.bench, with the built-in detectors alone and with
// every public SigmaHQ Linux rule loaded beside them (../shared/sigma/rules). Budget: at most 2x the time, peak RSS
// under 300 MB. The time compared is CPU time (user + system), which a busy machine does not inflate; wall time is shown.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './replay.bench.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(repoRoot, 'dist/harness/cli/main.js');
const RULES = path.resolve(process.env.PURPLE_SHARED_DIR ?? path.join(repoRoot, '..', 'shared'), 'sigma', 'rules');

interface Measured {
  seconds: number;
  /** User + system CPU seconds (null without GNU time). */
  cpuSeconds: number | null;
  rssMb: number | null;
  alerts: number;
  ruleAlerts: number;
}

function replay(log: string, extra: string[]): Measured {
  const time = existsSync('/usr/bin/time');
  const args = [...(time ? ['-v', process.execPath] : []), CLI, 'replay', '--audit-log', log, '--format', 'json', ...extra];
  const started = process.hrtime.bigint();
  const r = spawnSync(time ? '/usr/bin/time' : process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 29 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout) as { alerts: unknown[]; ruleAlerts: unknown[] };
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const cpuSeconds = user && system ? Number(user[1]) + Number(system[1]) : null;
  return { seconds, cpuSeconds, rssMb: rss ? Number(rss[1]) / 1024 : null, alerts: out.alerts.length, ruleAlerts: out.ruleAlerts.length };
}

export async function run(): Promise<void> {
  if (!existsSync(RULES)) {
    console.log(`skipped: no Sigma rules at ${RULES} (set PURPLE_SHARED_DIR)`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'purple-rules-bench-'));
  try {
    const log = path.join(dir, 'audit.log');
    const lines = await generate(log);
    const builtin = replay(log, []);
    const rules = replay(log, ['--rules', RULES]);
    const cost = (m: Measured) => m.cpuSeconds ?? m.seconds;
    const ratio = cost(rules) / cost(builtin);
    const mb = (x: number | null) => (x === null ? 'unknown' : `${x.toFixed(0)} MB`);
    const time = (m: Measured) => `${m.cpuSeconds === null ? '' : `${m.cpuSeconds.toFixed(2)} s CPU, `}${m.seconds.toFixed(2)} s wall`;
    console.log(`log: ${lines} lines`);
    console.log(`built-ins alone: ${time(builtin)}, peak RSS ${mb(builtin.rssMb)}, ${builtin.alerts} alerts`);
    console.log(`built-ins + SigmaHQ Linux rules: ${time(rules)}, peak RSS ${mb(rules.rssMb)}, ${rules.alerts} built-in alerts, ${rules.ruleAlerts} rule alerts`);
    console.log(`cost of the rules: ${ratio.toFixed(2)}x the built-ins-only ${builtin.cpuSeconds === null ? 'wall' : 'CPU'} time (budget 2x): ${ratio <= 2 ? 'within' : 'OVER'}; peak RSS ${rules.rssMb !== null && rules.rssMb < 300 ? 'within' : 'OVER'} the 300 MB budget`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
