// The whole shipped suite, warm images, in parallel, several times in a row: wall time of the suite
// and of each scenario, how long after its last step each scenario was done (telemetry settled,
// artifacts read, cleanup), and per round the peak memory of the purple process and anything left behind.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { RunReport } from '../harness/run/results.js';
import { renderDetectionQuality } from '../reports/detection-quality.js';

const CLI = fileURLToPath(new URL('../harness/cli/main.js', import.meta.url));
const ROUNDS = Number(process.env.PURPLE_BENCH_ROUNDS ?? 3);
const PARALLEL = process.env.PURPLE_BENCH_PARALLEL ?? '4';

async function leftovers(): Promise<string> {
  const containers = (await execa('docker', ['ps', '-a', '-q', '--filter', 'label=purple.run'])).stdout.split('\n').filter(Boolean).length;
  const networks = (await execa('docker', ['network', 'ls', '-q', '--filter', 'label=purple.run'])).stdout.split('\n').filter(Boolean).length;
  const rules = (await execa('auditctl', ['-l'])).stdout.split('\n').filter((l) => l.includes('key=purple-')).length;
  const tmp = readdirSync(os.tmpdir()).filter((f) => f.startsWith('purple-') && !f.startsWith('purple-bench-')).length;
  return `${containers} containers, ${networks} networks, ${rules} audit rules, ${tmp} temp entries`;
}

export async function run(): Promise<void> {
  await execa('node', [CLI, 'images', 'build'], { stdio: 'inherit' });
  console.log(`before: ${await leftovers()}`);
  for (let round = 1; round <= ROUNDS; round++) {
    const out = mkdtempSync(path.join(os.tmpdir(), 'purple-bench-suite-'));
    const started = Date.now();
    const r = await execa('/usr/bin/time', ['-v', 'node', CLI, 'run', '--parallel', PARALLEL, '--out', out, '--quiet'], { reject: false });
    const wall = (Date.now() - started) / 1000;
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as RunReport;
    console.log(
      `round ${round}: ${report.scenarios.length} scenarios, --parallel ${PARALLEL}: ${wall.toFixed(1)} s wall (target < 30 s), ` +
        `peak RSS ${(rssKb / 1024).toFixed(0)} MB, exit ${r.exitCode}; left behind: ${await leftovers()}`,
    );
    if (round === 1) {
      const overheads: number[] = [];
      for (const s of report.scenarios) {
        const total = (Date.parse(s.finished) - Date.parse(s.started)) / 1000;
        const steps = s.steps.filter((st) => !st.name.startsWith('cleanup: '));
        const lastStep = steps.length ? Math.max(...steps.map((st) => Date.parse(st.finished))) : Date.parse(s.started);
        const afterLast = (Date.parse(s.finished) - lastStep) / 1000;
        // Overhead: the scenario's time not spent in its own steps (containers, rules, telemetry, artifacts, cleanup).
        const inSteps = steps.reduce((n, st) => n + (Date.parse(st.finished) - Date.parse(st.started)) / 1000, 0);
        overheads.push(total - inSteps);
        console.log(
          `  ${s.id.padEnd(44)} ${total.toFixed(1).padStart(5)} s, overhead ${(total - inSteps).toFixed(1).padStart(4)} s, ` +
            `done ${afterLast.toFixed(1)} s after its last step  ${s.verdict}`,
        );
      }
      const mean = overheads.reduce((a, b) => a + b, 0) / Math.max(1, overheads.length);
      console.log(
        `  per-scenario overhead: mean ${mean.toFixed(1)} s, max ${Math.max(...overheads).toFixed(1)} s; ` +
          `suite wall per scenario ${(wall / report.scenarios.length).toFixed(2)} s at --parallel ${PARALLEL}`,
      );
      process.stdout.write(renderDetectionQuality(report).replace(/^/gm, '  '));
    }
    rmSync(out, { recursive: true, force: true });
  }
}
