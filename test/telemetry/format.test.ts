// Format recognition from a maintained database (file-type) plus the documented headers it lacks. Every sample is a
// documented header followed by random bytes: high entropy with a known header, what AN1214 must not call custom.
import { expect } from 'chai';
import { createCipheriv, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { ARCHIVE_FORMATS, KNOWN_FORMATS, describeFormat, detectFormat, recognizeFormat } from '../../harness/telemetry/format.js';
import { analyzeContent } from '../../harness/telemetry/content.js';

const noise = (n = 8192) => randomBytes(n);
const cat = (...parts: (string | Uint8Array)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u32le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const u32be = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };

function hasTool(tool: string, ...args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('format recognition (file-type database + documented supplements)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'purple-format-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names media, font, package and database formats the old hand table called headerless', async () => {
    const samples: [string, Buffer][] = [
      ['webp', cat('RIFF', u32le(8200), 'WEBPVP8 ', u32le(8000), noise())],
      ['mp4', cat(u32be(24), 'ftypisom', u32be(512), 'isomiso2', u32be(8), 'free', noise())],
      ['woff2', cat('wOF2', u32be(0x00010000), u32be(20000), noise())],
      ['sqlite', cat('SQLite format 3\0', Buffer.from([0x10, 0x00, 0x01, 0x01]), noise())],
      ['deb', cat('!<arch>\ndebian-binary   1700000000  0     0     100644  4         `\n2.0\n', noise())],
      ['gzip', gzipSync(noise())],
      ['zlib', deflateSync(noise())],
    ];
    for (const [format, bytes] of samples) expect(await detectFormat(bytes), format).to.equal(format);
  });

  it('names encrypted containers: OpenSSL Salted__, OpenPGP packets from gpg -c, LUKS, age', async () => {
    const key = randomBytes(32);
    const cipher = createCipheriv('aes-256-cbc', key, randomBytes(16));
    const salted = cat('Salted__', randomBytes(8), cipher.update(noise()), cipher.final());
    expect(await detectFormat(salted)).to.equal('openssl-enc');
    // SKESK v4, AES256 (9), iterated+salted S2K (3), SHA256 (8): the packet gpg -c writes first.
    expect(await detectFormat(cat(Buffer.from([0x8c, 0x0d, 0x04, 0x09, 0x03, 0x08]), noise()))).to.equal('openpgp');
    expect(await detectFormat(cat(Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0x00, 0x01]), noise()))).to.equal('luks');
    expect(await detectFormat(cat('age-encryption.org/v1\n', noise()))).to.equal('age');
    for (const f of ['openssl-enc', 'openpgp', 'luks', 'age', 'deb', 'zlib']) expect(ARCHIVE_FORMATS.has(f), f).to.equal(true);
  });

  it('recognises what the real tools write (openssl enc, gpg -c) when the host has them', async function () {
    if (!hasTool('openssl', 'version') || !hasTool('gpg', '--version')) this.skip();
    const plain = path.join(dir, 'plain.bin');
    writeFileSync(plain, noise(200_000));
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-pbkdf2', '-pass', 'pass:x', '-in', plain, '-out', `${plain}.enc`]);
    expect(await detectFormat(readFileSync(`${plain}.enc`).subarray(0, 4100))).to.equal('openssl-enc');
    const home = mkdtempSync(path.join(dir, 'gnupg-'));
    execFileSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', 'x', '-c', '-o', `${plain}.gpg`, plain], { stdio: 'ignore' });
    expect(await detectFormat(readFileSync(`${plain}.gpg`).subarray(0, 4100))).to.equal('openpgp');
  });

  it('keeps random bytes and the custom XOR container headerless, and explains it', async () => {
    let named = 0;
    for (let i = 0; i < 500; i++) if ((await detectFormat(cat(i % 2 ? 'XAR1' : '', noise(4100)))) !== null) named++;
    // file-type's weakest signature (MPEG audio frame sync) names about 1 buffer in 2500.
    expect(named).to.be.at.most(3);
    const r = await recognizeFormat(cat('XAR1', noise()));
    expect(r).to.deep.equal({ format: null, evidence: null });
    expect(describeFormat(r.format)).to.equal('no known header');
    expect((await recognizeFormat(gzipSync(noise()))).evidence).to.equal('application/gzip');
  });

  it('keeps the names scenarios and reports already use', async () => {
    for (const f of ['gzip', 'bzip2', 'xz', 'zstd', 'zip', '7z', 'rar', 'tar', 'elf', 'pe', 'pdf', 'png', 'jpeg', 'script', 'lzma', 'zlib']) {
      expect(KNOWN_FORMATS.has(f), f).to.equal(true);
    }
    expect(await detectFormat(readFileSync(process.execPath).subarray(0, 4100))).to.equal('elf');
    expect(await detectFormat(Buffer.from('#!/bin/sh\necho hi\n'))).to.equal('script');
  });

  it('analyzeContent fills FileArtifact.format from it (a documented header needs more than 512 bytes: MP4 boxes, tar)', async () => {
    const a = await analyzeContent(cat('SQLite format 3\0', Buffer.from([0x10, 0x00, 0x01, 0x01]), noise(100_000)));
    expect(a.format).to.equal('sqlite');
    expect(a.entropy).to.be.greaterThan(7.9);
  });
});
