// Finds rules in the host's own audit configuration that would hide what purple's detectors need.
// The kernel evaluates rules in order and stops at the first match, and purple appends its rules
// after the host's, so an earlier `never` rule silences them; `exclude` rules drop record types.
// What is needed comes from the detectors' declarations (harness/events/needs.ts auditDemand).
import type { AuditDemand } from '../events/needs.js';

/** One warning per host rule that hides events, naming the rule and what it hides. */
export function auditBlindSpots(rulesListing: string, demand: AuditDemand): string[] {
  const NEEDED_RECORDS = demand.records;
  const NEEDED_SYSCALLS = demand.syscalls;
  const warnings: string[] = [];
  for (const rule of rulesListing.split('\n').map((l) => l.trim())) {
    const action = /^-a\s+(\S+)/.exec(rule)?.[1];
    if (!action) continue;
    const parts = action.split(',');
    const who = scope(rule);
    if (parts.includes('exclude')) {
      const types = [...rule.matchAll(/-F\s+msgtype=(\S+)/g)].map((m) => m[1]!);
      const hidden = types.length === 0 ? NEEDED_RECORDS : types.filter((t) => NEEDED_RECORDS.includes(t));
      if (hidden.length) warnings.push(`audit rule "${rule}" drops ${hidden.join(', ')} records${who}: the detectors need them`);
    } else if (parts.includes('never')) {
      if (parts.includes('task')) {
        warnings.push(`audit rule "${rule}" turns off auditing of every syscall${who}`);
        continue;
      }
      const syscalls = [...rule.matchAll(/-S\s+(\S+)/g)].flatMap((m) => m[1]!.split(','));
      const hidden = syscalls.length === 0 || syscalls.includes('all') ? ['all syscalls'] : syscalls.filter((s) => NEEDED_SYSCALLS.includes(s));
      if (hidden.length) warnings.push(`audit rule "${rule}" comes before purple's rules and hides ${hidden.join(', ')}${who}`);
    }
  }
  return warnings;
}

/** " of processes where exe=/usr/sbin/cron and auid=unset", from the rule's -F fields. */
function scope(rule: string): string {
  const fields = [...rule.matchAll(/-F\s+(\S+)/g)]
    .map((m) => m[1]!)
    .filter((f) => !/^(arch|msgtype|key)=/.test(f));
  return fields.length ? ` of processes where ${fields.join(' and ')}` : ' of every process';
}
