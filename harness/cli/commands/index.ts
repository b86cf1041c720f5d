import type { Command } from '../command.js';

// Each command registers itself by being listed here, one loader per module, in `purple --help` order.
// A module is imported only when its command runs: several pull in the Docker and SSH clients, which
// would otherwise cost every command (`purple events` included) a third of a second of start-up.
const loaders = new Map<string, () => Promise<Command>>([
  ['run', async () => (await import('./run.js')).runCommand],
  ['list', async () => (await import('./list.js')).listCommand],
  ['show', async () => (await import('./show.js')).showCommand],
  ['report', async () => (await import('./report.js')).reportCommand],
  ['events', async () => (await import('./events.js')).eventsCommand],
  ['doctor', async () => (await import('./doctor.js')).doctorCommand],
  ['images', async () => (await import('./images.js')).imagesCommand],
  ['replay', async () => (await import('./replay.js')).replayCommand],
  ['rules', async () => (await import('./rules.js')).rulesCommand],
  ['cleanup', async () => (await import('./cleanup.js')).cleanupCommand],
]);

/** The command called `name`, or undefined when there is none. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  return loaders.get(name)?.();
}

/** Every command, in `purple --help` order. */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all([...loaders.values()].map((load) => load()));
}
