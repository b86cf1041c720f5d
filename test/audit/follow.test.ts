// followLines and `purple events --follow` against a temp file that is appended to, rotated and truncated.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { followLines } from '../../harness/audit/index.js';
import { repoRoot } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function userEvent(serial: number, exe: string): string {
  return `type=USER_CMD msg=audit(1700000000.${String(serial).padStart(3, '0')}:${serial}): pid=${serial} uid=0 auid=0 ses=1 msg='cwd="/" cmd=6C73 exe="${exe}" terminal=pts/0 res=success'\n`;
}

/** Collects what an async iterator yields until `until` holds or the timeout passes. */
async function collect(iter: AsyncIterator<string>, got: string[], until: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!until()) {
    if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(got)}`);
    const next = await Promise.race([iter.next(), sleep(200).then(() => null)]);
    if (next && !next.done) got.push(next.value);
  }
}

describe('followLines (tail -F)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'purple-follow-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts at the end, then follows appends, rotation (rename + new file) and truncation', async () => {
    const file = path.join(dir, 'audit.log');
    writeFileSync(file, 'old line\n');
    const abort = new AbortController();
    const got: string[] = [];
    // A consumer that keeps reading, as a collector does (a generator only polls while it is being read).
    const pump = (async () => {
      for await (const line of followLines(file, { signal: abort.signal, pollMs: 20 })) got.push(line);
    })();
    const until = async (n: number) => {
      for (let i = 0; i < 250 && got.length < n; i++) await sleep(20);
      expect(got.length, JSON.stringify(got)).to.be.at.least(n);
    };
    await sleep(100);
    appendFileSync(file, 'a1\na2 partial');
    await sleep(60);
    appendFileSync(file, ' done\n');
    await until(2);
    expect(got).to.deep.equal(['a1', 'a2 partial done']);

    // Rotation: lines written to the old file before we notice the rename must not be lost.
    appendFileSync(file, 'b1 before rotate\n');
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'b2 late write to the rotated file\n');
    writeFileSync(file, 'c1 new file\n');
    await until(5);
    expect(got.slice(2)).to.deep.equal(['b1 before rotate', 'b2 late write to the rotated file', 'c1 new file']);

    truncateSync(file, 0);
    await sleep(100);
    appendFileSync(file, 'd1 after truncate\n');
    await until(6);
    expect(got[5]).to.equal('d1 after truncate');

    abort.abort();
    await pump; // ends cleanly on abort
  });

  it('reads every file in order when the log rotates several times while one file is read (a busy host)', async () => {
    const file = path.join(dir, 'audit.log');
    writeFileSync(file, '');
    const abort = new AbortController();
    const gaps: string[] = [];
    const got: string[] = [];
    // A consumer that can fall behind: while paused it pulls nothing, so the generator reads nothing.
    let paused = false;
    const pump = (async () => {
      for await (const line of followLines(file, { signal: abort.signal, fromStart: true, pollMs: 20, onGap: (m) => gaps.push(m) })) {
        got.push(line);
        while (paused && !abort.signal.aborted) await sleep(10);
      }
    })();
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 500 && !cond(); i++) await sleep(20);
      expect(cond(), JSON.stringify(got)).to.equal(true);
    };
    // auditd's rotation with num_logs 4: audit.log.3 <- .2 <- .1 <- audit.log <- a new file; .3 is dropped.
    const rotate = (lines: string) => {
      rmSync(`${file}.3`, { force: true });
      for (let n = 3; n >= 1; n--) {
        try {
          renameSync(n === 1 ? file : `${file}.${n - 1}`, `${file}.${n}`);
        } catch {
          /* not there yet */
        }
      }
      writeFileSync(file, lines);
    };
    await sleep(100);
    paused = true;
    appendFileSync(file, 'f0 line\n');
    await until(() => got.length === 1);
    appendFileSync(file, 'f0 tail\n');
    rotate('f1 line\n');
    rotate('f2 line\n');
    rotate('f3 line\n');
    paused = false;
    await until(() => got.length >= 5);
    expect(got).to.deep.equal(['f0 line', 'f0 tail', 'f1 line', 'f2 line', 'f3 line']);
    expect(gaps).to.deep.equal([]);

    // The file being read is dropped before it is finished: the open handle still reads it to its end, then reading
    // resumes at the oldest file left, and the gap (a file may have come and gone in between) is said.
    paused = true;
    appendFileSync(file, 'f4 line\n');
    await until(() => got.length === 6);
    appendFileSync(file, 'f4 tail\n');
    for (const n of [5, 6, 7, 8]) rotate(`f${n} line\n`);
    paused = false;
    await until(() => got.includes('f8 line'));
    expect(got.slice(6)).to.deep.equal(['f4 tail', 'f5 line', 'f6 line', 'f7 line', 'f8 line']);
    expect(gaps).to.have.length(1);
    abort.abort();
    await pump;
  });

  it('fromStart reads existing content, and waits for a file that does not exist yet', async () => {
    const file = path.join(dir, 'later.log');
    const abort = new AbortController();
    const iter = followLines(file, { signal: abort.signal, fromStart: true, pollMs: 20 })[Symbol.asyncIterator]();
    const got: string[] = [];
    setTimeout(() => writeFileSync(file, 'x\ny\n'), 100);
    await collect(iter, got, () => got.length >= 2);
    expect(got).to.deep.equal(['x', 'y']);
    abort.abort();
  });
});

describe('purple events --follow', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'purple-follow-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints events appended across a rotation, and on SIGINT exits 0 with the summary', async () => {
    const file = path.join(dir, 'audit.log');
    writeFileSync(file, userEvent(1, '/bin/old'));
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist/harness/cli/main.js'), 'events', '--audit-log', file, '--follow'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const waitFor = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 100 && !cond(); i++) await sleep(100);
      if (!cond()) throw new Error(`timed out waiting for ${what}; stdout=${out} stderr=${err}`);
    };
    // Node start-up and the first open at the end of the file (seconds on a loaded host): wait until it holds the file.
    const holds = () => {
      try {
        return readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === file;
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    await waitFor(holds, 'the CLI to open the log');
    appendFileSync(file, userEvent(2, '/bin/first'));
    await waitFor(() => out.includes('/bin/first'), 'the first event');
    renameSync(file, `${file}.1`);
    writeFileSync(file, userEvent(3, '/bin/after-rotate'));
    await waitFor(() => out.includes('/bin/after-rotate'), 'the event after rotation');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).to.equal(0);
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { serial: number; process: { exe: string; cwd: string } });
    expect(events.map((e) => e.serial)).to.deep.equal([2, 3]); // starts at the end: event 1 was already there
    expect(events[0]!.process.cwd).to.equal('/');
    expect(err).to.match(/purple events: 2 lines, 2 records, 2 events, 0 malformed, 0 lost serials/);
  });
});
