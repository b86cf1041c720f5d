import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync, deflateSync } from 'node:zlib';
import { analyzeContent, pathUnderRoot } from '../../harness/telemetry/content.js';
import { analyzeFile, analyzeLocalFile } from '../../harness/telemetry/safe-read.js';

describe('content analysis', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purple-content-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, data: Uint8Array | string) => {
    const p = path.join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  it('random bytes: entropy near 8, no format, sha256 and header of the file', async () => {
    const data = randomBytes(256 * 1024);
    const a = await analyzeLocalFile(file('random.bin', data));
    expect(a.size).to.equal(data.length);
    expect(a.entropy).to.be.greaterThan(7.99);
    expect(a.format).to.equal(null);
    expect(a.sha256).to.equal(createHash('sha256').update(data).digest('hex'));
    expect(a.header).to.equal(data.subarray(0, 16).toString('hex'));
    expect(a.text).to.equal(undefined);
    expect(a.mode).to.match(/^0100\d{3}$/);
    expect(a.ownerUid).to.equal(process.getuid!());
  });

  it('gzip via zlib, zip via the zip tool and python zipfile, xz, bzip2, zstd, lz4 from the real tools', async () => {
    const text = 'quarterly report line\n'.repeat(5000);
    expect((await analyzeLocalFile(file('a.gz', gzipSync(text)))).format).to.equal('gzip');
    expect((await analyzeLocalFile(file('a.zlib', deflateSync(text)))).format).to.equal('zlib');
    const src = file('doc.txt', text);
    execFileSync('zip', ['-q', path.join(dir, 'a.zip'), src]);
    expect((await analyzeLocalFile(path.join(dir, 'a.zip'))).format).to.equal('zip');
    execFileSync('python3', ['-c', `import zipfile; z = zipfile.ZipFile('${dir}/p.zip', 'w', zipfile.ZIP_DEFLATED); z.write('${src}'); z.close()`]);
    expect((await analyzeLocalFile(path.join(dir, 'p.zip'))).format).to.equal('zip');
    execFileSync('python3', ['-c', `import zipfile; zipfile.ZipFile('${dir}/empty.zip', 'w').close()`]);
    expect((await analyzeLocalFile(path.join(dir, 'empty.zip'))).format).to.equal('zip');
    for (const [tool, args, ext, format] of [
      ['xz', ['-k', '-f'], 'xz', 'xz'],
      ['bzip2', ['-k', '-f'], 'bz2', 'bzip2'],
      ['zstd', ['-q', '-f'], 'zst', 'zstd'],
      ['lz4', ['-q', '-f', src], 'lz4', 'lz4'],
    ] as const) {
      execFileSync(tool, [...args, tool === 'lz4' ? `${src}.lz4` : src]);
      expect((await analyzeLocalFile(`${src}.${ext}`)).format, tool).to.equal(format);
    }
    execFileSync('xz', ['--format=lzma', '-k', '-f', '-S', '.lzma', src]);
    expect((await analyzeLocalFile(`${src}.lzma`)).format).to.equal('lzma');
    execFileSync('tar', ['-cf', path.join(dir, 'a.tar'), '-C', dir, 'doc.txt']);
    expect((await analyzeLocalFile(path.join(dir, 'a.tar'))).format).to.equal('tar');
  });

  it('an ELF such as /bin/true', async () => {
    const a = await analyzeLocalFile('/bin/true');
    expect(a.format).to.equal('elf');
    expect(a.header.startsWith('7f454c46')).to.equal(true);
    expect(parseInt(a.mode!, 8) & 0o111).to.not.equal(0);
  });

  it('keeps the text of small scripts, not of big or binary files', async () => {
    const script = '#!/bin/bash\nfor b in $(od -An -tu1 f); do printf "%d " $(( b ^ 42 )); done\n';
    const a = await analyzeLocalFile(file('x.sh', script));
    expect(a.format).to.equal('script');
    expect(a.text).to.equal(script);
    expect(a.entropy).to.be.lessThan(5.5);
    expect((await analyzeLocalFile(file('notes.txt', 'plain words\n'.repeat(10)))).text).to.contain('plain words');
    expect((await analyzeLocalFile(file('big.txt', 'x'.repeat(70 * 1024)))).text).to.equal(undefined);
  });

  it('empty files: entropy 0, no format', async () => {
    const a = await analyzeLocalFile(file('empty', ''));
    expect(a).to.include({ size: 0, entropy: 0, format: null, header: '' });
  });

  it('streams large files in chunks with the same result as in memory', async () => {
    const data = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(2 << 20)]);
    const fromFile = await analyzeLocalFile(file('big.bin', data));
    const fromBytes = await analyzeContent(data);
    expect(fromFile.entropy).to.be.closeTo(fromBytes.entropy, 1e-9);
    expect(fromFile.sha256).to.equal(fromBytes.sha256);
  });

  it('analyzeFile reads under an alternate root, keeps the path the process saw, and cannot climb out', async () => {
    mkdirSync(path.join(dir, 'root/tmp/.c'), { recursive: true });
    writeFileSync(path.join(dir, 'root/tmp/.c/blob'), randomBytes(4096));
    chmodSync(path.join(dir, 'root/tmp/.c/blob'), 0o600);
    const a = await analyzeFile('/tmp/.c/blob', { root: path.join(dir, 'root'), host: 'victim' });
    expect(a.path).to.equal('/tmp/.c/blob');
    expect(a.host).to.equal('victim');
    expect(a.mode).to.equal('0100600');
    expect(pathUnderRoot('/../../etc/passwd', '/srv/copy')).to.equal('/srv/copy/etc/passwd');
    let error: Error | undefined;
    await analyzeFile('/nope', { root: path.join(dir, 'root') }).catch((e: Error) => (error = e));
    expect(error?.message).to.contain('ENOENT');
    symlinkSync('/tmp', path.join(dir, 'root/link'));
    await analyzeFile('/link', { root: path.join(dir, 'root') }).then(
      () => expect.fail('a directory is not content'),
      (e: Error) => expect(e.message).to.contain('a symlink (not followed)'),
    );
  });
});
