// An `ssh://` host where a local user is hostile (issue 13), for real: a loopback sshd, and an unprivileged local
// account (games) that polls for the run's work dirs while the run goes on and tries to pre-create folders, plant
// a program root will run, swap the padded binary another account runs, and point {{workdir}}/home/alice at
// someone else's files so a cleanup deletes them. None of it may get through: root runs nothing the user could
// replace, deletes nothing outside, the scenarios still pass. Also: a root step through a folder a user owns is
// refused, and a step printing 700 MB keeps purple's memory bounded.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { CLI, readReport, runIdOf, tempDir } from '../run/helpers.js';
import { startSshd, type TestSshd } from './sshd.js';

const USER_MAP = ['--user-map', 'alice=nobody', '--user-map', 'svc-app=www-data'];
const ATTACKER = 'games';

/** Polls for this run's work dirs and tries every trick on each; logs what it saw and anything that worked. */
const ATTACK = `
log=$1; evil=$2; other=$3; run=$4
end=$(( $(date +%s) + 240 ))
while [ "$(date +%s)" -lt "$end" ]; do
  for w in /tmp/purple-"$run"-*; do
    [ -d "$w" ] || continue
    grep -qxF "seen $w" "$log" || echo "seen $w" >> "$log"
    for d in usr usr/local usr/local/bin home tmp tmp/.cache var var/tmp var/tmp/.x11-cache dev dev/shm home/alice/Documents; do
      mkdir "$w/$d" 2>/dev/null && echo "mkdir $w/$d" >> "$log"
    done
    ln -s "$other" "$w/home/alice" 2>/dev/null && echo "symlink $w/home/alice" >> "$log"
    cp "$evil" "$w/usr/local/bin/inventory-agent" 2>/dev/null && echo "planted $w/usr/local/bin/inventory-agent" >> "$log"
    for f in tmp/.cache/update-agent var/tmp/.x11-cache/libxcache.so home/alice/Documents/x; do
      cp "$evil" "$w/$f.new" 2>/dev/null && echo "wrote $w/$f.new" >> "$log"
      mv -f "$w/$f.new" "$w/$f" 2>/dev/null && echo "swapped $w/$f" >> "$log"
      [ -e "$w/$f" ] && cat "$evil" 2>/dev/null > "$w/$f" && echo "overwrote $w/$f" >> "$log"
    done
  done
  sleep 0.05
done
`;

function hostScenario(dir: string, id: string, steps: { user: string; run: string }[], cleanup: { user: string; run: string }[] = []): void {
  mkdirSync(path.join(dir, id));
  const yaml = (list: { user: string; run: string }[]) =>
    list.map((s, i) => `  - name: step ${i + 1}\n    container: victim\n    user: ${s.user}\n    run: ${JSON.stringify(s.run)}\n    timeout: 60s`).join('\n');
  writeFileSync(
    path.join(dir, id, 'scenario.yaml'),
    `id: ${id}
name: "Hostile host: ${id}"
description: A throw-away scenario written by a test.
analytic: AN1214
technique: T1560.003
kind: emulation
platforms: [host]
requires: []
containers: [victim]
steps:
${yaml(steps)}
${cleanup.length ? `cleanup:\n${yaml(cleanup)}\n` : ''}timeout: 120s
expect:
  AN1214: alert
`,
  );
}

describe('purple run --target ssh:// with a hostile local user racing the run', function () {
  let sshd: TestSshd;
  const ssh = () => ['--target', sshd.target, '--identity', sshd.identity, '--known-hosts', sshd.knownHosts];

  before(async function () {
    sshd = await startSshd();
  });
  after(async function () {
    await sshd?.stop();
  });

  it('gets nothing through: no folder pre-created, nothing planted or swapped, nothing outside deleted; scenarios still pass', async function () {
    const lair = tempDir('attacker');
    chmodSync(lair, 0o755);
    const { uid, gid } = await execa('id', ['-u', ATTACKER]).then(async (u) => ({ uid: Number(u.stdout), gid: Number((await execa('id', ['-g', ATTACKER])).stdout) }));
    const evil = path.join(lair, 'evil.sh');
    writeFileSync(evil, `#!/bin/sh\nid -u > ${lair}/pwned-$(id -u)-$$ 2>/dev/null\n`, { mode: 0o755 });
    const log = path.join(lair, 'log');
    writeFileSync(log, '');
    chownSync(lair, uid, gid);
    chownSync(log, uid, gid);
    // Someone else's files that a cleanup through a planted symlink would delete.
    const other = tempDir('other-user');
    mkdirSync(path.join(other, 'Documents'));
    writeFileSync(path.join(other, 'Documents', 'keep.txt'), 'keep');

    const out = tempDir('ssh-hostile');
    const scenarios = ['an1529-benign-root-install', 'an1529-padded-binary-exec', 'an1214-python-xor-archive'];
    const child = spawn('node', [CLI, 'run', ...scenarios, ...ssh(), ...USER_MAP, '--parallel', '3', '--out', out, '--quiet'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let runId: string | undefined;
    for (const until = Date.now() + 30_000; !runId && Date.now() < until; ) {
      runId = runIdOf(child.pid!);
      if (!runId) await new Promise((r) => setTimeout(r, 10));
    }
    expect(runId, 'the run id from its live-run file').to.be.a('string');
    const attacker = spawn('runuser', ['-u', ATTACKER, '--', 'sh', '-c', ATTACK, 'attack', log, evil, other, runId!], { stdio: 'ignore' });
    try {
      const code = await exited;
      const report = readReport(out);
      const wrong = report.scenarios.flatMap((s) => s.verdicts.filter((v) => !['detected', 'quiet'].includes(v.verdict)).map((v) => `${s.id}: ${v.verdict}: ${v.reason} ${s.error ?? ''}`));
      expect(wrong).to.deep.equal([]);
      expect(code).to.equal(0);
    } finally {
      attacker.kill('SIGKILL');
      await execa('pkill', ['-KILL', '-u', ATTACKER, '-f', `^sh -c .*attack ${log}`], { reject: false });
    }
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('seen ')).length, 'the attacker saw the work dirs').to.be.at.least(scenarios.length - 1);
    expect(lines.filter((l) => !l.startsWith('seen '))).to.deep.equal([]);
    expect(readdirSync(lair).filter((f) => f.startsWith('pwned-'))).to.deep.equal([]);
    expect(readFileSync(path.join(other, 'Documents', 'keep.txt'), 'utf8')).to.equal('keep');
    expect(readdirSync('/tmp').filter((d) => d.startsWith(`purple-${runId}-`))).to.deep.equal([]);
  });

  it("refuses a root step that goes through a folder a user owns, and bounds a 700 MB step's output", async function () {
    const dir = tempDir('ssh-hostile-scenarios');
    hostScenario(dir, 'root-through-user-folder', [
      { user: 'alice', run: 'mkdir -p {{workdir}}/home/alice/x && echo hi > {{workdir}}/home/alice/x/f' },
      { user: 'root', run: 'rm -rf {{workdir}}/home/alice/x' },
    ]);
    hostScenario(dir, 'loud-step', [{ user: 'alice', run: 'yes x | head -c 700000000; echo; echo the-end' }]);
    const out = tempDir('ssh-hostile-out');
    const r = await execa('/usr/bin/time', ['-v', 'node', CLI, 'run', '--scenarios', dir, ...ssh(), ...USER_MAP, '--parallel', '1', '--out', out, '--quiet'], { reject: false, all: true, timeout: 300_000 });
    expect(existsSync(path.join(out, 'report.json')), String(r.all)).to.equal(true);
    const report = readReport(out);
    const refused = report.scenarios.find((s) => s.id === 'root-through-user-folder')!;
    expect(refused.error, String(r.all)).to.match(/refused to run a root step through \/tmp\/purple-[^ ]+\/home\/alice belongs to nobody/);
    const loud = report.scenarios.find((s) => s.id === 'loud-step')!;
    expect(loud.error, String(r.all)).to.equal(null);
    expect(loud.steps[0]!.stdoutTail.length).to.be.at.most(4096);
    expect(loud.steps[0]!.stdoutTail).to.match(/x\n\nthe-end\n$/);
    const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(String(r.all))?.[1]);
    expect(rssKb / 1024, 'peak RSS in MB').to.be.below(300);
    expect(existsSync(path.join(out, 'report.json'))).to.equal(true);
  });
});
