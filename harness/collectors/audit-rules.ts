// Loads the project's audit rules (containers/audit/purple.rules) under a run's own key and
// removes exactly those rules afterwards. Never touches rules it did not add.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../shared/errors.js';
import { type HostExec, localHost } from '../host/exec.js';

export const AUDIT_RULES_FILE = fileURLToPath(new URL('../../../containers/audit/purple.rules', import.meta.url));
export const RULE_KEY_PREFIX = 'purple';

/** The rule lines of the rules file, as auditctl argument vectors with the key replaced by `key`. */
export function ruleArgs(key: string, file = AUDIT_RULES_FILE): string[][] {
  const rules: string[][] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const args = line.split(/\s+/);
      const k = args.indexOf('-k');
      if (k < 0 || args[k + 1] !== RULE_KEY_PREFIX || args[0] !== '-a') {
        throw new Error(`${file}:${index + 1}: each rule must be "-a ..." ending in "-k ${RULE_KEY_PREFIX}"`);
      }
      args[k + 1] = key;
      rules.push(args);
    });
  return rules;
}

export interface LoadedRules {
  key: string;
  /** The rules as they were loaded, as text (for the report). */
  text: string[];
  remove(): Promise<string[]>;
}

/** Adds the rules under `key`; on any failure removes what it added and throws with auditctl's answer. */
export async function loadAuditRules(key: string, host: HostExec = localHost): Promise<LoadedRules> {
  const added: string[][] = [];
  const remove = async (): Promise<string[]> => {
    const failures: string[] = [];
    for (const args of added.splice(0).reverse()) {
      const r = await host.run('auditctl', ['-d', ...args.slice(1)]);
      if (r.code !== 0 && !/No rule matches/i.test(r.stderr)) failures.push(`${args.join(' ')}: ${r.stderr.trim()}`);
    }
    return failures;
  };
  for (const args of ruleArgs(key)) {
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
