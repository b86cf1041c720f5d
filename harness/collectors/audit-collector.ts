// Streams the live audit log during a run: loads the run's keyed rules, parses every line,
// keeps the syscall events (of purple's rules or the host's own) whose process descends from a
// registered container, and hands each to the scenario that owns it together with its raw lines.
import { randomUUID } from 'node:crypto';
import { AuditStream } from '../audit/index.js';
import type { HostExec } from '../host/exec.js';
import { type HostTransport, localTransport } from '../host/transport.js';
import type { AuditEvent } from '../audit/event.js';
import { loadAuditRules, RULE_KEY_PREFIX, type LoadedRules } from './audit-rules.js';
import type { Needs } from '../events/needs.js';
import { ProcessAttribution, type Owner } from './process-attribution.js';

export const AUDIT_LOG = '/var/log/audit/audit.log';

export type AuditListener = (event: AuditEvent, rawLines: string[], owner: Owner) => void;

const EVENT_ID = /msg=audit\((\d+\.\d+:\d+)\)/;
const MAX_INFLIGHT_LINES = 50_000;
/** How long auditd may take to write purple's marker: generous, a loaded 2-core host lags seconds behind. */
const BARRIER_MS = 30_000;
/** auditd does not write EOE records to its log: a kernel event idle this long is complete. */
const IDLE_EVENT_MS = 300;
/** Executables of the container runtime itself: their events are machinery, not the container's. */
const RUNTIME_EXE = /\/(runc|containerd-shim[\w-]*|docker-init|docker-proxy)$/;

export interface AuditCounters {
  lost: number;
  backlog: number;
  backlogLimit: number;
}

export async function readAuditCounters(host: HostExec = localTransport.root): Promise<AuditCounters> {
  const r = await host.run('auditctl', ['-s']);
  const get = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(r.stdout)?.[1] ?? NaN);
  return { lost: get('lost'), backlog: get('backlog'), backlogLimit: get('backlog_limit') };
}

export class AuditCollector {
  readonly attribution = new ProcessAttribution();
  private readonly listeners = new Map<string, AuditListener>();
  private readonly stream = new AuditStream();
  private readonly inflight = new Map<string, string[]>();
  private readonly barriers = new Map<string, { resolve: (markerMs: number) => void; reject: (err: Error) => void }>();
  /** The newest barrier: when it was asked for (this machine's clock) and the time of its marker. */
  private latestBarrier: { askedAt: number; marker: Promise<number> } | undefined;
  private readonly abort = new AbortController();
  private rules: LoadedRules | undefined;
  private pump: Promise<void> | undefined;
  private failure: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Times the log rotated away a file before it was read (its events are lost), and what was seen last. */
  gaps = 0;
  lastGap = '';

  constructor(
    readonly runId: string,
    private readonly logPath = AUDIT_LOG,
    readonly transport: HostTransport = localTransport,
    /** Distinguishes the rules of several targets of one run that may be the same machine. */
    private readonly keySuffix = '',
    /** What the detectors need logged; the process table's own rules are always loaded. */
    private readonly needs: readonly Needs[] = [],
  ) {}

  get key(): string {
    return `${RULE_KEY_PREFIX}-${this.runId}${this.keySuffix}`;
  }

  /** The kernel's audit counters on the watched host. */
  counters(): Promise<AuditCounters> {
    return readAuditCounters(this.transport.root);
  }

  get loadedRules(): string[] {
    return this.rules?.text ?? [];
  }

  get parserStats() {
    return this.stream.stats;
  }

  /** Starts tailing from the end of the log, then loads the rules (so no event of ours is missed). */
  async start(): Promise<void> {
    const lines = this.transport.follow(this.logPath, this.abort.signal, (message) => {
      this.gaps++;
      this.lastGap = message;
    });
    this.pump = (async () => {
      for await (const line of lines) this.onLine(line);
    })().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.failure = err instanceof Error ? err : new Error(String(err));
    });
    this.rules = await loadAuditRules(this.key, this.needs, this.transport.root);
  }

  subscribe(scenario: string, listener: AuditListener): void {
    this.listeners.set(scenario, listener);
  }

  unsubscribe(scenario: string): void {
    this.listeners.delete(scenario);
    this.attribution.removeOwner(scenario);
  }

  /**
   * Resolves once every line auditd wrote before this call has been read and dispatched, with the time of the
   * marker it wrote (the target's audit clock): every event of a syscall that ended before then has been dispatched.
   */
  async barrier(timeoutMs = BARRIER_MS): Promise<number> {
    if (this.failure) throw this.failure;
    const token = `purple-barrier-${randomUUID()}`;
    const seen = new Promise<number>((resolve, reject) => this.barriers.set(token, { resolve, reject }));
    seen.catch(() => undefined); // rejected by stop() perhaps before it is awaited
    const sent = await this.transport.root.run('auditctl', ['-m', token]);
    if (sent.code !== 0) {
      this.barriers.delete(token);
      throw new Error(`auditctl -m failed on ${this.transport.root.where}: ${sent.stderr.trim()}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the audit log ${this.logPath} on ${this.transport.root.where} did not show purple's marker within ${timeoutMs} ms: is auditd writing it?`)),
        timeoutMs,
      );
    });
    let markerMs: number;
    try {
      markerMs = await Promise.race([seen, timeout]);
    } finally {
      clearTimeout(timer);
      this.barriers.delete(token);
    }
    // Every record queued before the marker has been read, and an event completes on its own last
    // record (PROCTITLE), so the events of processes that exited before this call are all dispatched:
    // no wait. Only events stuck without their last record for IDLE_EVENT_MS are completed as they are.
    this.flushIdle(IDLE_EVENT_MS);
    return markerMs;
  }

  /**
   * A barrier asked for no earlier than `ms` (this machine's clock): the marker time of one already under way
   * when there is one, else of a new one. Many scenarios' flows of one poll share a single marker.
   */
  readUpTo(ms: number): Promise<number> {
    if (this.latestBarrier && this.latestBarrier.askedAt >= ms) return this.latestBarrier.marker;
    const latest = { askedAt: Date.now(), marker: this.barrier() };
    this.latestBarrier = latest;
    latest.marker.catch(() => {
      if (this.latestBarrier === latest) this.latestBarrier = undefined;
    });
    return latest.marker;
  }

  /** Removes the run's rules and stops reading. Returns the rules that could not be removed. */
  async stop(): Promise<string[]> {
    const failures = (await this.rules?.remove()) ?? [];
    clearInterval(this.idleTimer);
    for (const { reject } of this.barriers.values()) reject(new Error('the audit collector stopped'));
    this.abort.abort();
    await this.pump;
    for (const event of this.stream.end()) this.dispatch(event);
    return failures;
  }

  private flushIdle(idleMs: number): void {
    for (const event of this.stream.flushIdle(idleMs)) this.dispatch(event);
  }

  private onLine(line: string): void {
    if (this.barriers.size > 0) {
      for (const [token, { resolve }] of this.barriers) if (line.includes(token)) resolve(markerTime(line));
    }
    const id = EVENT_ID.exec(line)?.[1];
    if (id) {
      const lines = this.inflight.get(id);
      if (lines) lines.push(line);
      else {
        this.inflight.set(id, [line]);
        if (this.inflight.size > MAX_INFLIGHT_LINES) {
          const oldest = this.inflight.keys().next().value;
          if (oldest !== undefined) this.inflight.delete(oldest);
        }
      }
    }
    for (const event of this.stream.push(line)) this.dispatch(event);
  }

  private dispatch(event: AuditEvent): void {
    const raw = this.inflight.get(event.id) ?? [];
    this.inflight.delete(event.id);
    // Whatever rule matched: a host rule listed before purple's (a CIS execve rule keyed "exec") wins
    // the kernel's first match and tags the event with its own key. Events some syscall rule matched
    // count when their process is the scenario's; records no rule produced (a PAM login) do not.
    if (event.syscall === null && !event.key?.startsWith(RULE_KEY_PREFIX)) return;
    const owner = this.attribution.attribute(event);
    if (!owner || (event.process.exe && RUNTIME_EXE.test(event.process.exe))) return;
    this.listeners.get(owner.scenario)?.(event, raw, owner);
  }
}

/** The time of an audit record, in epoch milliseconds (now when the line has none). */
function markerTime(line: string): number {
  const stamp = EVENT_ID.exec(line)?.[1];
  return stamp ? Math.round(Number(stamp.split(':')[0]) * 1000) : Date.now();
}
