// The whole shipped suite, warm images, in parallel: wall time of the suite and of each scenario,
// and how long after its last step each scenario's telemetry was complete (collection + cleanup).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { RunReport } from '../harness/run/results.js';

const CLI = fileURLToPath(new URL('../harness/cli/main.js', import.meta.url));

export async function run(): Promise<void> {
  await execa('node', [CLI, 'images', 'build'], { stdio: 'inherit' });
  const out = mkdtempSync(path.join(os.tmpdir(), 'purple-bench-suite-'));
  const parallel = process.env.PURPLE_BENCH_PARALLEL ?? '4';
  const started = Date.now();
  const r = await execa('node', [CLI, 'run', '--parallel', parallel, '--out', out, '--quiet'], { reject: false });
  const wall = (Date.now() - started) / 1000;
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as RunReport;
  console.log(`suite: ${report.scenarios.length} scenarios, --parallel ${parallel}: ${wall.toFixed(1)} s wall (target < 30 s), exit ${r.exitCode}`);
  for (const s of report.scenarios) {
    const total = (Date.parse(s.finished) - Date.parse(s.started)) / 1000;
    const steps = s.steps.filter((st) => !st.name.startsWith('cleanup: '));
    const lastStep = steps.length ? Math.max(...steps.map((st) => Date.parse(st.finished))) : Date.parse(s.started);
    const afterLast = (Date.parse(s.finished) - lastStep) / 1000;
    console.log(`  ${s.id.padEnd(36)} ${total.toFixed(1).padStart(5)} s  telemetry complete + cleanup ${afterLast.toFixed(1)} s after the last step  ${s.verdict}`);
  }
  rmSync(out, { recursive: true, force: true });
}
