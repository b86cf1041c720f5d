// How a step is started inside its container: a plain exec, a job run by cron (no TTY, parent
// chain cron -> sh -> command), or an exec on a real TTY, as an interactive user would.
import type { Role } from '../scenario/types.js';
import type { StepRequest } from '../run/target.js';
import { shellQuote } from '../shared/shell.js';

export type LaunchRequest = StepRequest;

export interface ExecOptions {
  user: string;
  cmd: string[];
  env?: Record<string, string>;
  workdir?: string;
  tty?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  stdin?: string;
}

export interface ExecResult {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  pid: number | null;
}

/** What the launcher needs of a container target (DockerEnvironment). */
export interface ContainerShell {
  exec(role: Role, options: ExecOptions): Promise<ExecResult>;
  writeFile(role: Role, path: string, content: string): Promise<void>;
}

const CRON_DIR = '/etc/cron.d';
const JOB_LOG_DIR = '/var/log/purple';
const POLL_MS = 150;

/** `exec "$@"` after cd'ing home keeps the step's own process as the top one (no extra shell ancestor). */
const IN_HOME = ['sh', '-c', 'cd "$HOME" 2>/dev/null || cd /; exec "$@"', 'purple-step'];

export async function launchStep(env: ContainerShell, request: LaunchRequest): Promise<ExecResult> {
  if (request.launch === 'cron') return launchFromCron(env, request);
  return env.exec(request.role, {
    user: request.user,
    cmd: [...IN_HOME, ...request.argv],
    env: request.env,
    tty: request.launch === 'tty',
    timeoutMs: request.timeoutMs,
    signal: request.signal,
  });
}

async function launchFromCron(env: ContainerShell, request: LaunchRequest): Promise<ExecResult> {
  const started = Date.now();
  const base = `${JOB_LOG_DIR}/${request.tag}`;
  const assignments = Object.entries(request.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const job = `cd; ${['env', ...assignments, ...request.argv.map(shellQuote)].join(' ')} >${base}.out 2>${base}.err; echo $? >${base}.rc`;
  const crontab = [
    'SHELL=/bin/sh',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    // cron reads % as a newline in a command: escape it.
    `@reboot ${request.user} ${job.replace(/%/g, '\\%')}`,
    '',
  ].join('\n');
  const root = { user: 'root', timeoutMs: 15_000 } as const;
  await env.exec(request.role, { ...root, cmd: ['mkdir', '-p', JOB_LOG_DIR] });
  await env.exec(request.role, { ...root, cmd: ['chmod', '1777', JOB_LOG_DIR] });
  await env.writeFile(request.role, `${CRON_DIR}/purple-${request.tag}`, crontab);
  // Debian's cron runs @reboot jobs once per boot, remembered in /run/crond.reboot: restart it fresh.
  const restart = await env.exec(request.role, {
    ...root,
    cmd: ['sh', '-c', 'pkill -x cron; while pgrep -x cron >/dev/null; do sleep 0.05; done; rm -f /run/crond.reboot /var/run/crond.reboot; cron'],
  });
  if (restart.exitCode !== 0) return { ...restart, stderr: `could not start cron: ${restart.stderr}` };

  let timedOut = false;
  let rc: string | null = null;
  while (rc === null) {
    const r = await env.exec(request.role, { ...root, cmd: ['cat', `${base}.rc`] });
    if (r.exitCode === 0 && r.stdout.trim() !== '') rc = r.stdout.trim();
    else if (Date.now() - started > request.timeoutMs || request.signal?.aborted) {
      timedOut = true;
      // Stop everything the job started: every process of the container but its init.
      await env.exec(request.role, { ...root, cmd: ['sh', '-c', 'pkill -KILL -x cron; kill -KILL -1'] });
      break;
    } else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const read = async (file: string) => (await env.exec(request.role, { ...root, cmd: ['tail', '-c', '4096', file] })).stdout;
  const [stdout, stderr] = [await read(`${base}.out`), await read(`${base}.err`)];
  await env.exec(request.role, { ...root, cmd: ['rm', '-f', `${CRON_DIR}/purple-${request.tag}`] });
  return { exitCode: rc === null ? null : Number(rc), timedOut, stdout, stderr, pid: null };
}
