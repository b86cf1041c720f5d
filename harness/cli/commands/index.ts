import type { Command } from '../command.js';
import { reportCommand } from './report.js';
import { eventsCommand } from './events.js';
import { doctorCommand } from './doctor.js';
import { imagesCommand } from './images.js';
import { replayCommand } from './replay.js';
import { listCommand } from './list.js';
import { runCommand } from './run.js';
import { cleanupCommand } from './cleanup.js';

// Each command registers itself by being listed here, one import per module.
export const commands: Command[] = [runCommand, listCommand, reportCommand, eventsCommand, doctorCommand, imagesCommand, replayCommand, cleanupCommand];
