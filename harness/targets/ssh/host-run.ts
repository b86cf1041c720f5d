// Everything a run does to one SSH host besides its scenarios: checks before anything starts
// (users, sudo, commands), the guardian that cleans up if the connection drops, and the
// RunTarget the suite drives.
import { EnvironmentError } from '../../shared/errors.js';
import { interpolate, templateValues } from '../../scenario/inputs.js';
import { WORKDIR_TEMPLATE } from '../../scenario/loader.js';
import type { PlannedScenario, RunTarget } from '../../run/suite.js';
import type { HostTransport } from '../../host/transport.js';
import { SshHostTarget, type HostContext } from './host-target.js';
import { SshSession, type SshOptions, type SshTargetSpec } from './session.js';
import { shellQuote } from '../../shared/shell.js';
import { LABEL_RUN } from '../docker-environment.js';

/** Parses repeated `--user-map alice=deploy` values. */
export function parseUserMap(values: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const v of values) {
    const m = /^([a-z_][a-z0-9_-]{0,31})=([a-z_][a-z0-9_.-]{0,31})$/.exec(v);
    if (!m) throw new Error(`--user-map ${JSON.stringify(v)}: expected SCENARIO_USER=HOST_USER (e.g. --user-map alice=deploy)`);
    map[m[1]!] = m[2]!;
  }
  return map;
}

/** The scenario users (as declared, templates resolved) of every step and cleanup step. */
export function scenarioUsers(planned: PlannedScenario[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const { scenario, inputs } of planned) {
    const values = templateValues({ ...inputs, [WORKDIR_TEMPLATE]: '' }, {});
    for (const step of [...scenario.steps, ...scenario.cleanup]) {
      const user = interpolate(step.user, values);
      users.set(user, [...new Set([...(users.get(user) ?? []), scenario.id])]);
    }
  }
  return users;
}

export async function connectHost(
  spec: SshTargetSpec,
  options: SshOptions,
  planned: PlannedScenario[],
  userMap: Record<string, string>,
): Promise<RunTarget> {
  let session: SshSession;
  try {
    session = await SshSession.connect(spec, options);
  } catch (err) {
    throw new EnvironmentError((err as Error).message);
  }
  try {
    const host: HostContext = { session, userMap, uids: await preflight(session, planned, userMap) };
    return hostRunTarget(host, planned);
  } catch (err) {
    await session.close();
    throw err;
  }
}

/** Refuses, naming the host, user and fix, anything that would make the run fail half-way. */
export async function preflight(session: SshSession, planned: PlannedScenario[], userMap: Record<string, string>): Promise<Record<string, number>> {
  const where = session.spec.uri;
  const problems: string[] = [];
  const root = await rootProblem(session);
  if (root) problems.push(root);
  const passwd = await session.run(['getent', 'passwd']);
  const uids: Record<string, number> = {};
  for (const line of passwd.stdout.toString('utf8').split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid)) uids[name] = Number(uid);
  }
  for (const [user, scenarios] of scenarioUsers(planned)) {
    const hostUser = userMap[user] ?? user;
    const uid = uids[hostUser];
    if (uid === undefined) {
      problems.push(
        `user ${hostUser}${hostUser !== user ? ` (mapped from ${user})` : ''} does not exist on ${where} (needed by ${scenarios.join(', ')}): ` +
          `map it to an existing account with --user-map ${user}=USER, or create it`,
      );
    } else uids[user] = uid;
  }
  const needed = ['tail', 'auditctl', 'pkill', 'pgrep', 'tar', 'stat', 'perl', ...(session.isRoot ? ['runuser'] : []), ...planned.flatMap((p) => p.scenario.requires)];
  const missing = await missingCommands(session, needed);
  if (missing) problems.push(missing);
  if (problems.length) throw new EnvironmentError(`${where} is not ready:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return uids;
}

/** Why commands cannot run as root on the host (no password-less sudo), or null. */
export async function rootProblem(session: SshSession): Promise<string | null> {
  if (session.isRoot) return null;
  const sudo = await session.run(['sudo', '-n', 'true']);
  if (sudo.code === 0) return null;
  return (
    `${session.spec.user} on ${session.spec.uri} cannot use sudo without a password (sudo -n true: ${sudo.stderr.toString('utf8').trim() || `exit ${sudo.code}`}); ` +
    'purple needs root for auditctl, conntrack, the audit log and running steps as their users: ' +
    `add "${session.spec.user} ALL=(ALL) NOPASSWD: ALL" in /etc/sudoers.d/, or connect as root`
  );
}

/** The commands of `needed` the host lacks, as one problem line, or null. */
export async function missingCommands(session: SshSession, needed: string[]): Promise<string | null> {
  const unique = [...new Set(needed)];
  const r = await session.run(['sh', '-c', 'PATH="$PATH:/usr/sbin:/sbin"; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || echo "$c"; done', 'sh', ...unique]);
  const absent = r.stdout.toString('utf8').split('\n').filter(Boolean);
  return absent.length ? `commands missing on ${session.spec.uri}: ${absent.join(', ')} (install them, or leave out the scenarios that require them)` : null;
}

/**
 * A root shell that waits on its stdin, then removes the run's audit rules (by this target's key) and,
 * unless the run told it that its regular cleanup is done, what this target's scenarios left on the host:
 * processes and work dirs (a host target; only the dirs ending in `slugSuffix`, so that another target of
 * the same run on the same host keeps its own), or the containers and networks labelled with the run id
 * (a Docker engine target). A normal end writes "done" and closes its stdin; when the connection drops,
 * sshd closes it with nothing written.
 */
export function guardianScript(runId: string, auditKey: string, leftovers: 'workdirs' | 'containers', slugSuffix = ''): string {
  const removeLeftovers =
    leftovers === 'workdirs'
      ? // Patterns are assembled at run time so that the guardian's own command line never matches them.
        [`p=/tmp/purple-${runId}`, `s=${shellQuote(slugSuffix)}`, 'pkill -KILL -f "$p-[^/ ]*$s\\.[0-9a-f]*/"', 'rm -rf -- "$p"-*"$s".*']
      : [
          `l=${shellQuote(`${LABEL_RUN}=${runId}`)}`,
          'docker ps -aq --filter "label=$l" | xargs -r docker rm -f -v',
          'docker network ls -q --filter "label=$l" | xargs -r docker network rm',
        ];
  return [
    'exec >/dev/null 2>&1',
    'read -r state',
    `k=${shellQuote(auditKey)}`,
    `auditctl -l | grep -E -- "key=$k( |\\$)" | while read -r _ rule; do auditctl -d $rule; done`,
    `[ "$state" = ${GUARDIAN_DONE} ] && exit 0`,
    ...removeLeftovers,
  ].join('; ');
}

/** What the run writes to its guardian once its own cleanup is done. */
const GUARDIAN_DONE = 'done';

function hostRunTarget(host: HostContext, planned: PlannedScenario[]): RunTarget {
  return sshRunTarget(host.session, {
    uri: host.session.spec.uri,
    planned,
    createTarget: (runId, slug) => new SshHostTarget(host, runId, slug),
    leftovers: 'workdirs',
  });
}

export interface SshRunTargetParts {
  uri: string;
  planned: PlannedScenario[];
  createTarget: RunTarget['createTarget'];
  /** What the guardian removes when the connection drops, besides the audit rules. */
  leftovers: 'workdirs' | 'containers';
  /** Further connections to the same host, closed with this one (the Docker API's). */
  companions?: SshSession[];
}

/** The RunTarget of a host reached over SSH: its collectors read over `session`, guarded against a dropped connection. */
export function sshRunTarget(session: SshSession, parts: SshRunTargetParts): RunTarget {
  const transport: HostTransport = {
    root: session.rootExec(),
    follow: (file, signal) => session.follow(file, signal),
  };
  let guardian: Awaited<ReturnType<SshSession['channel']>> | undefined;
  let auditKey: string | undefined;
  let facts: { host: string; kernel: string; auditd: string | null } | undefined;
  const leftovers = parts.leftovers === 'workdirs' ? 'its /tmp/purple-<run id>-*.* work dirs' : 'its containers and networks';
  return {
    uri: parts.uri,
    transport,
    scenarios: parts.planned,
    createTarget: parts.createTarget,
    async prepare(runId, key, slugSuffix) {
      auditKey = key;
      guardian = await session.channel(session.as('root', ['sh', '-c', guardianScript(runId, key, parts.leftovers, slugSuffix)]).map(shellQuote).join(' '));
      guardian.on('data', () => undefined);
      guardian.stderr.on('data', () => undefined);
      const uname = await session.run(['uname', '-s', '-r', '-m']);
      const auditctl = await transport.root.run('auditctl', ['-v']);
      facts = {
        host: session.hostname,
        kernel: uname.stdout.toString('utf8').trim(),
        auditd: auditctl.code === 0 ? auditctl.stdout.trim().replace(/^auditctl version /, '') : null,
      };
    },
    async describe() {
      if (!facts) throw new Error('not prepared');
      return facts;
    },
    lost: () => {
      const dropped = [session, ...(parts.companions ?? [])].find((s) => s.closed);
      return dropped
        ? `${dropped.closedReason} during the run: the guardian left on the host removes the run's audit rules (key ${auditKey ?? '?'}) and ${leftovers}`
        : undefined;
    },
    async close() {
      if (guardian && !session.closed) {
        const g = guardian;
        await new Promise<void>((resolve) => {
          g.once('close', () => resolve());
          g.end(`${GUARDIAN_DONE}\n`);
          setTimeout(resolve, 20_000).unref();
        });
      }
      await Promise.all([session, ...(parts.companions ?? [])].map((s) => s.close()));
    },
  };
}
