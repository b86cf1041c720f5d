// The CLI loads each command module only when it runs; the loader's names must be the commands' own.
import { expect } from 'chai';
import { loadCommand, loadCommands } from '../../harness/cli/commands/index.js';

describe('cli: command loading', () => {
  it('finds every command under its own name, and nothing else', async () => {
    const commands = await loadCommands();
    expect(commands.map((c) => c.name)).to.deep.equal(['run', 'list', 'report', 'events', 'doctor', 'images', 'replay', 'cleanup']);
    for (const c of commands) expect(await loadCommand(c.name)).to.equal(c);
    expect(await loadCommand('nope')).to.equal(undefined);
  });
});
