import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withLockFile } from '../../harness/host/lock.js';

describe('host: build lock file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'purple-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serialises concurrent holders and waits for a live one', async () => {
    const lock = join(dir, 'build.lock');
    const log: string[] = [];
    let waited = 0;
    const job = (name: string) =>
      withLockFile(
        lock,
        async () => {
          log.push(`${name} start`);
          await sleep(300);
          log.push(`${name} end`);
        },
        { onWait: () => waited++ },
      );
    await Promise.all([job('a'), job('b'), job('c')]);
    expect(log).to.have.length(6);
    for (let i = 0; i < 6; i += 2) {
      expect(log[i]).to.match(/ start$/);
      expect(log[i + 1]).to.equal(log[i]!.replace('start', 'end'));
    }
    expect(waited).to.equal(2);
    expect(existsSync(lock)).to.equal(false);
  });

  it('takes over a lock left by a dead process, and releases it when fn throws', async () => {
    const lock = join(dir, 'build.lock');
    const dead = spawnSync('true').pid!; // has exited by now
    writeFileSync(lock, `${dead}\n`);
    const value = await withLockFile(lock, async () => 42, { timeoutMs: 2000 });
    expect(value).to.equal(42);
    let error: unknown;
    await withLockFile(lock, async () => {
      throw new Error('boom');
    }).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('boom');
    expect(existsSync(lock)).to.equal(false);
  });
});
