// Runs the shipped payloads for real on this host, in a temp dir standing in for the victim's
// filesystem ({{workdir}} for scenarios that also run on hosts; for container-only ones, paths
// such as /home/alice or /tmp are rewritten into it), then checks what
// they wrote against the scenario's own `file` telemetry checks and against the properties the
// analytics rely on. Steps that need the sink or trusted containers are left to `purple run`.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '../../harness/audit/event.js';
import { analyzeFile } from '../../harness/telemetry/safe-read.js';
import type { FileArtifact } from '../../harness/telemetry/types.js';
import { evaluateTelemetryChecks } from '../../harness/scenario/checks.js';
import { interpolate, resolveInputs, scenarioEnv, templateNames } from '../../harness/scenario/inputs.js';
import { DEFAULT_SCENARIOS_DIR, loadScenarios, payloadFile } from '../../harness/scenario/loader.js';
import { ROLES, type Scenario, type Step } from '../../harness/scenario/types.js';

const MAPPED = ['/home/alice', '/usr/local/bin', '/var/tmp', '/dev/shm', '/tmp'];

class FakeVictim {
  readonly root = mkdtempSync(path.join(tmpdir(), 'purple-payloads-'));
  constructor() {
    for (const p of MAPPED) mkdirSync(path.join(this.root, p), { recursive: true });
  }
  /** A container path as it lives under the temp root. */
  host(p: string): string {
    return path.join(this.root, p);
  }
  /** Template values: inputs, plus {{workdir}} = the temp root for host-capable scenarios. */
  values(scenario: Scenario, overrides: Record<string, string> = {}): Record<string, string | number | boolean> {
    return { ...resolveInputs(scenario, overrides), workdir: scenario.platforms.includes('host') ? this.root : '' };
  }
  /** Rewrites container paths inside a command argument (container-only scenarios, whose workdir is ''). */
  map(scenario: Scenario, arg: string): string {
    if (scenario.platforms.includes('host')) return arg;
    const re = new RegExp(`(^|[\\s=])(${MAPPED.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})(?=/|\\s|$)`, 'g');
    return arg.replace(re, (_all, before: string, p: string) => `${before}${this.host(p)}`);
  }
  /** Container path of a host file under the root. */
  container(file: string): string {
    return `/${path.relative(this.root, file)}`;
  }
  run(scenario: Scenario, step: Step, values: Record<string, string | number | boolean>): { ms: number; stdout: string } {
    const argv =
      'script' in step.command
        ? [payloadFile(scenario, step.command.script), ...step.command.args.map((a) => this.map(scenario, interpolate(a, values)))]
        : ['/bin/sh', '-c', this.map(scenario, interpolate(step.command.run, values))];
    const started = Date.now();
    const stdout = execFileSync(argv[0]!, argv.slice(1), {
      cwd: this.host('/home/alice'),
      env: { PATH: process.env.PATH, HOME: this.host('/home/alice'), ...scenarioEnv(values, {}) },
      timeout: step.timeoutMs,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ms: Date.now() - started, stdout };
  }
  files(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) out.push(p);
      }
    };
    walk(this.root);
    return out;
  }
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

const usesAddress = (step: Step) =>
  [step.user, ...('script' in step.command ? step.command.args : [step.command.run])].some((s) => templateNames(s).some((n) => (ROLES as readonly string[]).includes(n)));
/** Steps that must never run on this host: another container's, or root's in a container-only scenario (dpkg -i, /etc/hosts). */
const needsContainer = (scenario: Scenario, step: Step) =>
  step.container !== 'victim' || (step.user === 'root' && !scenario.platforms.includes('host'));
const runsHere = (scenario: Scenario, step: Step) => !usesAddress(step) && !needsContainer(scenario, step);

interface Outcome {
  victim: FakeVictim;
  artifacts: Map<string, FileArtifact>;
  stepMs: Map<string, number>;
}

/** Runs every step that needs no other container, and reads what it created. */
async function runOnHost(scenario: Scenario): Promise<Outcome> {
  const victim = new FakeVictim();
  const values = victim.values(scenario);
  const stepMs = new Map<string, number>();
  for (const step of scenario.steps) {
    if (!runsHere(scenario, step)) continue;
    stepMs.set(step.name, victim.run(scenario, step, values).ms);
  }
  const artifacts = new Map<string, FileArtifact>();
  for (const f of victim.files()) {
    // Keyed by container path; `path` is what the process saw (the real path under {{workdir}}).
    const seen = scenario.platforms.includes('host') ? f : victim.container(f);
    artifacts.set(victim.container(f), { ...(await analyzeFile(f)), path: seen });
  }
  return { victim, artifacts, stepMs };
}

/** The scenario's own `file` checks, fed one CREATE event per file the payloads wrote. */
function fileChecks(scenario: Scenario, outcome: Outcome) {
  const events: AuditEvent[] = [...outcome.artifacts.values()].map(({ path: p }, i) => ({
    id: `1.000:${i}`, node: null, time: '', serial: i, types: ['SYSCALL', 'PATH'], syscall: 'openat', args: [], success: true, exit: 3, key: null,
    process: { pid: 1, ppid: 0, uid: 0, euid: 0, auid: null, gid: 0, ses: null, tty: null, comm: null, exe: null, cwd: '/', argv: [], title: null },
    files: [{ name: p, nametype: 'CREATE', mode: null, inode: null, ouid: null }],
    socket: null,
  }));
  const specs = scenario.telemetry.filter((t) => t.kind === 'file').map((t) => ({ ...t, user: undefined }));
  return evaluateTelemetryChecks({ telemetry: specs }, outcome.victim.values(scenario), { events, flows: [], artifacts: [...outcome.artifacts.values()], addresses: {} });
}

describe('scenario payloads on this host', function () {
  const { scenarios } = loadScenarios(DEFAULT_SCENARIOS_DIR);
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const outcomes = new Map<string, Outcome>();
  const outcome = async (id: string) => {
    if (!outcomes.has(id)) outcomes.set(id, await runOnHost(byId.get(id)!));
    return outcomes.get(id)!;
  };
  after(() => outcomes.forEach((o) => o.victim.remove()));

  for (const s of scenarios.filter((x) => x.analytic !== 'AN1170' && !x.steps.some((step) => needsContainer(x, step)))) {
    it(`${s.id}: its file checks hold for what the payloads write`, async () => {
      const checks = fileChecks(s, await outcome(s.id));
      expect(checks.length).to.be.greaterThan(0);
      for (const c of checks) expect(c.satisfied, c.description).to.equal(true);
    });
  }

  for (const id of ['an1214-python-xor-archive', 'an1214-perl-xor-archive', 'an1214-bash-xor-archive']) {
    it(`${id}: >= 7.5 bits/byte, no known magic, and the shared XAR1 format with a ${256}-byte key`, async () => {
      const o = await outcome(id);
      const [where, blob] = [...o.artifacts.entries()].find(([, a]) => a.header.startsWith(Buffer.from('XAR1').toString('hex')))!;
      expect(blob, 'archive written').to.not.equal(undefined);
      expect(blob.entropy).to.be.at.least(7.5);
      expect(blob.format).to.equal(null);
      // Decrypt with the plaintext we know: the key stream must repeat every key_length bytes.
      const docs = o.victim.host('/home/alice/Documents');
      const names = readdirSync(docs).sort();
      const plain = Buffer.concat(names.map((n) => { const d = readFileSync(path.join(docs, n)); return Buffer.concat([Buffer.from(`${n}\n${d.length}\n`), d]); }));
      const encrypted = readFileSync(o.victim.host(where)).subarray(4);
      expect(encrypted.length).to.equal(plain.length);
      const key = Buffer.alloc(256);
      for (let i = 0; i < encrypted.length; i++) {
        const k = encrypted[i]! ^ plain[i]!;
        if (i < 256) key[i] = k;
        else expect(k, `key byte at ${i}`).to.equal(key[i % 256]);
      }
    });
  }

  it('an1214-bash-xor-archive stays fast at its largest input (64 KB)', async function () {
    const s = byId.get('an1214-bash-xor-archive')!;
    const victim = new FakeVictim();
    try {
      const values = victim.values(s, { docs_kb: '64' });
      for (const step of s.steps) {
        const { ms } = victim.run(s, step, values);
        if (step.name.includes('XOR')) {
          console.log(`      bash XOR of 64 KB: ${ms} ms`);
          expect(ms).to.be.below(5000);
        }
      }
    } finally {
      victim.remove();
    }
  });

  it('the benign archivers write standard gzip and zip headers; the report is low-entropy text', async () => {
    const tar = (await outcome('an1214-benign-tar-backup')).artifacts.get('/tmp/documents-backup.tar.gz')!;
    expect(tar.header.slice(0, 4)).to.equal('1f8b');
    expect(tar.format).to.equal('gzip');
    const zip = (await outcome('an1214-benign-python-zip')).artifacts.get('/tmp/documents.zip')!;
    expect(zip.header.slice(0, 8)).to.equal('504b0304');
    const report = (await outcome('an1214-benign-text-report')).artifacts.get('/tmp/documents-report.txt')!;
    expect(report.entropy).to.be.below(6);
    expect(report.format).to.equal(null);
  });

  it('the padded binaries are ELF files of size_mb that still run, with random or zero padding', async () => {
    const o = await outcome('an1529-padded-binary-exec');
    const agent = o.victim.host('/tmp/.cache/update-agent');
    expect(statSync(agent).size).to.equal(24 * 1024 * 1024);
    expect(statSync(agent).mode & 0o777).to.equal(0o755);
    expect(statSync(path.dirname(agent)).mode & 0o777).to.equal(0o755);
    expect(execFileSync(agent, ['-u'], { encoding: 'utf8' }).trim()).to.match(/^\d+$/);
    const s = byId.get('an1529-padded-binary-exec')!;
    const victim = new FakeVictim();
    try {
      victim.run(s, s.steps[0]!, victim.values(s, { size_mb: '2', padding: 'zero' }));
      const zero = victim.host('/tmp/.cache/update-agent');
      expect(statSync(zero).size).to.equal(2 * 1024 * 1024);
      expect((await analyzeFile(zero)).entropy).to.be.below(1);
      execFileSync(zero, ['-u']);
    } finally {
      victim.remove();
    }
  });

  it('the AN1170 staging payloads write exactly size_mb (or size_kb) of text, which is no archive itself', async () => {
    for (const s of scenarios.filter((x) => x.analytic === 'AN1170' && runsHere(x, x.steps[0]!))) {
      const o = await outcome(s.id);
      const values = resolveInputs(s, {});
      const expected = 'size_mb' in values ? Number(values.size_mb) << 20 : Number(values.size_kb) << 10;
      const staged = [...o.artifacts.values()].find((a) => a.size === expected) ?? [...o.artifacts.values()][0];
      expect(staged?.size, s.id).to.equal(expected);
      expect(staged!.entropy, s.id).to.be.below(6);
      expect(staged!.format, s.id).to.equal(null);
    }
  });

  it('the upload payloads parse (they need the sink, so `purple run` executes them)', () => {
    const seen = new Set<string>();
    for (const s of scenarios)
      for (const step of s.steps)
        if ('script' in step.command && usesAddress(step) && !seen.has(step.command.script)) {
          seen.add(step.command.script);
          const file = payloadFile(s, step.command.script);
          const shebang = readFileSync(file, 'utf8').split('\n')[0]!;
          if (/python/.test(shebang)) execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', file]);
          else if (/perl/.test(shebang)) execFileSync('perl', ['-c', file], { stdio: 'ignore' });
          else execFileSync(/bash/.test(shebang) ? 'bash' : 'sh', ['-n', file]);
        }
    expect([...seen].sort()).to.deep.equal([
      'ftp-upload.sh', 'ftplib-transfer.py', 'netftp-upload.pl', 'renamed-scp.sh', 'scp-by-name.sh', 'scp-chunks.sh', 'scp-upload.sh', 'tftp-upload.sh',
    ]);
  });
});
