// purple doctor --target for a machine reached over SSH: root (or password-less sudo), then the host checks
// (kernel audit, auditd, its log, conntrack) run there; Docker and the images are not needed on a host target.
import type { Check } from '../../host/doctor.js';
import { runDoctorChecks } from '../../host/doctor.js';
import { EnvironmentError } from '../../shared/errors.js';
import type { TargetOptions } from '../kinds.js';
import { PASSWORD_ENV, SshSession, type SshTargetSpec } from './session.js';

export async function sshDoctor(spec: SshTargetSpec, options: TargetOptions): Promise<Check[]> {
  let session: SshSession;
  try {
    session = await SshSession.connect(spec, { identity: options.identity, knownHosts: options.knownHosts, password: process.env[PASSWORD_ENV] || undefined });
  } catch (err) {
    throw new EnvironmentError((err as Error).message);
  }
  try {
    return [await checkRootAccess(session), ...(await runDoctorChecks(session.rootExec(), { hostTarget: true, audit: options.audit }))];
  } finally {
    await session.close();
  }
}

async function checkRootAccess(session: SshSession): Promise<Check> {
  if (session.isRoot) return { name: 'root', ok: true, severity: 'fail', detail: `connected as root to ${session.spec.uri}` };
  const r = await session.run(['sudo', '-n', 'true']);
  return r.code === 0
    ? { name: 'root', ok: true, severity: 'fail', detail: `${session.spec.user} can sudo without a password` }
    : {
        name: 'root',
        ok: false,
        severity: 'fail',
        detail: `${session.spec.user} cannot sudo without a password: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`,
        fix: `add "${session.spec.user} ALL=(ALL) NOPASSWD: ALL" to /etc/sudoers.d/purple on the host, or connect as root`,
      };
}
