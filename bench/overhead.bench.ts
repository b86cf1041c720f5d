// `npm run bench overhead`: the harness's own cost per scenario (issue 19). Runs the whole shipped
// suite once with --parallel 4 (PURPLE_BENCH_PARALLEL) and sums each scenario's phases from
// report.json (timing, on a monotonic clock): wall time against the time spent in the steps, the
// overhead (scenario time not spent in steps) and where it goes. Target: overhead <= 25 %.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { RunReport } from '../harness/run/results.js';
import { PHASES, type Phase } from '../harness/run/phases.js';

const CLI = fileURLToPath(new URL('../harness/cli/main.js', import.meta.url));
const PARALLEL = process.env.PURPLE_BENCH_PARALLEL ?? '4';
const TARGET_PERCENT = 25;

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (part: number, whole: number) => `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0.0'} %`;

/** What the run left on this host, by its own run id only (other runs may share the machine). */
async function leftovers(runId: string): Promise<string> {
  const label = `label=purple.run=${runId}`;
  const containers = (await execa('docker', ['ps', '-a', '-q', '--filter', label])).stdout.split('\n').filter(Boolean).length;
  const networks = (await execa('docker', ['network', 'ls', '-q', '--filter', label])).stdout.split('\n').filter(Boolean).length;
  const rules = (await execa('auditctl', ['-l'])).stdout.split('\n').filter((l) => l.includes(`key=purple-${runId}`)).length;
  return `${containers} containers, ${networks} networks, ${rules} audit rules`;
}

export async function run(): Promise<void> {
  await execa('node', [CLI, 'images', 'build'], { stdio: 'inherit' });
  const out = mkdtempSync(path.join(os.tmpdir(), 'purple-bench-overhead-'));
  try {
    const started = performance.now();
    const r = await execa('node', [CLI, 'run', '--parallel', PARALLEL, '--out', out, '--quiet'], { reject: false });
    const wall = performance.now() - started;
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as RunReport;
    const timed = report.scenarios.filter((x) => x.timing);
    const total = (phase: Phase, of: 'phasesMs' | 'aheadMs' = 'phasesMs') => timed.reduce((n, x) => n + (x.timing![of]?.[phase] ?? 0), 0);
    const scenarioMs = timed.reduce((n, x) => n + x.timing!.totalMs, 0);
    const stepMs = total('steps');
    const withCleanupSteps = stepMs + total('cleanupSteps');
    const verdicts = new Map<string, number>();
    for (const x of report.scenarios) verdicts.set(x.verdict, (verdicts.get(x.verdict) ?? 0) + 1);

    console.log(`${report.scenarios.length} scenarios, --parallel ${PARALLEL}, ${os.cpus().length} cores: exit ${r.exitCode}; ${[...verdicts].map(([v, n]) => `${n} ${v}`).join(', ')}`);
    console.log(`  wall time                ${s(wall).padStart(8)}`);
    console.log(`  sum of step time         ${s(stepMs).padStart(8)}   (declared cleanup steps: ${s(total('cleanupSteps'))} more)`);
    console.log(`  sum of scenario time     ${s(scenarioMs).padStart(8)}`);
    const overhead = scenarioMs - stepMs;
    console.log(
      `  overhead                 ${pct(overhead, scenarioMs).padStart(8)}   (scenario time not in steps; target <= ${TARGET_PERCENT} %: ` +
        `${(100 * overhead) / scenarioMs <= TARGET_PERCENT ? 'met' : 'not met'}; ${pct(scenarioMs - withCleanupSteps, scenarioMs)} if cleanup steps count as steps)`,
    );
    console.log('  per phase (sum over scenarios, within scenario time):');
    let accounted = 0;
    for (const phase of PHASES) {
      const ms = total(phase);
      accounted += ms;
      if (ms > 0) console.log(`    ${phase.padEnd(14)} ${s(ms).padStart(8)}  ${pct(ms, scenarioMs).padStart(7)}`);
    }
    console.log(`    ${'between'.padEnd(14)} ${s(scenarioMs - accounted).padStart(8)}  ${pct(scenarioMs - accounted, scenarioMs).padStart(7)}`);
    const ahead = PHASES.map((p) => [p, total(p, 'aheadMs')] as const).filter(([, ms]) => ms > 0);
    if (ahead.length) {
      console.log('  prepared ahead by the warm pool (outside scenario time, overlapping other scenarios):');
      for (const [phase, ms] of ahead) console.log(`    ${phase.padEnd(14)} ${s(ms).padStart(8)}`);
    }
    console.log('  per scenario: total, steps, overhead');
    for (const x of timed) {
      const t = x.timing!;
      const steps = t.phasesMs.steps ?? 0;
      console.log(`    ${x.id.padEnd(46)} ${s(t.totalMs).padStart(7)} ${s(steps).padStart(7)} ${pct(t.totalMs - steps, t.totalMs).padStart(7)}  ${x.verdict}`);
    }
    console.log(`  left behind by run ${report.run_id}: ${await leftovers(report.run_id)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
