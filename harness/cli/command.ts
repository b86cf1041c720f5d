/** One `purple` sub-command. Each lives in its own module under harness/cli/commands/ and is listed in commands/index.ts. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code (see README: 0 ok, 1 expectation/regression failed, 2 usage, 3 environment, 4 harness error). */
  run(args: string[]): Promise<number>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, environment: 3, harness: 4 } as const;

export { UsageError, EnvironmentError } from '../shared/errors.js';
