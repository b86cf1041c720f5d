// An audit line longer than the fixed limit is counted as malformed and skipped as it streams, never held whole:
// `purple events` and `purple replay` on a 600 MB log with no newline stay far under 300 MB of memory (issue 13).
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { AuditStream, LineSplitter, MAX_LINE_BYTES, OVERLONG_LINE } from '../../harness/audit/index.js';
import { CLI, tempDir } from '../run/helpers.js';

const RECORD = 'type=SYSCALL msg=audit(1700000000.000:1): arch=c000003e syscall=59 success=yes exit=0 pid=1 ppid=0 uid=0 comm="x" exe="/bin/x" key="k"';

/** Writes `megabytes` MB of 'A' with no newline, then one good record. */
function hugeLog(megabytes: number): string {
  const file = path.join(tempDir('overlong'), 'audit.log');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(1 << 20, 'A');
  for (let i = 0; i < megabytes; i++) writeSync(fd, block);
  writeSync(fd, `\n${RECORD}\ntype=EOE msg=audit(1700000000.000:1): \n`);
  closeSync(fd);
  return file;
}

async function peakRssMb(args: string[]): Promise<{ mb: number; stderr: string; stdout: string }> {
  const r = await execa('/usr/bin/time', ['-v', 'node', CLI, ...args], { reject: false, timeout: 300_000 });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  return { mb: kb / 1024, stderr: r.stderr, stdout: r.stdout };
}

describe('overlong audit lines', function () {
  it('LineSplitter yields OVERLONG_LINE for a line past the limit, across chunks, and the next line intact', function () {
    const s = new LineSplitter(10);
    expect(s.write(Buffer.from('short\n0123456'))).to.deep.equal(['short']);
    expect(s.write(Buffer.from('789abcdef'))).to.deep.equal([]);
    expect(s.write(Buffer.from('more\nok\n'))).to.deep.equal([OVERLONG_LINE, 'ok']);
    expect(s.write(Buffer.from('x'.repeat(30)))).to.deep.equal([]);
    expect(s.end()).to.deep.equal([OVERLONG_LINE]);
    const t = new LineSplitter(10);
    expect(t.write('abc\n' + 'y'.repeat(25))).to.deep.equal(['abc']);
    expect(t.write('z\nfine')).to.deep.equal([OVERLONG_LINE]);
    expect(t.end()).to.deep.equal(['fine']);
  });

  it('AuditStream counts an overlong line as malformed with the reason', function () {
    const reasons: string[] = [];
    const stream = new AuditStream({ onMalformed: (_n, _l, why) => reasons.push(why) });
    stream.push(OVERLONG_LINE);
    stream.push('B'.repeat(MAX_LINE_BYTES + 1));
    expect(stream.stats.malformed).to.equal(2);
    expect(reasons[0]).to.equal(`line longer than ${MAX_LINE_BYTES} bytes (skipped)`);
  });

  it('purple events and purple replay on a 600 MB log with no newline: bounded memory, the good record still parsed', async function () {
    const log = hugeLog(600);
    const events = await peakRssMb(['events', '--audit-log', log]);
    expect(events.mb, events.stderr).to.be.below(300);
    expect(events.stderr).to.match(/1 malformed/);
    expect(events.stdout.trim().split('\n')).to.have.length(1);
    const replay = await peakRssMb(['replay', '--audit-log', log, '--format', 'json']);
    expect(replay.mb, replay.stderr).to.be.below(300);
    expect((JSON.parse(replay.stdout) as { stats: { audit: { malformed: number; events: number } } }).stats.audit).to.include({ malformed: 1, events: 1 });
  });
});
