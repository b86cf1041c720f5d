#!/usr/bin/env node
import { loadCommand, loadCommands } from './commands/index.js';
import { EXIT, EnvironmentError, UsageError } from './command.js';

async function help(): Promise<string> {
  const commands = await loadCommands();
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    'purple: purple-team emulation and detection validation for Linux',
    '',
    'usage: purple <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'purple <command> --help shows a command\'s options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = await loadCommand(name);
  if (!command) {
    console.error(`purple: unknown command "${name}"\n\n${await help()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`purple ${name}: ${err.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    if (err instanceof EnvironmentError) {
      console.error(`purple ${name}: ${err.message}`);
      return EXIT.environment;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A fault in purple itself, not a failed expectation.
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = EXIT.harness;
  },
);
