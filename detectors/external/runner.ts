// External detectors (`--detector 'CMD ARGS'`): one process per scenario (or replay), fed telemetry as JSON lines on
// stdin, read alerts as JSON lines on stdout (protocol.schema.json). A detector that crashes, hangs past its timeout,
// prints garbage or too much is an `error` for that detector, named; the run goes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import type { RuleAlert } from '../byod/types.js';

export const PROTOCOL = 'purple-detector/1';
export const PROTOCOL_SCHEMA_PATH = fileURLToPath(new URL('../../../detectors/external/protocol.schema.json', import.meta.url));

export interface DetectorSpec {
  name: string;
  argv: string[];
  command: string;
}

export interface DetectorLimits {
  /** After stdin is closed, how long the detector may take to exit. */
  timeoutMs: number;
  maxOutputBytes: number;
  maxAlerts: number;
}

export const DEFAULT_LIMITS: DetectorLimits = { timeoutMs: 60_000, maxOutputBytes: 4 << 20, maxAlerts: 10_000 };
const STDERR_TAIL = 2000;
const MAX_EVENT_STEPS = 200_000;

/** Splits `CMD ARGS` like a shell would split words (quotes and backslashes), without running a shell. */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) cur += command[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in --detector '${command}'`);
  if (started) out.push(cur);
  return out;
}

/** Names each detector after its program (`name#2` for a second one with the same program). */
export function parseDetectorSpecs(commands: string[]): DetectorSpec[] {
  const seen = new Map<string, number>();
  return commands.map((command) => {
    const argv = splitCommand(command);
    if (argv.length === 0) throw new Error('--detector needs a command');
    const base = path.basename(argv.find((a, i) => i > 0 && /^(node|sh|bash|python3?|perl)$/.test(path.basename(argv[0]!)) && !a.startsWith('-')) ?? argv[0]!);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n === 1 ? base : `${base}#${n}`, argv, command };
  });
}

let validator: ValidateFunction | undefined;
function validateAlert(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(PROTOCOL_SCHEMA_PATH, 'utf8'));
  const ajv = new Ajv({ allErrors: false, strict: false });
  ajv.addSchema(schema);
  validator = ajv.getSchema(`${schema.$id}#/definitions/output`)!;
  return validator;
}

export interface DetectorOutcome {
  name: string;
  command: string;
  alerts: RuleAlert[];
  /** Why the detector's result cannot be used (crash, timeout, garbage, too much output), or null. */
  error: string | null;
}

export class ExternalDetector {
  private child: ChildProcess | undefined;
  private readonly steps = new Map<string, { step: string | null; time: string; host: string | null }>();
  private error: string | null = null;
  private outBytes = 0;
  private lineBuffer = '';
  private lineNo = 0;
  private stderr = '';
  private readonly raw: unknown[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly spec: DetectorSpec,
    private readonly limits: DetectorLimits = DEFAULT_LIMITS,
  ) {}

  start(hello: { scenario: string | null; technique: string | null }): void {
    let child: ChildProcess;
    try {
      child = spawn(this.spec.argv[0]!, this.spec.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      this.error = `could not start: ${(err as Error).message}`;
      return;
    }
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('error', (err) => {
        this.fail(`could not start: ${err.message}`);
        resolve({ code: null, signal: null });
      });
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    child.stdin!.on('error', () => undefined); // a detector may stop reading: its exit status tells the rest
    child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.write({ kind: 'hello', protocol: PROTOCOL, ...hello });
  }

  push(item: TelemetryItem, step: string | null): void {
    if (item.kind === 'audit') {
      if (this.steps.size < MAX_EVENT_STEPS) this.steps.set(item.event.id, { step, time: item.event.time, host: item.host ?? item.event.node ?? null });
      this.write({ kind: 'event', host: item.host ?? item.event.node ?? null, step, event: item.event });
    } else if (item.kind === 'flow') this.write({ kind: 'flow', flow: item.flow });
    else this.write({ kind: 'artifact', artifact: item.artifact });
  }

  /** Waits for the pipe to drain (replay calls this so a slow detector slows the replay instead of filling memory). */
  async drain(): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || !stdin.writableNeedDrain || this.error) return;
    await new Promise<void>((resolve) => {
      stdin.once('drain', resolve);
      stdin.once('close', resolve);
    });
  }

  async finish(): Promise<DetectorOutcome> {
    const done = (alerts: RuleAlert[]): DetectorOutcome => ({ name: this.spec.name, command: this.spec.command, alerts: this.error ? [] : alerts, error: this.error });
    if (!this.child || !this.exited) return done([]);
    this.write({ kind: 'end' });
    this.child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.limits.timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill();
      this.fail(`did not exit within ${this.limits.timeoutMs / 1000} s after its input ended (killed)`);
      await this.exited;
      return done([]);
    }
    if (this.lineBuffer.trim() !== '') this.onLine(this.lineBuffer);
    if (result.code !== 0) this.fail(`exited with ${result.code === null ? `signal ${result.signal}` : `code ${result.code}`}${this.stderr.trim() ? `: ${lastLine(this.stderr)}` : ''}`);
    return done(this.raw.map((a) => this.toAlert(a as Record<string, unknown>)));
  }

  private write(message: unknown): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || this.error) return;
    stdin.write(JSON.stringify(message) + '\n');
  }

  private onStdout(chunk: Buffer): void {
    if (this.error) return;
    this.outBytes += chunk.length;
    if (this.outBytes > this.limits.maxOutputBytes) {
      this.fail(`printed more than ${this.limits.maxOutputBytes} bytes (killed)`);
      this.kill();
      return;
    }
    this.lineBuffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.lineBuffer.indexOf('\n')) >= 0 && !this.error) {
      const line = this.lineBuffer.slice(0, nl);
      this.lineBuffer = this.lineBuffer.slice(nl + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    this.lineNo++;
    if (line.trim() === '') return;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      this.fail(`output line ${this.lineNo} is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
      this.kill();
      return;
    }
    const validate = validateAlert();
    if (!validate(data)) {
      const e = validate.errors?.[0];
      this.fail(`output line ${this.lineNo} is not an alert of ${PROTOCOL}: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim());
      this.kill();
      return;
    }
    if (this.raw.length >= this.limits.maxAlerts) {
      this.fail(`printed more than ${this.limits.maxAlerts} alerts (killed)`);
      this.kill();
      return;
    }
    this.raw.push(data);
  }

  private toAlert(a: Record<string, unknown>): RuleAlert {
    const eventIds = a.eventIds as string[];
    const known = eventIds.map((id) => this.steps.get(id)).filter((x) => x !== undefined);
    const steps = known.map((k) => k.step).filter((s): s is string => s !== null);
    const times = known.map((k) => k.time).sort();
    const now = new Date().toISOString();
    return {
      source: 'detector',
      detector: this.spec.name,
      id: a.id as string,
      title: a.title as string,
      techniques: (a.techniques as string[]).map((t) => t.toUpperCase()),
      firstTime: times[0] ?? now,
      time: times[times.length - 1] ?? now,
      host: known[0]?.host ?? null,
      summary: (a.summary as string) || (a.title as string),
      step: steps[0] ?? null,
      evidence: { eventIds, facts: a.level ? { level: a.level as string } : {} },
    };
  }

  private fail(message: string): void {
    this.error ??= message;
  }

  private kill(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL'); // its whole process group: it was started detached, as a group leader
    } catch {
      this.child?.kill('SIGKILL');
    }
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()!.slice(0, 300);
}
