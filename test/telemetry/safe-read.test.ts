// The safe-read primitive on real files: no symlink followed in any component, only regular files on real file
// systems opened for reading (a FIFO or a device never blocks or is opened), size from fstat and a bounded
// sample, the deadline honoured, and every refusal saying why.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { READ_LIMITS, readFileUnderRoot, readFilesUnderRoot, samplePlan } from '../../harness/telemetry/safe-read.js';

describe('safe reads of a target root', function () {
  let root: string;
  before(async function () {
    root = mkdtempSync(path.join(os.tmpdir(), 'purple-safe-read-'));
    mkdirSync(path.join(root, 'tmp/real'), { recursive: true });
    writeFileSync(path.join(root, 'tmp/real/file'), 'plain text\n');
    symlinkSync('/etc', path.join(root, 'tmp/up'));
    symlinkSync('real', path.join(root, 'tmp/inside')); // even a link that stays inside is not followed
    symlinkSync('/etc/hostname', path.join(root, 'tmp/last'));
    writeFileSync(path.join(root, 'tmp/notdir'), 'x');
    await execa('mkfifo', [path.join(root, 'tmp/fifo')]);
    symlinkSync('/dev', path.join(root, 'dev'));
  });
  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it('reads a regular file and keeps the path the process saw', async function () {
    const a = await readFileUnderRoot(root, '/tmp/../tmp/real/file');
    expect(a).to.include({ path: '/tmp/real/file', size: 11, text: 'plain text\n' });
    expect(a!.unread).to.equal(undefined);
  });

  it('refuses a symlink in any component, naming it', async function () {
    const got = await readFilesUnderRoot(root, ['/tmp/up/hostname', '/tmp/inside/file', '/tmp/last', '/tmp/notdir/x', '/dev/null']);
    expect([...got.values()].map((a) => a.unread)).to.deep.equal([
      'not read: /tmp/up is a symlink (not followed)',
      'not read: /tmp/inside is a symlink (not followed)',
      'not read: a symlink (not followed)',
      'not read: /tmp/notdir is a regular file, not a directory'.replace('a regular file', 'not a regular file'),
      'not read: /dev is a symlink (not followed)',
    ]);
    for (const a of got.values()) expect(a).to.include({ entropy: 0, sha256: null, format: null });
  });

  it('never blocks on a FIFO or opens a device, and refuses pseudo file systems', async function () {
    const started = Date.now();
    expect((await readFileUnderRoot(root, '/tmp/fifo'))?.unread).to.equal('not read: a FIFO');
    expect((await readFileUnderRoot('/', '/dev/null'))?.unread).to.equal('not read: a character device');
    expect((await readFileUnderRoot('/', '/proc/version'))?.unread).to.equal('not read: on a proc file system');
    expect((await readFileUnderRoot('/', '/sys/kernel/mm/transparent_hugepage/enabled'))?.unread ?? 'not read: on a sysfs file system').to.equal('not read: on a sysfs file system');
    expect(Date.now() - started).to.be.below(2000);
  });

  it('leaves out what does not exist', async function () {
    expect(await readFileUnderRoot(root, '/tmp/nope/file')).to.equal(null);
    expect((await readFilesUnderRoot(root, ['/tmp/nope'])).size).to.equal(0);
  });

  it('samples a file bigger than the limit: size from fstat, entropy from the sample, no sha256', async function () {
    const file = path.join(root, 'tmp/real/big');
    await execa('truncate', ['-s', '1G', file]);
    const head = randomBytes(1 << 20);
    writeFileSync(file, head, { flag: 'r+' });
    const started = Date.now();
    const a = (await readFileUnderRoot(root, '/tmp/real/big'))!;
    expect(Date.now() - started).to.be.below(3000);
    expect(a.size).to.equal(1 << 30);
    expect(a.sha256).to.equal(null);
    expect(a.sampled).to.include('read limit');
    // One random block of 16: about 8/16 bits per byte plus the mixing term.
    expect(a.entropy).to.be.within(0.4, 1.2);
    const plan = samplePlan(1 << 30);
    expect(plan.length).to.equal(READ_LIMITS.blocks);
    expect(plan.reduce((n, [, l]) => n + l, 0)).to.equal(READ_LIMITS.fullBytes);
    expect(plan.at(-1)![0] + plan.at(-1)![1]).to.equal(1 << 30);
  });

  it('honours the deadline: nothing read once it has passed, a read in progress is cut', async function () {
    const done = AbortSignal.abort();
    expect((await readFileUnderRoot(root, '/tmp/real/file', { signal: done }))?.unread).to.equal('not read: the scenario deadline had passed');
    const cut = await readFileUnderRoot(root, '/tmp/real/big', { limits: { ...READ_LIMITS, timeoutMs: 0 } });
    expect(cut?.unread).to.match(/^cut: the 0 ms read limit passed after \d+ of 1073741824 bytes$/);
    expect(cut?.size).to.equal(1 << 30);
  });
});
