// The CLI loads each command module only when it runs; the loader's names must be the commands' own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { loadCommand, loadCommands } from '../../harness/cli/commands/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('cli: command loading', () => {
  it('finds every command under its own name, and nothing else', async () => {
    const commands = await loadCommands();
    expect(commands.map((c) => c.name)).to.deep.equal(['run', 'list', 'show', 'report', 'events', 'doctor', 'images', 'replay', 'rules', 'cleanup']);
    for (const c of commands) expect(await loadCommand(c.name)).to.equal(c);
    expect(await loadCommand('nope')).to.equal(undefined);
  });

  it("package.json's bin is built executable, so `npx purple` and a linked `purple` run it directly", async () => {
    const { bin } = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { bin: { purple: string } };
    const r = await execa(`${repoRoot}/${bin.purple}`, ['--help']);
    expect(r.stdout).to.match(/^purple: /);
  });
});
