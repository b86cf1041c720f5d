import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { LABEL_RUN } from '../../targets/docker-environment.js';
import { RULE_KEY_PREFIX } from '../../collectors/audit-rules.js';
import { loadTargetKinds } from '../../targets/kinds.js';
import { isRunAlive, knownRuns, markRunEnded } from '../../run/live-runs.js';

const usage = `usage: purple cleanup [RUN_ID...] [--dry-run]

Removes what runs that were killed (kill -9, a crash, a reboot) left behind: containers and
networks labelled ${LABEL_RUN}=<run id>, and audit rules keyed ${RULE_KEY_PREFIX}-<run id>.
Runs whose process is still alive are left alone. Nothing without purple's labels or keys is touched.`;

export const cleanupCommand: Command = {
  name: 'cleanup',
  summary: 'remove containers, networks and audit rules left by killed runs',
  usage,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false } } });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const only = new Set(parsed.positionals);
    const dry = parsed.values['dry-run']!;
    const wanted = (runId: string | undefined) => !!runId && (only.size === 0 || only.has(runId)) && !isRunAlive(runId);
    let removed = 0;
    const act = async (what: string, action: () => Promise<unknown>) => {
      console.log(`${dry ? 'would remove' : 'removing'} ${what}`);
      if (!dry) await action();
      removed++;
    };
    // Each target kind removes what its killed runs left on this machine.
    for (const kind of await loadTargetKinds()) await kind.cleanup?.(wanted, act);
    for (const runId of knownRuns()) if (wanted(runId) && !dry) markRunEnded(runId);
    console.log(removed === 0 ? 'nothing to clean up' : `${dry ? 'would remove' : 'removed'} ${removed} object(s)`);
    return EXIT.ok;
  },
};
