// How a step becomes a command on its target, exactly as the runner executes it.
import path from 'node:path';
import { interpolate } from './inputs.js';
import { SCENARIO_MOUNT, type InputValue, type Step } from './types.js';

export interface ResolvedStep {
  name: string;
  user: string;
  /** argv: the payload (run via its shebang) with its arguments, or `/bin/sh -c <run>`. */
  argv: string[];
}

/** The step with its templates filled from `values` (inputs plus role addresses, see templateValues()). */
export function resolveStep(step: Step, values: Record<string, InputValue>, mount = SCENARIO_MOUNT): ResolvedStep {
  const user = interpolate(step.user, values);
  const argv =
    'script' in step.command
      ? [path.posix.join(mount, step.command.script), ...step.command.args.map((a) => interpolate(a, values))]
      : ['/bin/sh', '-c', interpolate(step.command.run, values)];
  return { name: step.name, user, argv };
}
