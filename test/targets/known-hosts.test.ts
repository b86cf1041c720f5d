// known_hosts parsing and host key verification, with real keys made by ssh-keygen: plain and
// hashed names, [host]:port, wildcards and negations, @revoked, mismatches, bad lines.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import {
  describeRefusal,
  fingerprint,
  knownHostName,
  knownKeyAlgorithms,
  parseKnownHosts,
  patternsMatch,
  readKnownHosts,
  verifyHostKey,
} from '../../harness/targets/ssh/known-hosts.js';
import { parseSshTarget } from '../../harness/targets/ssh/session.js';

describe('known_hosts', function () {
  let dir: string;
  let keyA: { line: string; blob: Buffer; file: string };
  let keyB: { line: string; blob: Buffer; file: string };
  let rsa: { line: string; blob: Buffer; file: string };

  const makeKey = async (name: string, type: string) => {
    const file = path.join(dir, name);
    await execa('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', file]);
    const line = readFileSync(file + '.pub', 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), file: file + '.pub' };
  };

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'purple-known-hosts-'));
    keyA = await makeKey('a', 'ed25519');
    keyB = await makeKey('b', 'ed25519');
    rsa = await makeKey('r', 'rsa');
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('matches plain names, [host]:port for other ports, and not the other port', function () {
    const known = parseKnownHosts(`server.example,10.0.0.5 ${keyA.line}\n[10.0.0.5]:2222 ${keyB.line}\n`);
    expect(verifyHostKey(known, '10.0.0.5', 22, keyA.blob).status).to.equal('match');
    expect(verifyHostKey(known, 'SERVER.example', 22, keyA.blob).status).to.equal('match');
    expect(verifyHostKey(known, '10.0.0.5', 2222, keyB.blob).status).to.equal('match');
    expect(verifyHostKey(known, '10.0.0.5', 2222, keyA.blob).status).to.equal('mismatch');
    expect(verifyHostKey(known, '10.0.0.5', 2223, keyA.blob).status).to.equal('unknown');
    expect(knownHostName('h', 22)).to.equal('h');
    expect(knownHostName('h', 2200)).to.equal('[h]:2200');
  });

  it('matches hashed entries written by ssh-keygen -H', async function () {
    const file = path.join(dir, 'hashed');
    writeFileSync(file, `db.internal ${keyA.line}\n[db.internal]:2022 ${keyB.line}\n`);
    await execa('ssh-keygen', ['-H', '-f', file]);
    const text = readFileSync(file, 'utf8');
    expect(text).to.not.include('db.internal');
    const known = readKnownHosts(file);
    expect(known.entries.every((e) => e.patterns[0]!.startsWith('|1|'))).to.equal(true);
    expect(verifyHostKey(known, 'db.internal', 22, keyA.blob).status).to.equal('match');
    expect(verifyHostKey(known, 'db.internal', 2022, keyB.blob).status).to.equal('match');
    expect(verifyHostKey(known, 'db.internal', 22, keyB.blob).status).to.equal('mismatch');
    expect(verifyHostKey(known, 'db.other', 22, keyA.blob).status).to.equal('unknown');
  });

  it('honours wildcards and negations', function () {
    expect(patternsMatch(['*.example'], 'a.example')).to.equal(true);
    expect(patternsMatch(['*.example', '!b.example'], 'b.example')).to.equal(false);
    expect(patternsMatch(['10.0.0.?'], '10.0.0.7')).to.equal(true);
    expect(patternsMatch(['10.0.0.?'], '10.0.0.17')).to.equal(false);
    expect(patternsMatch(['a.example'], 'a-example')).to.equal(false);
  });

  it('refuses a @revoked key even when another line lists it', function () {
    const known = parseKnownHosts(`host1 ${keyA.line}\n@revoked * ${keyA.line}\n`);
    const verdict = verifyHostKey(known, 'host1', 22, keyA.blob);
    expect(verdict.status).to.equal('revoked');
    expect(describeRefusal(verdict, known, 'host1', 22, keyA.blob)).to.include('@revoked');
  });

  it('skips unreadable lines with their line numbers, keeps the rest', function () {
    const known = parseKnownHosts(`# comment\n\nhost1 ${keyA.line}\nbroken-line\nhost2 ssh-ed25519 not*base64\n@weird host3 ${keyB.line}\n`);
    expect(known.entries.map((e) => e.line)).to.deep.equal([3]);
    expect(known.skipped.map((s) => s.line)).to.deep.equal([4, 5, 6]);
  });

  it('treats a missing file as empty (every host unknown)', function () {
    const known = readKnownHosts(path.join(dir, 'absent'));
    expect(verifyHostKey(known, 'x', 22, keyA.blob).status).to.equal('unknown');
  });

  it('prints fingerprints exactly as ssh-keygen -l does, and names them in refusals', async function () {
    const expected = (await execa('ssh-keygen', ['-l', '-f', keyA.file])).stdout.split(' ')[1];
    expect(fingerprint(keyA.blob)).to.equal(expected);
    const known = parseKnownHosts(`[h]:2222 ${keyB.line}\n`, '/tmp/kh');
    const message = describeRefusal(verifyHostKey(known, 'h', 2222, keyA.blob), known, 'h', 2222, keyA.blob);
    expect(message).to.include(`HOST KEY MISMATCH for [h]:2222: the server presented ssh-ed25519 ${expected}`);
    expect(message).to.include('/tmp/kh line(s) 1');
    const unknown = describeRefusal({ status: 'unknown' }, known, 'other', 22, keyA.blob);
    expect(unknown).to.include('ssh-keyscan other >> /tmp/kh');
  });

  it('offers the server only the key algorithms known for the host', function () {
    const known = parseKnownHosts(`h ${rsa.line}\n[h]:2 ${keyA.line}\n`);
    expect(knownKeyAlgorithms(known, 'h', 22)).to.deep.equal(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(knownKeyAlgorithms(known, 'h', 2)).to.deep.equal(['ssh-ed25519']);
    expect(knownKeyAlgorithms(known, 'x', 22)).to.deep.equal([]);
  });
});

describe('ssh:// target addresses', function () {
  it('parses user, host, port (default 22) and IPv6', function () {
    expect(parseSshTarget('ssh://root@10.0.0.5')).to.deep.include({ user: 'root', host: '10.0.0.5', port: 22, uri: 'ssh://root@10.0.0.5:22' });
    expect(parseSshTarget('ssh://deploy@db.internal:2200')).to.deep.include({ user: 'deploy', host: 'db.internal', port: 2200 });
    expect(parseSshTarget('ssh://root@[::1]:2222')).to.deep.include({ host: '::1', port: 2222, uri: 'ssh://root@[::1]:2222' });
  });

  it('refuses anything else with the expected form', function () {
    for (const bad of ['root@host', 'ssh://host', 'ssh://root@host:99999', 'ssh://ro ot@host', 'ssh://root@host;rm']) {
      expect(() => parseSshTarget(bad), bad).to.throw(/ssh:\/\/USER@HOST\[:PORT\]|out of range/);
    }
  });
});
