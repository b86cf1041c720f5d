// AN1170 (T1071.002 File Transfer Protocols): a file-transfer tool started without a TTY by cron, a non-interactive
// shell or a script sends more than a threshold of bytes to a destination outside the trusted networks.
import { analytic } from '../harness/attack/catalog.js';
import type { AuditEvent } from '../harness/audit/event.js';
import { flowKey } from '../harness/telemetry/conntrack.js';
import type { FileArtifact, Flow, TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, Detector, DetectorInstance, HostContext, Needs, SharedConfig } from './types.js';
import { AUDIT_RULES } from '../harness/events/needs.js';
import { register } from './registry.js';
import { attackFields } from './lib/alert.js';
import { INTERPRETER_RE, SCHEDULER_RE, SHELL_RE, baseName, isSuccessfulExec, itemHost, timeMs } from './lib/audit-facts.js';
import { BoundedMap } from './lib/bounded.js';
import { CidrSet, parseIp } from './lib/cidr.js';
import { configurer, field } from './lib/fields.js';
import { HostPathMap } from './lib/host-path-map.js';
import { ProcessTable, chainLinks, describeProcess, programName, type ProcessInfo } from './lib/process-table.js';
import { transferTarget } from './lib/transfer-args.js';
import { formatSize } from './lib/units.js';

export interface An1170Config {
  /** Bytes sent (a number, or "10MB") above which a transfer alerts. */
  TransferSizeThreshold: number;
  /** Regular expressions matched against "program args..." (program = base name of argv[0]). */
  CommandLinePatternMatch: string[];
  /** Extra: destinations inside these CIDRs are trusted; defaults to the shared trusted_cidrs. */
  TrustedCidrs: string[];
  /** Extra: seconds a transfer stays open for flows after its last activity (a number, or "10m"). */
  TimeWindow: number;
}

const defaults: An1170Config = {
  TransferSizeThreshold: 10 * 1024 * 1024,
  CommandLinePatternMatch: [
    '^(scp|sftp|ftp|pftp|lftp|tftp|atftp|ncftpput|smbclient)( |$)',
    '^rsync( .*)? (-e ?\\S*ssh|--rsh=?\\S*ssh|[^ :]+:(?!:))',
    '^curl( .*)? (-T ?\\S|--upload-file |-F ?\\S*=@|--form \\S*=@|--data-binary @)',
    '^wget( .*)? --post-file',
  ],
  TrustedCidrs: [],
  TimeWindow: 600,
};

const configure = configurer<An1170Config>(defaults, {
  TransferSizeThreshold: field.size(),
  CommandLinePatternMatch: field.regexes(),
  TrustedCidrs: field.cidrs(),
  TimeWindow: field.duration(),
});

const CAP = 2_000;
/** Flows may be observed slightly before the exec that caused them is (poll and audit latency). */
const FLOW_SLACK_MS = 5_000;

type Launch = 'cron' | 'script' | 'unknown parent';

interface Transfer {
  key: string;
  host: string | null;
  tool: ProcessInfo;
  chain: ProcessInfo[];
  launch: Launch;
  ms: number;
  time: string;
  eventIds: string[];
  commandLine: string;
  /** Destination addresses (from argv and connect()) → port when known. */
  addresses: Map<string, number | null>;
  hostnames: string[];
  sources: string[];
  push: boolean;
  /** Largest byte count seen per flow tuple (snapshots and events repeat a flow as it grows). */
  sentByFlow: Map<string, { sent: number; flow: Flow; dest: string }>;
  fileBytes: Map<string, FileArtifact>;
  decided: boolean;
}

class An1170 implements DetectorInstance {
  private readonly procs: ProcessTable;
  private readonly patterns: RegExp[];
  private readonly trusted: CidrSet;
  private readonly windowMs: number;
  private readonly transfers: BoundedMap<string, Transfer>;
  private readonly byAddress = new Map<string, Set<string>>();
  private readonly recentFlows: BoundedMap<string, Flow>;
  private readonly contents: HostPathMap<FileArtifact>;
  /** Alerts decided while evicting expired transfers, returned with the next push. */
  private retired: Alert[] = [];
  private readonly counts = {
    /** Uploaded files whose content was refused or cut (artifact.unread): their size is not used. */
    unreadContent: 0,
    toolExecs: 0,
    interactive: 0,
    notScripted: 0,
    trustedOnly: 0,
    belowThreshold: 0,
    noVolume: 0,
    alerts: 0,
  };

  constructor(
    private readonly config: An1170Config,
    host: HostContext,
  ) {
    this.procs = new ProcessTable(host.users);
    this.patterns = config.CommandLinePatternMatch.map((p) => new RegExp(p));
    this.trusted = new CidrSet(config.TrustedCidrs);
    this.windowMs = config.TimeWindow * 1000;
    this.transfers = new BoundedMap(this.windowMs, CAP, (_k, t) => this.retired.push(...this.retire(t)));
    this.recentFlows = new BoundedMap(this.windowMs, 20_000);
    this.contents = new HostPathMap(this.windowMs, CAP);
  }

  push(item: TelemetryItem): Alert[] {
    const alerts =
      item.kind === 'audit'
        ? this.onAudit(item.event, itemHost(item))
        : item.kind === 'flow'
          ? this.onFlow(item.flow)
          : this.onArtifact(item.artifact);
    return this.retired.length ? [...this.takeRetired(), ...alerts] : alerts;
  }

  private onAudit(ev: AuditEvent, host: string | null): Alert[] {
    const at = timeMs(ev.time);
    const actor = this.procs.observe(ev, host, at);
    this.expire(at);
    if (!actor) return [];
    if (isSuccessfulExec(ev)) return this.onExec(ev, host, actor, at);
    if (ev.syscall === 'connect' && ev.socket?.addr && (ev.socket.family === 'inet' || ev.socket.family === 'inet6')) {
      const transfer = this.transferOf(host, actor);
      if (transfer && parseIp(ev.socket.addr)) {
        transfer.eventIds = [...new Set([...transfer.eventIds, ev.id])].slice(0, 8);
        return this.addDestination(transfer, ev.socket.addr, ev.socket.port);
      }
    }
    return [];
  }

  private onExec(ev: AuditEvent, host: string | null, actor: ProcessInfo, at: number): Alert[] {
    const argv = ev.process.argv.length ? ev.process.argv : [actor.exe ?? actor.comm ?? ''];
    const commandLine = [baseName(argv[0]) || programName(actor), ...argv.slice(1)].join(' ');
    if (!this.patterns.some((p) => p.test(commandLine))) return [];
    this.counts.toolExecs++;
    if (ev.process.tty !== null && ev.process.tty !== '(none)') {
      this.counts.interactive++;
      return [];
    }
    const chain = this.procs.chain(host, actor.pid);
    const launch = launchedBy(chain);
    if (!launch) {
      this.counts.notScripted++;
      return [];
    }
    const target = transferTarget(argv, ev.process.cwd);
    const transfer: Transfer = {
      key: `${host ?? ''}|${actor.pid}`,
      host,
      tool: actor,
      chain,
      launch,
      ms: at,
      time: ev.time,
      eventIds: [ev.id],
      commandLine: commandLine.length > 300 ? `${commandLine.slice(0, 297)}...` : commandLine,
      addresses: new Map(),
      hostnames: target.hosts.filter((h) => !parseIp(h)),
      sources: target.sources,
      push: target.push,
      sentByFlow: new Map(),
      fileBytes: new Map(),
      decided: false,
    };
    this.transfers.set(transfer.key, transfer, at);
    for (const src of transfer.sources) {
      const content = this.contents.find(host, src);
      if (content) transfer.fileBytes.set(src, content);
    }
    const alerts: Alert[] = [];
    for (const h of target.hosts) if (parseIp(h)) alerts.push(...this.addDestination(transfer, h, null));
    return alerts;
  }

  /** The transfer this process belongs to: its own, or an ancestor's (scp → ssh). */
  private transferOf(host: string | null, actor: ProcessInfo): Transfer | undefined {
    for (const p of this.procs.chain(host, actor.pid)) {
      const t = this.transfers.get(`${host ?? ''}|${p.pid}`);
      if (t) return t;
    }
    return undefined;
  }

  private addDestination(t: Transfer, address: string, port: number | null): Alert[] {
    const ip = canonicalIp(address);
    if (t.addresses.has(ip)) {
      if (port !== null && t.addresses.get(ip) === null) t.addresses.set(ip, port);
      return [];
    }
    t.addresses.set(ip, port);
    let keys = this.byAddress.get(ip);
    if (!keys) this.byAddress.set(ip, (keys = new Set()));
    keys.add(t.key);
    const alerts: Alert[] = [];
    for (const flow of this.recentFlows.values()) alerts.push(...this.account(t, flow));
    return alerts;
  }

  private onFlow(flow: Flow): Alert[] {
    const at = timeMs(flow.time);
    this.expire(at);
    const key = flowKey(flow);
    const previous = this.recentFlows.get(key);
    const merged =
      previous && previous.bytesOut + previous.bytesIn > flow.bytesOut + flow.bytesIn ? { ...previous, time: flow.time } : flow;
    this.recentFlows.set(key, merged, at);
    const alerts: Alert[] = [];
    for (const address of [canonicalIp(flow.src), canonicalIp(flow.dst)]) {
      for (const tk of this.byAddress.get(address) ?? []) {
        const t = this.transfers.get(tk);
        if (t) alerts.push(...this.account(t, merged));
      }
    }
    return alerts;
  }

  /** Count the bytes the tool's side sent to a destination of this transfer, whichever side opened the flow. */
  private account(t: Transfer, flow: Flow): Alert[] {
    if (timeMs(flow.time) < t.ms - FLOW_SLACK_MS) return [];
    const src = canonicalIp(flow.src);
    const dst = canonicalIp(flow.dst);
    let sent: number;
    let dest: string;
    if (t.addresses.has(dst)) [sent, dest] = [flow.bytesOut, dst];
    else if (t.addresses.has(src)) [sent, dest] = [flow.bytesIn, src];
    else return [];
    const key = flowKey(flow);
    const before = t.sentByFlow.get(key);
    if (before && before.sent >= sent) return [];
    t.sentByFlow.set(key, { sent, flow, dest });
    this.transfers.set(t.key, t, timeMs(flow.time)); // activity keeps a long transfer open
    return this.decideByFlows(t, flow);
  }

  private decideByFlows(t: Transfer, decidingFlow: Flow): Alert[] {
    if (t.decided) return [];
    const perDest = new Map<string, number>();
    for (const { sent, dest } of t.sentByFlow.values()) perDest.set(dest, (perDest.get(dest) ?? 0) + sent);
    for (const [dest, sent] of perDest) {
      if (this.trusted.has(dest) || sent <= this.config.TransferSizeThreshold) continue;
      const flows = [...t.sentByFlow.values()].filter((f) => f.dest === dest).map((f) => f.flow);
      return this.alert(t, dest, sent, 'flow byte counts', decidingFlow.time, flows, []);
    }
    return [];
  }

  private onArtifact(artifact: FileArtifact): Alert[] {
    if (artifact.unread) {
      this.counts.unreadContent++;
      return [];
    }
    const host = artifact.host ?? null;
    this.contents.set(host, artifact.path, artifact, timeMs(artifact.time));
    for (const t of this.transfers.values()) {
      if (t.sources.includes(artifact.path) && (!t.host || !host || t.host === host)) t.fileBytes.set(artifact.path, artifact);
    }
    return [];
  }

  /**
   * Without flows (none recorded, or none reaching a known destination address), the volume is the size of the
   * files the command line uploads; decided when the transfer leaves its window or at the end of the stream.
   */
  private decideByFileSize(t: Transfer, time?: string): Alert[] {
    if (t.decided || !t.push || t.fileBytes.size === 0) return [];
    const total = [...t.fileBytes.values()].reduce((n, a) => n + a.size, 0);
    if (total <= this.config.TransferSizeThreshold) return [];
    const untrusted = [...t.addresses.keys()].filter((a) => !this.trusted.has(a));
    if (t.addresses.size > 0 && untrusted.length === 0) return [];
    const dest = untrusted[0] ?? t.hostnames[0] ?? '(unknown destination)';
    const artifacts = [...t.fileBytes.values()];
    const when = time ?? artifacts.map((a) => a.time).sort().at(-1) ?? t.time;
    return this.alert(t, dest, total, 'size of the uploaded files', when > t.time ? when : t.time, [], artifacts);
  }

  private alert(t: Transfer, dest: string, bytes: number, volumeFrom: string, time: string, flows: Flow[], artifacts: FileArtifact[]): Alert[] {
    t.decided = true;
    this.counts.alerts++;
    const port = t.addresses.get(dest);
    const where = `${dest}${port ? `:${port}` : ''}`;
    const launch = t.launch === 'cron' ? 'from cron' : t.launch === 'script' ? 'from a script' : 'with no known parent';
    const alert: Alert = {
      ...attackFields(detector.analytic),
      firstTime: t.time,
      time,
      host: t.host,
      summary: `${describeProcess(t.tool)} ${launch}, no TTY, sent ${formatSize(bytes)} to untrusted ${where}: ${t.commandLine}`,
      confidence: t.launch === 'cron' ? 'high' : t.launch === 'script' ? 'medium' : 'low',
      evidence: {
        eventIds: t.eventIds,
        processChain: chainLinks(t.chain),
        facts: {
          tool: programName(t.tool),
          commandLine: t.commandLine,
          launchedBy: t.launch,
          destination: dest,
          destinationPort: port ?? null,
          bytesSent: bytes,
          volumeFrom,
          thresholdBytes: this.config.TransferSizeThreshold,
          trustedCidrs: this.config.TrustedCidrs.join(', '),
        },
      },
    };
    if (flows.length) alert.evidence.flows = flows;
    if (artifacts.length) alert.evidence.artifacts = artifacts.map(({ text: _text, ...a }) => a);
    return [alert];
  }

  /** A transfer leaving the window: last chance to decide by file size when no flow was ever attributed to it. */
  private retire(t: Transfer): Alert[] {
    for (const address of t.addresses.keys()) {
      const keys = this.byAddress.get(address);
      keys?.delete(t.key);
      if (keys?.size === 0) this.byAddress.delete(address);
    }
    if (t.decided) return [];
    if (t.sentByFlow.size === 0) {
      const alerts = this.decideByFileSize(t);
      if (alerts.length) return alerts;
      if (t.fileBytes.size === 0) this.counts.noVolume++;
      else this.counts.belowThreshold++;
    } else if ([...t.addresses.keys()].every((a) => this.trusted.has(a))) this.counts.trustedOnly++;
    else this.counts.belowThreshold++;
    return [];
  }

  private expire(at: number): void {
    this.recentFlows.expire(at);
    this.contents.expire(at);
    this.transfers.expire(at);
  }

  flush(): Alert[] {
    this.transfers.drain((_k, t) => this.retired.push(...this.retire(t)));
    return this.takeRetired();
  }

  private takeRetired(): Alert[] {
    const out = this.retired;
    this.retired = [];
    return out;
  }

  stats(): Record<string, number> {
    return { ...this.counts, processes: this.procs.size, openTransfers: this.transfers.size };
  }
}

/** How a no-TTY tool was started, from its ancestors; null when a known chain has no scheduler, shell or script. */
function launchedBy(chain: ProcessInfo[]): Launch | null {
  const ancestors = chain.slice(1);
  if (ancestors.some((p) => SCHEDULER_RE.test(programName(p)) || SCHEDULER_RE.test(p.comm ?? ''))) return 'cron';
  if (ancestors.some((p) => SHELL_RE.test(programName(p)) || INTERPRETER_RE.test(programName(p)))) return 'script';
  if (ancestors.length === 0) return 'unknown parent';
  return null;
}

function canonicalIp(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  if (ip.version === 4) {
    const v = Number(ip.value);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  return ip.value.toString(16);
}

/** Execs and connects of transfer tools, the flows they make, and the size of the files they upload. */
const needs: Needs = {
  audit: AUDIT_RULES.connect,
  records: ['SYSCALL', 'EXECVE', 'CWD', 'SOCKADDR'],
  content: { transferSources: true },
  flows: true,
};

export const detector: Detector<An1170Config> = register({
  analytic: analytic('AN1170'),
  needs,
  defaults,
  configure: (overrides, shared: SharedConfig) => {
    const config = configure(overrides);
    if (!('TrustedCidrs' in overrides)) config.TrustedCidrs = [...shared.trustedCidrs];
    return config;
  },
  create: (config, _shared, host) => new An1170(config, host),
});
