#!/usr/bin/env node
import { loadCommand, loadCommands } from './commands/index.js';
import { EXIT, EnvironmentError, UsageError } from './command.js';
import { didYouMean, optionsOf } from './suggest.js';
import { muteOutputWhenClosed } from './closed-output.js';

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
    'purple <command> --help shows a command\'s options; purple --version its version.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`purple ${(await import('../run/host-info.js')).PURPLE_VERSION}`);
    return EXIT.ok;
  }
  const command = await loadCommand(name);
  if (!command) {
    const names = (await loadCommands()).map((c) => c.name);
    console.error(`purple: unknown command "${name}"${didYouMean(name, names)}; commands: ${names.join(', ')} (purple --help)`);
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
      // Node's parser: "Unknown option '--paralel'. To specify a positional argument starting with a '-', ..."
      const unknown = /^Unknown option '([^']+)'/.exec(err.message);
      if (unknown) {
        console.error(`purple ${name}: unknown option ${unknown[1]}${didYouMean(unknown[1]!, optionsOf(command.usage))} (purple ${name} --help lists the options)`);
        return EXIT.usage;
      }
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

muteOutputWhenClosed();
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
