// Finds rules in the host's own audit configuration that come before purple's and what they change.
// The kernel evaluates rules in order and stops at the first match, and purple appends its rules
// after the host's, so an earlier `never` rule silences them and `exclude` rules drop record types
// (blind spots), while an earlier `always` rule only gives the events its own key (no change).
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

/**
 * The host's own `always` syscall rules that match what purple's rules audit: listed first, they win
 * the kernel's first match and tag those events with their own key. One line per rule, saying so.
 * This changes nothing: purple attributes events by process, whatever rule or key matched them.
 */
export function hostRulesFirst(rulesListing: string, demand: AuditDemand): string[] {
  const notes: string[] = [];
  for (const rule of rulesListing.split('\n').map((l) => l.trim())) {
    const parts = /^-a\s+(\S+)/.exec(rule)?.[1]?.split(',') ?? [];
    if (!parts.includes('always') || !parts.includes('exit')) continue;
    const key = /(?:-k\s+|-F\s+key=)(\S+)/.exec(rule)?.[1] ?? null;
    if (key?.startsWith('purple-')) continue; // a purple run's own (this one's or a concurrent one's)
    const syscalls = [...rule.matchAll(/-S\s+(\S+)/g)].flatMap((m) => m[1]!.split(','));
    const matched = syscalls.length === 0 || syscalls.includes('all') ? ['every syscall'] : syscalls.filter((s) => demand.syscalls.includes(s));
    if (!matched.length) continue;
    notes.push(`"${rule}" matches ${matched.join(', ')}${scope(rule)} before purple's rules, so those events carry ${key ? `the key "${key}"` : 'no key'}`);
  }
  return notes;
}

/** " of processes where exe=/usr/sbin/cron and auid=unset", from the rule's -F fields. */
function scope(rule: string): string {
  const fields = [...rule.matchAll(/-F\s+(\S+)/g)]
    .map((m) => m[1]!)
    .filter((f) => !/^(arch|msgtype|key)=/.test(f));
  return fields.length ? ` of processes where ${fields.join(' and ')}` : ' of every process';
}
