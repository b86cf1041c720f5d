// Audit parser speed and memory against the reference C implementation (ausearch), side by side on one
// generated ~1M-line log built from this host's real audit output (/var/log/audit/audit.log) by replaying
// its lines with shifted timestamps and serials. Goal: `purple events` >= 2x faster than `ausearch -i`,
// peak RSS < 300 MB.
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_LOG = '/var/log/audit/audit.log';
const TARGET_LINES = Number(process.env.PURPLE_BENCH_AUDIT_LINES ?? 1_000_000);
const CLI = fileURLToPath(new URL('../harness/cli/main.js', import.meta.url));
const HEADER = /audit\((\d+)\.(\d+):(\d+)\)/;

interface Measured {
  seconds: number;
  maxRssMb: number | null;
}

/** Writes TARGET_LINES lines: the source log repeated, each copy shifted past the previous one in time and serial. */
async function generateLog(file: string): Promise<{ lines: number; bytes: number; records: number }> {
  const source = readFileSync(SOURCE_LOG, 'utf8').split('\n').filter((l) => HEADER.test(l));
  if (source.length < 100) throw new Error(`${SOURCE_LOG} has only ${source.length} records; generate some audit activity first`);
  const parsed = source.map((l) => {
    const m = HEADER.exec(l)!;
    return { before: l.slice(0, m.index), after: l.slice(m.index + m[0].length), sec: Number(m[1]), ms: m[2]!, serial: Number(m[3]) };
  });
  const secSpan = parsed[parsed.length - 1]!.sec - parsed[0]!.sec + 1;
  const serialSpan = Math.max(...parsed.map((p) => p.serial)) + 1;
  const out = createWriteStream(file);
  let lines = 0;
  for (let copy = 0; lines < TARGET_LINES; copy++) {
    let chunk = '';
    for (const p of parsed) {
      if (lines >= TARGET_LINES) break;
      chunk += `${p.before}audit(${p.sec + copy * secSpan}.${p.ms}:${p.serial + copy * serialSpan})${p.after}\n`;
      lines++;
    }
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { lines, bytes: statSync(file).size, records: lines };
}

/** Runs a command with stdout to /dev/null, under /usr/bin/time -v when available for peak RSS. */
function measure(cmd: string, args: string[]): Promise<Measured> {
  const timeV = existsSync('/usr/bin/time');
  const argv = timeV ? ['-v', cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const devNull = openSync('/dev/null', 'w');
    const child = spawn(timeV ? '/usr/bin/time' : cmd, argv, { stdio: ['ignore', devNull, 'pipe'] });
    closeSync(devNull);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0 && !(cmd === 'ausearch' && code === 1)) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
        return;
      }
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ seconds, maxRssMb: rss ? Number(rss[1]) / 1024 : null });
    });
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'purple-audit-bench-'));
  try {
    const log = path.join(dir, 'audit.log');
    const gen = await generateLog(log);
    const mb = gen.bytes / 1e6;
    console.log(`log: ${gen.lines} lines, ${mb.toFixed(1)} MB (replayed from ${SOURCE_LOG})`);

    const purple = await measure(process.execPath, [CLI, 'events', '--audit-log', log, '--format', 'jsonl']);
    const interp = await measure('ausearch', ['-i', '--input', log]);
    const raw = await measure('ausearch', ['--raw', '--input', log]);

    const row = (name: string, m: Measured) =>
      `${name.padEnd(28)} ${m.seconds.toFixed(2).padStart(6)} s  ${(gen.records / m.seconds / 1e3).toFixed(0).padStart(5)} k records/s  ${(mb / m.seconds).toFixed(1).padStart(6)} MB/s  peak RSS ${m.maxRssMb === null ? 'n/a' : m.maxRssMb.toFixed(0) + ' MB'}`;
    console.log(row('purple events --format jsonl', purple));
    console.log(row('ausearch -i', interp));
    console.log(row('ausearch --raw', raw));
    const ratioI = interp.seconds / purple.seconds;
    const ratioR = raw.seconds / purple.seconds;
    console.log(`speed vs ausearch -i: ${ratioI.toFixed(2)}x (goal >= 2x: ${ratioI >= 2 ? 'met' : 'NOT met'})`);
    console.log(`speed vs ausearch --raw: ${ratioR.toFixed(2)}x`);
    if (purple.maxRssMb !== null) console.log(`peak RSS: ${purple.maxRssMb.toFixed(0)} MB (goal < 300 MB: ${purple.maxRssMb < 300 ? 'met' : 'NOT met'})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
