// Loads the audit rules derived from what the event layer and the detectors declare they need
// (harness/events/needs.ts) under a run's own key, and removes exactly those rules afterwards.
// Never touches rules it did not add.
import { EnvironmentError } from '../shared/errors.js';
import { type HostExec, localHost } from '../host/exec.js';
import { auditRules, type Needs } from '../events/needs.js';

export const RULE_KEY_PREFIX = 'purple';

/** The rules for these needs (plus the process table's own), as auditctl argument vectors under `key`. */
export function ruleArgs(key: string, needs: readonly Needs[]): string[][] {
  return auditRules(needs).map((args) => [...args, '-k', key]);
}

export interface LoadedRules {
  key: string;
  /** The rules as they were loaded, as text (for the report). */
  text: string[];
  remove(): Promise<string[]>;
}

/** Adds the rules under `key`; on any failure removes what it added and throws with auditctl's answer. */
export async function loadAuditRules(key: string, needs: readonly Needs[], host: HostExec = localHost): Promise<LoadedRules> {
  const added: string[][] = [];
  const remove = async (): Promise<string[]> => {
    const failures: string[] = [];
    for (const args of added.splice(0).reverse()) {
      const r = await host.run('auditctl', ['-d', ...args.slice(1)]);
      if (r.code !== 0 && !/No rule matches/i.test(r.stderr)) failures.push(`${args.join(' ')}: ${r.stderr.trim()}`);
    }
    return failures;
  };
  for (const args of ruleArgs(key, needs)) {
    const r = await host.run('auditctl', args);
    if (r.code !== 0) {
      await remove();
      const immutable = /immutable|Operation not permitted/i.test(r.stderr);
      throw new EnvironmentError(
        `auditctl refused "${args.join(' ')}"${host === localHost ? '' : ` on ${host.where}`}: ${r.stderr.trim() || r.stdout.trim()}` +
          (immutable
            ? ' (the audit rule set is immutable, `-e 2`: reboot without it to let purple add its rules)'
            : ' (is auditd installed and running? run `purple doctor`)'),
      );
    }
    added.push(args);
  }
  return { key, text: added.map((a) => `auditctl ${a.join(' ')}`), remove };
}

/** Every loaded rule of any purple run (for `purple cleanup`), as auditctl -d argument vectors. */
export async function listPurpleRules(keyPrefix = RULE_KEY_PREFIX + '-', host: HostExec = localHost): Promise<string[][]> {
  const r = await host.run('auditctl', ['-l']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((line) => line.startsWith('-a ') && line.includes(`key=${keyPrefix}`))
    .map((line) => ['-d', ...line.slice(3).split(/\s+/)]);
}
