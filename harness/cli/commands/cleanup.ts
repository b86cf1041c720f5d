import { parseArgs } from 'node:util';
import { execa } from 'execa';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { docker } from '../../host/docker.js';
import { LABEL_RUN } from '../../targets/docker-environment.js';
import { listPurpleRules, RULE_KEY_PREFIX } from '../../collectors/audit-rules.js';
import { isRunAlive, knownRuns, markRunEnded } from '../../run/live-runs.js';
import { RUN_ID_PATTERN } from '../../run/suite.js';

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
    const client = docker();
    let removed = 0;
    const act = async (what: string, action: () => Promise<unknown>) => {
      console.log(`${dry ? 'would remove' : 'removing'} ${what}`);
      if (!dry) await action();
      removed++;
    };

    for (const info of await client.listContainers({ all: true, filters: { label: [LABEL_RUN] } })) {
      if (wanted(info.Labels[LABEL_RUN])) {
        await act(`container ${info.Names[0]?.replace(/^\//, '')} (run ${info.Labels[LABEL_RUN]})`, () =>
          client.getContainer(info.Id).remove({ force: true, v: true }),
        );
      }
    }
    for (const info of await client.listNetworks({ filters: { label: [LABEL_RUN] } })) {
      if (wanted(info.Labels?.[LABEL_RUN])) {
        await act(`network ${info.Name} (run ${info.Labels?.[LABEL_RUN]})`, () => client.getNetwork(info.Id).remove());
      }
    }
    for (const rule of await listPurpleRules()) {
      // A run with several targets keys each target's rules `purple-<run id>-t<n>`.
      const key = rule.find((a) => a.startsWith(`key=${RULE_KEY_PREFIX}-`))?.slice(`key=${RULE_KEY_PREFIX}-`.length);
      const runId = key ? (RUN_ID_PATTERN.exec(key)?.[0] ?? key) : undefined;
      if (wanted(runId)) {
        await act(`audit rule ${rule.slice(1).join(' ')}`, () => execa('auditctl', rule));
      }
    }
    for (const runId of knownRuns()) if (wanted(runId) && !dry) markRunEnded(runId);
    console.log(removed === 0 ? 'nothing to clean up' : `${dry ? 'would remove' : 'removed'} ${removed} object(s)`);
    return EXIT.ok;
  },
};
