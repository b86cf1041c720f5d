// Polls the kernel's connection tracking table for the flows of the run's containers. conntrack
// only reports a TCP flow's final byte count on DESTROY, long after TIME_WAIT, so live counts come
// from listing the table (`conntrack -L`), which also keeps finished flows until they expire.
import type { HostExec } from '../host/exec.js';
import { localTransport } from '../host/transport.js';

export type FlowListener = (line: string, stampedLine: string) => void;

const FLOW_ID = / id=(\d+)/;

interface Watch {
  address: string;
  listener: FlowListener;
  /** conntrack ids that existed before the watch began: earlier users of the same address. */
  preexisting: Set<string> | undefined;
  /** Last line seen per flow id, so a flow is reported again only when its counters change. */
  last: Map<string, string>;
}

export class FlowCollector {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private unavailable: string | undefined;

  constructor(
    private readonly intervalMs = 400,
    private readonly host: HostExec = localTransport.root,
  ) {}

  /** Why flows could not be collected (conntrack missing, accounting off...), if so. */
  get problem(): string | undefined {
    return this.unavailable;
  }

  async start(): Promise<void> {
    const acct = await this.host.run('cat', ['/proc/sys/net/netfilter/nf_conntrack_acct']);
    if (acct.stdout.trim() !== '1') {
      this.unavailable = 'conntrack byte accounting is off (net.netfilter.nf_conntrack_acct=0): run `sudo bash containers/provision.sh`';
    }
    await this.poll();
    // A poll that fails in the background (a dropped connection) makes flows incomplete, never the run crash.
    this.timer = setInterval(() => {
      this.poll().catch((err: unknown) => {
        this.unavailable ??= `conntrack -L failed on ${this.host.where}: ${err instanceof Error ? err.message : String(err)}`;
      });
    }, this.intervalMs);
  }

  /** Reports every flow whose either end is `address`, from now on, to `listener`. */
  async watch(key: string, address: string, listener: FlowListener): Promise<void> {
    const watch: Watch = { address, listener, preexisting: undefined, last: new Map() };
    const lines = await this.list();
    watch.preexisting = new Set(lines.filter((l) => involves(l, address)).map((l) => FLOW_ID.exec(l)?.[1] ?? l));
    this.watches.set(key, watch);
  }

  /** One last poll for this watch (call after the scenario's last step), then forget it. */
  async unwatch(key: string): Promise<void> {
    await this.poll();
    this.watches.delete(key);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    this.watches.clear();
  }

  /** Polls now, or joins the poll already under way. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (this.watches.size === 0) return;
    const lines = await this.list();
    const stamp = `[${(Date.now() / 1000).toFixed(6)}]\t`;
    for (const watch of this.watches.values()) {
      for (const line of lines) {
        if (!involves(line, watch.address)) continue;
        const id = FLOW_ID.exec(line)?.[1] ?? line;
        if (watch.preexisting?.has(id) || watch.last.get(id) === line) continue;
        watch.last.set(id, line);
        watch.listener(line, stamp + line);
      }
    }
  }

  private async list(): Promise<string[]> {
    const r = await this.host.run('conntrack', ['-L', '-o', 'extended,id']);
    if (r.code !== 0) {
      this.unavailable ??= `conntrack -L failed on ${this.host.where}: ${r.stderr.trim().split('\n')[0] ?? ''} (is the conntrack tool installed? run \`sudo bash containers/provision.sh\`)`;
      return [];
    }
    return r.stdout.split('\n').filter((l) => l.includes('src='));
  }
}

function involves(line: string, address: string): boolean {
  return line.includes(`src=${address} `) || line.includes(`dst=${address} `);
}
