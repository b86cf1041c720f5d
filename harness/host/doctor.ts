import { randomBytes } from 'node:crypto';
import { styleText } from 'node:util';
import { type HostExec, localHost } from './exec.js';
import { imagesDir as defaultImagesDir } from './paths.js';
import { IMAGE_NAMES, IMAGE_REPO_PREFIX, recipeHashes } from './recipes.js';
import { auditBlindSpots, hostRulesFirst } from './audit-blind-spots.js';
import { auditDemand, type AuditDemand } from '../events/needs.js';

export interface Check {
  name: string;
  ok: boolean;
  /** How much a failure matters: `fail` blocks a run, `warn` does not. */
  severity: 'fail' | 'warn';
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

export const AUDIT_LOG = '/var/log/audit/audit.log';
export const AUDIT_BACKLOG_MIN = 8192;
/** The `host audit rules` check's detail when no host rule matches before purple's. */
export const NO_HOST_RULES_FIRST = "no host rule matches before purple's";
const PROVISION = 'sudo bash containers/provision.sh';

const pass = (name: string, severity: Check['severity'], detail: string): Check => ({ name, ok: true, severity, detail });
const failed = (name: string, severity: Check['severity'], detail: string, fix: string): Check => ({
  name,
  ok: false,
  severity,
  detail,
  fix,
});
const firstLine = (text: string): string => text.trim().split('\n')[0] ?? '';

/**
 * Checks every prerequisite of a run on a host. Commands run through `host`, so the same checks
 * work for a remote target once an SSH HostExec exists. Image recipes are read from this checkout.
 */
export async function runDoctorChecks(
  host: HostExec = localHost,
  options: { imagesDir?: string; hostTarget?: boolean; audit?: AuditDemand } = {},
): Promise<Check[]> {
  // A host target runs its scenarios on the host itself: no engine, images or bridge involved.
  const notNeeded = (name: string) => pass(name, 'warn', 'not needed on a host target');
  const [dockerChecks, auditChecks, auditLog, conntrack] = await Promise.all([
    options.hostTarget ? [notNeeded('docker'), notNeeded('images')] : checkDocker(host, options.imagesDir ?? defaultImagesDir),
    checkAudit(host, options.audit ?? auditDemand([])),
    checkAuditLog(host),
    checkConntrack(host),
  ]);
  const flows = options.hostTarget ? conntrack.map((c) => (c.name === 'bridge netfilter' ? notNeeded(c.name) : c)) : conntrack;
  return [...dockerChecks.slice(0, 1), ...auditChecks, auditLog, ...flows, ...dockerChecks.slice(1)];
}

/** Ready means no failing check of severity `fail`. */
export function hostReady(checks: Check[]): boolean {
  return checks.every((c) => c.ok || c.severity === 'warn');
}

async function checkDocker(host: HostExec, imagesDir: string): Promise<Check[]> {
  const version = await host.run('docker', ['version', '--format', '{{.Server.Version}}']);
  if (version.code !== 0) {
    const why = version.code === 127 ? 'docker CLI not installed' : firstLine(version.stderr) || `exit ${version.code}`;
    return [
      failed('docker', 'fail', `Docker engine not reachable: ${why}`, PROVISION),
      failed('images', 'fail', 'cannot check images without the Docker engine', PROVISION),
    ];
  }
  return [pass('docker', 'fail', `Docker engine ${version.stdout.trim()}`), await checkImages(host, imagesDir)];
}

async function checkImages(host: HostExec, imagesDir: string): Promise<Check> {
  let hashes: ReturnType<typeof recipeHashes>;
  try {
    hashes = recipeHashes(imagesDir);
  } catch (err) {
    return failed('images', 'fail', (err as Error).message, `restore ${imagesDir} from git`);
  }
  const problems: string[] = [];
  await Promise.all(
    IMAGE_NAMES.map(async (name) => {
      const ref = `${IMAGE_REPO_PREFIX}${name}:${hashes[name]}`;
      const present = await host.run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref]);
      if (present.code === 0) return;
      const tags = await host.run('docker', ['images', '--format', '{{.Tag}}', `${IMAGE_REPO_PREFIX}${name}`]);
      const older = tags.stdout.split('\n').filter((t) => t && t !== 'latest' && t !== hashes[name]);
      problems.push(older.length ? `${ref} missing (stale: ${older.join(', ')})` : `${ref} missing`);
    }),
  );
  if (problems.length) return failed('images', 'fail', problems.sort().join('; '), 'purple images build');
  return pass('images', 'fail', IMAGE_NAMES.map((n) => `${n}:${hashes[n]}`).join(' '));
}

/** Parses `auditctl -s` ("enabled 1\npid 3697\n...") into numbers. */
export function parseAuditStatus(text: string): Record<string, number> {
  const status: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(-?\d+)\b/.exec(line.trim());
    if (m) status[m[1]!] = Number(m[2]);
  }
  return status;
}

async function checkAudit(host: HostExec, demand: AuditDemand): Promise<Check[]> {
  const res = await host.run('auditctl', ['-s']);
  if (res.code !== 0) {
    const why = res.code === 127 ? 'auditctl not installed' : firstLine(res.stderr) || `exit ${res.code}`;
    return [failed('kernel audit', 'fail', `cannot read audit status: ${why} (purple must run as root)`, PROVISION)];
  }
  const s = parseAuditStatus(res.stdout);
  const checks: Check[] = [];

  if (s.enabled === 1) checks.push(pass('kernel audit', 'fail', 'enabled 1'));
  else if (s.enabled === 2)
    checks.push(
      failed(
        'kernel audit',
        'fail',
        'audit configuration is immutable (enabled 2): purple cannot add or remove its rules until reboot',
        "remove '-e 2' from /etc/audit/rules.d/*.rules (and audit.rules), then reboot",
      ),
    );
  else checks.push(failed('kernel audit', 'fail', `enabled ${s.enabled ?? '?'}`, 'auditctl -e 1'));

  const pid = s.pid ?? 0;
  const alive = pid > 0 && (await host.run('kill', ['-0', String(pid)])).code === 0;
  checks.push(
    alive
      ? pass('auditd', 'fail', `running, pid ${pid}`)
      : failed('auditd', 'fail', pid > 0 ? `registered pid ${pid} is not running` : 'no audit daemon registered (pid 0)', PROVISION),
  );

  const backlog = s.backlog_limit ?? 0;
  checks.push(
    backlog >= AUDIT_BACKLOG_MIN
      ? pass('audit backlog', 'warn', `backlog_limit ${backlog}`)
      : failed('audit backlog', 'warn', `backlog_limit ${backlog} is small: bursts of events will be lost`, `auditctl -b ${AUDIT_BACKLOG_MIN}`),
  );
  const rules = await host.run('auditctl', ['-l']);
  const blindSpots = rules.code === 0 ? auditBlindSpots(rules.stdout, demand) : [];
  const first = rules.code === 0 ? hostRulesFirst(rules.stdout, demand) : [];
  checks.push(
    pass(
      'host audit rules',
      'warn',
      first.length === 0
        ? NO_HOST_RULES_FIRST
        : `${first.join('; ')}: nothing changes, purple attributes events by process whatever rule or key matched them`,
    ),
  );
  checks.push(
    blindSpots.length === 0
      ? pass('audit blind spots', 'warn', 'no host rule hides what the detectors need')
      : failed('audit blind spots', 'warn', blindSpots.join('; '), 'remove or narrow those rules (or place them after purple\'s), or expect these scenarios to be missed'),
  );
  const lost = s.lost ?? 0;
  checks.push(
    lost === 0
      ? pass('audit lost', 'warn', 'lost 0')
      : failed(
          'audit lost',
          'warn',
          `the kernel has lost ${lost} audit records since boot (or the last reset)`,
          `auditctl -b ${AUDIT_BACKLOG_MIN} (and check rate_limit); auditctl --reset-lost to watch it again`,
        ),
  );
  return checks;
}

/**
 * Proves auditd writes to AUDIT_LOG: sends a user message with a nonce (auditctl -m) and looks for
 * it at the end of the log. Without the rights to send one, falls back to the file's age.
 */
async function checkAuditLog(host: HostExec): Promise<Check> {
  const name = 'audit log';
  const stat = await host.run('stat', ['-c', '%s %Y', AUDIT_LOG]);
  if (stat.code !== 0) return failed(name, 'fail', `${AUDIT_LOG} does not exist`, PROVISION);
  const [size = 0, mtime = 0] = stat.stdout.trim().split(' ').map(Number);
  const nonce = `purple-doctor-${randomBytes(6).toString('hex')}`;
  const sent = await host.run('auditctl', ['-m', nonce]);
  if (sent.code === 0) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const found = await host.run('sh', ['-c', `tail -c 1048576 ${AUDIT_LOG} | grep -c -- '${nonce}'`]);
      if (found.code === 0) return pass(name, 'fail', `${AUDIT_LOG} receives events (${formatBytes(size)})`);
      await new Promise((r) => setTimeout(r, 150));
    }
    return failed(
      name,
      'fail',
      `a test message (${nonce}) did not reach ${AUDIT_LOG} within 3s`,
      'check log_file and write_logs in /etc/audit/auditd.conf, then restart auditd',
    );
  }
  const ageSeconds = Math.round(Date.now() / 1000 - mtime);
  return ageSeconds < 300
    ? pass(name, 'warn', `${AUDIT_LOG} last written ${ageSeconds}s ago`)
    : failed(name, 'warn', `${AUDIT_LOG} last written ${ageSeconds}s ago (could not send a test message: ${firstLine(sent.stderr)})`, 'run purple as root');
}

async function readSysctl(host: HostExec, key: string): Promise<string | undefined> {
  const res = await host.run('cat', [`/proc/sys/${key.replaceAll('.', '/')}`]);
  return res.code === 0 ? res.stdout.trim() : undefined;
}

async function checkConntrack(host: HostExec): Promise<Check[]> {
  const [tool, acct, bridge] = await Promise.all([
    host.run('conntrack', ['--version']),
    readSysctl(host, 'net.netfilter.nf_conntrack_acct'),
    readSysctl(host, 'net.bridge.bridge-nf-call-iptables'),
  ]);
  const sysctlCheck = (name: string, key: string, value: string | undefined, why: string): Check =>
    value === '1'
      ? pass(name, 'fail', `${key}=1`)
      : failed(name, 'fail', value === undefined ? `${key} absent (module not loaded)` : `${key}=${value}: ${why}`, PROVISION);
  return [
    tool.code === 0
      ? pass('conntrack', 'fail', firstLine(tool.stdout || tool.stderr))
      : failed('conntrack', 'fail', tool.code === 127 ? 'conntrack tool not installed' : firstLine(tool.stderr), PROVISION),
    sysctlCheck('conntrack accounting', 'net.netfilter.nf_conntrack_acct', acct, 'flows would have no byte counts'),
    sysctlCheck('bridge netfilter', 'net.bridge.bridge-nf-call-iptables', bridge, 'container traffic would bypass conntrack'),
  ];
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

/** One line per check (plus a `fix:` line when not ok); colour only when asked (a TTY). */
export function formatCheck(check: Check, color: boolean): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string): string => (color ? styleText(style, text) : text);
  const mark = check.ok ? paint('green', '✓') : check.severity === 'fail' ? paint('red', '✗') : paint('yellow', '!');
  const line = `${mark} ${check.name.padEnd(20)} ${check.detail}`;
  return check.ok || !check.fix ? line : `${line}\n  ${paint('dim', 'fix:')} ${check.fix}`;
}
