import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { formatCheck, hostReady, runDoctorChecks } from '../../host/doctor.js';

const usage = `usage: purple doctor [--json]

Checks that this host can run purple: Docker engine, kernel audit and auditd (backlog, lost
records, immutability), the audit log being written, conntrack and its byte accounting, bridge
netfilter, and the victim/sink images at their current recipe hash. One line per check, with
the fix for anything missing. Exit 0 when ready (warnings allowed), 1 otherwise.

  --json   print the checks as JSON instead`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check that this host is ready to run scenarios, with fixes',
  usage,
  async run(args) {
    let json: boolean;
    try {
      json = parseArgs({ args, options: { json: { type: 'boolean', default: false } } }).values.json!;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const checks = await runDoctorChecks();
    const ready = hostReady(checks);
    if (json) {
      console.log(JSON.stringify({ ready, checks }, null, 2));
    } else {
      const color = process.stdout.isTTY === true;
      for (const check of checks) console.log(formatCheck(check, color));
      const warnings = checks.filter((c) => !c.ok && c.severity === 'warn').length;
      console.log(ready ? `ready${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}` : 'not ready');
    }
    return ready ? EXIT.ok : EXIT.failed;
  },
};
