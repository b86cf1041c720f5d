// Memory and time against hostile inputs (issue 13), each in a fresh `purple` process under /usr/bin/time -v:
// a 600 MB audit log with no newline (`purple events`, `purple replay`), a 6 GB sparse file named in an audit log
// and read under `replay --root`, and (when sshd is installed) an ssh:// step printing 700 MB. Goal: peak RSS
// under 300 MB for each, and no read longer than its limits.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../harness/cli/main.js', import.meta.url));
const GOAL_MB = 300;

const CREATE_BIG = [
  'type=SYSCALL msg=audit(1700000000.000:2): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=0 a2=241 a3=1b6 items=2 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="truncate" exe="/usr/bin/truncate" key="k"',
  'type=CWD msg=audit(1700000000.000:2): cwd="/"',
  'type=PATH msg=audit(1700000000.000:2): item=0 name="/tmp/" inode=1 dev=00:01 mode=041777 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
  'type=PATH msg=audit(1700000000.000:2): item=1 name="/tmp/big" inode=2 dev=00:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
  'type=EOE msg=audit(1700000000.000:2): ',
  '',
].join('\n');

function measure(args: string[]): Promise<{ seconds: number; rssMb: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-20_000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, rssMb: kb / 1024, code });
    });
  });
}

function report(name: string, m: { seconds: number; rssMb: number }): void {
  console.log(`${name.padEnd(46)} ${m.seconds.toFixed(1).padStart(6)} s  peak RSS ${m.rssMb.toFixed(0).padStart(4)} MB (goal < ${GOAL_MB} MB: ${m.rssMb < GOAL_MB ? 'met' : 'NOT met'})`);
}

export async function run(): Promise<void> {
  if (!existsSync('/usr/bin/time')) {
    console.log('skipped: /usr/bin/time is needed for peak RSS');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'purple-hostile-bench-'));
  try {
    const log = path.join(dir, 'no-newline.log');
    const fd = openSync(log, 'w');
    const block = Buffer.alloc(1 << 20, 'A');
    for (let i = 0; i < 600; i++) writeSync(fd, block);
    writeSync(fd, `\n${CREATE_BIG}`);
    closeSync(fd);
    report('purple events, 600 MB line with no newline', await measure(['events', '--audit-log', log]));
    report('purple replay, 600 MB line with no newline', await measure(['replay', '--audit-log', log, '--format', 'json']));

    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'tmp'), { recursive: true });
    writeFileSync(path.join(root, 'tmp/big'), '');
    truncateSync(path.join(root, 'tmp/big'), 6 * 1024 ** 3);
    const created = path.join(dir, 'created.log');
    writeFileSync(created, CREATE_BIG);
    report('purple replay --root, a 6 GB file', await measure(['replay', '--audit-log', created, '--root', root, '--format', 'json']));

    if (existsSync('/usr/sbin/sshd') && process.getuid?.() === 0) {
      const { startSshd } = await import('../test/targets/sshd.js');
      const sshd = await startSshd();
      try {
        const scenarios = path.join(dir, 'scenarios');
        mkdirSync(path.join(scenarios, 'loud-step'), { recursive: true });
        writeFileSync(
          path.join(scenarios, 'loud-step', 'scenario.yaml'),
          `id: loud-step
name: "Bench: a step printing 700 MB on an ssh:// host"
description: Written by the hostile-input bench.
analytic: AN1214
technique: T1560.003
kind: emulation
platforms: [host]
requires: []
containers: [victim]
steps:
  - {name: print, container: victim, user: root, run: "yes x | head -c 700000000", timeout: 120s}
timeout: 180s
expect:
  AN1214: alert
`,
        );
        const out = path.join(dir, 'out');
        const m = await measure(['run', '--scenarios', scenarios, '--target', sshd.target, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts, '--out', out, '--quiet']);
        report('purple run ssh://, a step printing 700 MB', m);
      } finally {
        await sshd.stop();
      }
    } else console.log('ssh:// step output: skipped (needs root and /usr/sbin/sshd)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
