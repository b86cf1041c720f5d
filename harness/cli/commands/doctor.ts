import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { formatCheck, hostReady, type Check } from '../../host/doctor.js';
import { LOCAL_SCHEME, loadTargetKinds, parseTarget } from '../../targets/kinds.js';
import { auditDemand } from '../../events/needs.js';
import { detectorNeeds } from '../../../detectors/engine.js';
import { colorFor } from '../../../reports/tty.js';

const usage = `usage: purple doctor [--json] [--target ssh://USER@HOST[:PORT] [--identity FILE] [--known-hosts FILE]]

Checks that this host can run purple: Docker engine, kernel audit and auditd (backlog, lost
records, immutability), the audit log being written, conntrack and its byte accounting, bridge
netfilter, and the victim/sink images at their current recipe hash. One line per check, with
the fix for anything missing. Exit 0 when ready (warnings allowed), 1 otherwise.

With --target, checks that Linux host over SSH instead (host key verified against known_hosts):
root or password-less sudo, kernel audit, auditd, its log, conntrack; Docker and the images
are not needed there. A password is only read from $PURPLE_SSH_PASSWORD.

  --json   print the checks as JSON instead`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check that this host is ready to run scenarios, with fixes',
  usage,
  async run(args) {
    // What the detectors need the audit trail to show: the blind-spot check looks for host rules hiding it.
    const audit = auditDemand(detectorNeeds());
    let values;
    try {
      values = parseArgs({
        args,
        options: {
          json: { type: 'boolean', default: false },
          target: { type: 'string' },
          identity: { type: 'string' },
          'known-hosts': { type: 'string' },
        },
      }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const json = values.json!;
    await loadTargetKinds();
    const choice = parseTarget(values.target ?? LOCAL_SCHEME);
    // Without root the audit status, the audit log and often Docker cannot be read here: their checks would
    // blame the host for what is the caller's missing privilege, so say that instead.
    const uid = process.getuid?.() ?? 0;
    const checks: Check[] =
      choice.kind.scheme === LOCAL_SCHEME && uid !== 0
        ? [nonRootCheck(uid)]
        : await choice.kind.doctor(choice.spec, {
            identity: values.identity,
            knownHosts: values['known-hosts'],
            userMap: {},
            audit,
            progress: () => undefined,
          });
    const ready = hostReady(checks);
    if (json) {
      console.log(JSON.stringify({ ready, checks }, null, 2));
    } else {
      const color = colorFor(process.stdout);
      for (const check of checks) console.log(formatCheck(check, color));
      const warnings = checks.filter((c) => !c.ok && c.severity === 'warn').length;
      console.log(ready ? `ready${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}` : 'not ready');
    }
    return ready ? EXIT.ok : EXIT.failed;
  },
};

function nonRootCheck(uid: number): Check {
  return {
    name: 'root',
    ok: false,
    severity: 'fail',
    detail: `purple runs as uid ${uid}, not root: it loads audit rules, reads the audit log and drives Docker, which all need root; nothing else was checked`,
    fix: 'run it as root: sudo npx purple doctor (and sudo npx purple run)',
  };
}
