// Which scenario step an audit event belongs to, so that rules and external detectors see the steps' processes only:
// never the harness's own (the `purple-step` wrapper shells, cron's job shell and `env`, result polling, cron
// restarts, cleanup steps, anything else run in the containers).
import type { AuditEvent } from '../audit/event.js';

/** The cron job line the step launcher writes: `... >/var/log/purple/<tag>.out 2>... ; echo $? >...rc`. */
const CRON_JOB = /\/var\/log\/purple\/([\w-]+)\.out\b/;
const EXEC = new Set(['execve', 'execveat']);
const FORKS = new Set(['clone', 'clone3', 'fork', 'vfork']);
const MAX_PIDS = 100_000;

type State = { wrapper: string } | { step: string };

export class StepGate {
  /** Step tag ("1", "2"... or "cleanup-1") by the command line it runs. */
  private readonly expected: { tag: string; command: string }[] = [];
  private readonly states = new Map<string, State>();
  private readonly parents = new Map<string, number>();

  /** The runner announces each step (and cleanup step) before launching it: `tag` is its launch tag. */
  expect(tag: string, command: string): void {
    this.expected.push({ tag, command });
  }

  /** The step tag the event's process works for, or null for everything else. Feed every event, in order. */
  observe(ev: AuditEvent, host: string | null): string | null {
    const { pid, ppid } = ev.process;
    if (pid === null) return null;
    const key = `${host ?? ''}|${pid}`;
    if (ppid !== null && ppid !== pid) this.learn(key, ppid);
    if (ev.syscall && FORKS.has(ev.syscall) && ev.exit !== null && ev.exit > 0) this.learn(`${host ?? ''}|${ev.exit}`, pid);
    let state = this.stateOf(host, pid);
    if (ev.syscall && EXEC.has(ev.syscall) && ev.success !== false) {
      const wrapper = this.wrapperTag(ev.process.argv, state);
      if (wrapper !== null) {
        this.set(key, { wrapper });
        return null;
      }
      if (state && 'wrapper' in state) {
        state = { step: state.wrapper };
        this.set(key, state);
      }
    }
    if (!state || 'wrapper' in state) return null;
    if (!this.states.has(key)) this.set(key, state);
    return state.step.startsWith('cleanup') ? null : state.step;
  }

  private wrapperTag(argv: string[], inherited: State | undefined): string | null {
    if (argv[1] === '-c' && argv[3] === 'purple-step') {
      const command = argv.slice(4).join(' ');
      return this.expected.find((e) => e.command === command)?.tag ?? 'cleanup-unknown';
    }
    if (argv[1] === '-c' && /(^|\/)sh$/.test(argv[0] ?? '')) {
      const m = CRON_JOB.exec(argv[2] ?? '');
      if (m) return m[1]!;
    }
    // cron's job shell runs `env K=V... program`: env is plumbing too.
    if (inherited && 'wrapper' in inherited && /(^|\/)env$/.test(argv[0] ?? '')) return inherited.wrapper;
    return null;
  }

  private stateOf(host: string | null, pid: number): State | undefined {
    let key = `${host ?? ''}|${pid}`;
    for (let depth = 0; depth < 64; depth++) {
      const s = this.states.get(key);
      if (s) return s;
      const parent = this.parents.get(key);
      if (parent === undefined) return undefined;
      key = `${host ?? ''}|${parent}`;
    }
    return undefined;
  }

  private set(key: string, state: State): void {
    this.states.set(key, state);
    if (this.states.size > MAX_PIDS) this.states.delete(this.states.keys().next().value!);
  }

  private learn(child: string, parent: number): void {
    this.parents.set(child, parent);
    if (this.parents.size > MAX_PIDS) this.parents.delete(this.parents.keys().next().value!);
  }
}
