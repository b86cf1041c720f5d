import { expect } from 'chai';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imagesDir } from '../../harness/host/paths.js';
import { imageRef, recipeHashes } from '../../harness/host/recipes.js';

describe('host: image recipe hashes', () => {
  let copy: string;
  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'purple-recipes-'));
    cpSync(imagesDir, copy, { recursive: true });
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('hashes a copy exactly like the original, and is stable', () => {
    const original = recipeHashes();
    expect(recipeHashes(copy)).to.deep.equal(original);
    expect(recipeHashes(copy)).to.deep.equal(original);
    for (const hash of Object.values(original)) expect(hash).to.match(/^[0-9a-f]{12}$/);
    expect(new Set(Object.values(original)).size).to.equal(3);
  });

  it('a victim recipe change changes the victim and the sink (which holds its key), not the base', () => {
    const before = recipeHashes(copy);
    appendFileSync(join(copy, 'victim', 'purple-ssh.conf'), '    ServerAliveInterval 5\n');
    const after = recipeHashes(copy);
    expect(after.base).to.equal(before.base);
    expect(after.victim).to.not.equal(before.victim);
    expect(after.sink).to.not.equal(before.sink);
  });

  it('a sink recipe change changes only the sink', () => {
    const before = recipeHashes(copy);
    writeFileSync(join(copy, 'sink', 'motd'), 'hello\n');
    const after = recipeHashes(copy);
    expect([after.base, after.victim]).to.deep.equal([before.base, before.victim]);
    expect(after.sink).to.not.equal(before.sink);
  });

  it('a base package list change changes every image; so does a lost executable bit', () => {
    const before = recipeHashes(copy);
    appendFileSync(join(copy, 'base', 'packages.txt'), 'netcat-openbsd\n');
    const afterPackages = recipeHashes(copy);
    for (const name of ['base', 'victim', 'sink'] as const) expect(afterPackages[name]).to.not.equal(before[name]);

    rmSync(join(copy, 'base', 'packages.txt'));
    cpSync(join(imagesDir, 'base', 'packages.txt'), join(copy, 'base', 'packages.txt'));
    expect(recipeHashes(copy)).to.deep.equal(before);
    chmodSync(join(copy, 'base', 'build-rootfs.sh'), 0o644);
    expect(recipeHashes(copy).base).to.not.equal(before.base);
  });

  it('imageRef gives purple/<name>:<hash>, and the trusted role runs the sink image', () => {
    const hashes = recipeHashes();
    expect(imageRef('victim')).to.equal(`purple/victim:${hashes.victim}`);
    expect(imageRef('trusted')).to.equal(`purple/sink:${hashes.sink}`);
  });

  it('an empty or missing recipe folder is a clear error naming the folder', () => {
    rmSync(join(copy, 'sink'), { recursive: true });
    expect(() => recipeHashes(copy)).to.throw(join(copy, 'sink'));
  });
});
