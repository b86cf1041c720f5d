// AN1170 (T1071.002 File Transfer Protocols): a file-transfer tool (by its command line, or by its connections to
// FTP/SSH/TFTP/SMB ports) started without a TTY by cron, a non-interactive shell or a script sends more than a
// threshold of bytes, counted on the flows its own sockets opened and summed per job, to an untrusted destination.
import { analytic } from '../harness/attack/catalog.js';
import type { AuditEvent } from '../harness/audit/event.js';
import { flowKey } from '../harness/telemetry/conntrack.js';
import type { FileArtifact, Flow, TelemetryItem } from '../harness/telemetry/types.js';
import type { Alert, Condition, Detector, DetectorInstance, HostContext, Needs, SharedConfig } from './types.js';
import { AUDIT_RULES } from '../harness/events/needs.js';
import { register } from './registry.js';
import { attackFields } from './lib/alert.js';
import { INTERPRETER_RE, SCHEDULER_RE, SHELL_RE, baseName, isSuccessfulExec, itemHost, sameHost, timeMs } from './lib/audit-facts.js';
import { BoundedMap } from './lib/bounded.js';
import { CidrSet, parseIp } from './lib/cidr.js';
import { configurer, field } from './lib/fields.js';
import { HostPathMap } from './lib/host-path-map.js';
import { ProcessTable, chainLinks, describeProcess, programName, type ProcessInfo } from './lib/process-table.js';
import { transferTarget } from './lib/transfer-args.js';
import { formatSize } from './lib/units.js';
import { NearMisses, listLimit } from './lib/near-misses.js';

export interface An1170Config {
  /** Bytes sent (a number, or "10MB") above which a transfer (or a job's transfers, summed) alerts. */
  TransferSizeThreshold: number;
  /** Regular expressions matched against "program args..." (program = base name of argv[0], or of the executable). */
  CommandLinePatternMatch: string[];
  /** Extra: destination ports of file-transfer protocols; a no-TTY process connecting to one is a transfer. */
  TransferPorts: number[];
  /** Extra: destinations inside these CIDRs are trusted; defaults to the shared trusted_cidrs. */
  TrustedCidrs: string[];
  /** Extra: seconds a transfer (and its job) stays open for flows after its last activity (a number, or "10m"). */
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
  // ftp-data, ftp, ssh (scp/sftp), tftp, sftp (RFC 913), netbios-ssn, smb, rsync, ftps-data, ftps.
  TransferPorts: [20, 21, 22, 69, 115, 139, 445, 873, 989, 990],
  TrustedCidrs: [],
  TimeWindow: 600,
};

const configure = configurer<An1170Config>(defaults, {
  TransferSizeThreshold: field.size(),
  CommandLinePatternMatch: field.regexes(),
  TransferPorts: (v) =>
    field.strings((s) => {
      if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw new Error(`"${s}" is not a port number`);
    })(v).map(Number),
  TrustedCidrs: field.cidrs(),
  TimeWindow: field.duration(),
});

const CAP = 2_000;
/** Flows and connect() events reach the engine out of order by up to a few seconds (poll and audit latency). */
const FLOW_SLACK_MS = 5_000;
/** Multi-call binaries: the applet is argv[1] when they are run by their own name. */
const MULTI_CALL = new Set(['busybox', 'toybox']);

type Launch = 'cron' | 'script' | 'unknown parent';

interface Transfer {
  key: string;
  host: string | null;
  tool: ProcessInfo;
  chain: ProcessInfo[];
  launch: Launch;
  /** How it was recognised: its command line, or a connect() to a file-transfer port. */
  matchedBy: string;
  /** The scheduled job or script it belongs to: transfers of one job are summed. */
  job: string;
  ms: number;
  time: string;
  eventIds: string[];
  commandLine: string;
  /** Destination addresses (from argv and connect()) → port when known. */
  addresses: Map<string, number | null>;
  /** Addresses named on the command line (for flows no connect() accounts for, such as tftp's sendto). */
  argvAddresses: Set<string>;
  hostnames: string[];
  sources: string[];
  push: boolean;
  /** Whether a process of this transfer called connect(): then only flows tied to a connect (or their replies) count. */
  connected: boolean;
  /** Bytes this transfer's side sent per flow it owns (largest count per flow tuple across snapshots). */
  sentByFlow: Map<string, { sent: number; flow: Flow; dest: string }>;
  fileBytes: Map<string, FileArtifact>;
  decided: boolean;
  /** How it was recognised and launched: the conditions it met before its volume was known. */
  held: Condition[];
}

interface Job {
  key: string;
  transfers: Set<string>;
  /** Destinations already alerted for this job. */
  alerted: Set<string>;
}

/** A connect() seen in the audit log: one socket, whose flow it claims. */
interface Claim {
  id: number;
  host: string | null;
  ip: string;
  port: number;
  ms: number;
  /** The transfer of the connecting process, or null for any other process (its flow is then nobody's transfer). */
  owner: string | null;
  flow: string | null;
}

interface FlowState {
  flow: Flow;
  firstMs: number;
  /** Who the flow belongs to: a transfer key, or null (another process's socket). Undefined: not tied yet. */
  owner?: string | null;
  /** connect: the socket a connect() claimed; socket: another flow of a tied flow's local socket; argv: provisional. */
  via?: 'connect' | 'socket' | 'argv';
  /** Whether the owner's side opened the flow (its bytes sent are bytesOut), or the peer did (bytesIn). */
  outbound?: boolean;
}

/** Whether the flow runs between the claimed peer and the local side, in either direction (a UDP peer may send first). */
function claimMatches(c: Claim, f: Flow): 'out' | 'in' | null {
  if (!sameHost(c.host, f.host)) return null;
  if (canonicalIp(f.dst) === c.ip && f.dport === c.port) return 'out';
  if (canonicalIp(f.src) === c.ip && f.sport === c.port) return 'in';
  return null;
}

/** One end of a flow (protocol, address, port), as a key. */
function endKey(f: Flow, side: 'src' | 'dst'): string {
  return side === 'src' ? `${f.protocol}|${canonicalIp(f.src)}|${f.sport}` : `${f.protocol}|${canonicalIp(f.dst)}|${f.dport}`;
}

/** The owner's end of a tied flow: its own address and port. */
function localEnd(st: FlowState): string {
  return endKey(st.flow, st.outbound ? 'src' : 'dst');
}

/** Whether the flow has `end` as one of its ends: 'out' when it was opened from there, 'in' when to there. */
function sideAt(f: Flow, end: string): 'out' | 'in' | null {
  return endKey(f, 'src') === end ? 'out' : endKey(f, 'dst') === end ? 'in' : null;
}

class An1170 implements DetectorInstance {
  private readonly procs: ProcessTable;
  private readonly patterns: RegExp[];
  private readonly ports: Set<number>;
  private readonly trusted: CidrSet;
  private readonly windowMs: number;
  private readonly transfers: BoundedMap<string, Transfer>;
  private readonly jobs: BoundedMap<string, Job>;
  private readonly claims: BoundedMap<number, Claim>;
  private readonly flows: BoundedMap<string, FlowState>;
  private readonly contents: HostPathMap<FileArtifact>;
  private nextClaim = 1;
  private readonly misses = new NearMisses('AN1170');
  /** The conntrack listing being read (its flows share one time) and the transfers it changed. */
  private listing: { time: string; transfers: Map<Transfer, Flow> } | null = null;
  /** Alerts decided while evicting expired transfers, returned with the next push. */
  private retired: Alert[] = [];
  private readonly counts = {
    /** Uploaded files whose content was refused or cut (artifact.unread): their size is not used. */
    unreadContent: 0,
    toolExecs: 0,
    portConnects: 0,
    interactive: 0,
    notScripted: 0,
    flowsTied: 0,
    flowsOfOtherProcesses: 0,
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
    this.ports = new Set(config.TransferPorts);
    this.trusted = new CidrSet(config.TrustedCidrs);
    this.windowMs = config.TimeWindow * 1000;
    this.transfers = new BoundedMap(this.windowMs, CAP, (_k, t) => this.retired.push(...this.retire(t)));
    this.jobs = new BoundedMap(this.windowMs, CAP);
    this.claims = new BoundedMap(this.windowMs, 20_000);
    this.flows = new BoundedMap(this.windowMs, 20_000);
    this.contents = new HostPathMap(this.windowMs, CAP);
  }

  push(item: TelemetryItem): Alert[] {
    const decided = item.kind === 'flow' && item.flow.time === this.listing?.time ? [] : this.decideListing();
    if (item.kind === 'flow') this.listing ??= { time: item.flow.time, transfers: new Map() };
    const alerts =
      item.kind === 'audit'
        ? this.onAudit(item.event, itemHost(item))
        : item.kind === 'flow'
          ? this.onFlow(item.flow)
          : this.onArtifact(item.artifact);
    return [...this.takeRetired(), ...decided, ...alerts];
  }

  /** The transfers whose flows changed in the conntrack listing just read, decided now that all of it is in. */
  private decideListing(): Alert[] {
    const listing = this.listing;
    this.listing = null;
    if (!listing) return [];
    return [...listing.transfers].filter(([t]) => this.transfers.get(t.key) === t).flatMap(([t, flow]) => this.decideByFlows(t, flow));
  }

  private onAudit(ev: AuditEvent, host: string | null): Alert[] {
    const at = timeMs(ev.time);
    const actor = this.procs.observe(ev, host, at);
    this.expire(at);
    if (!actor) return [];
    if (isSuccessfulExec(ev)) return this.onExec(ev, host, actor, at);
    if (ev.syscall === 'connect' && ev.socket?.addr && (ev.socket.family === 'inet' || ev.socket.family === 'inet6')) {
      return this.onConnect(ev, host, actor, at, ev.socket.addr, ev.socket.port);
    }
    return [];
  }

  private onExec(ev: AuditEvent, host: string | null, actor: ProcessInfo, at: number): Alert[] {
    const argv = ev.process.argv.length ? ev.process.argv : [actor.exe ?? actor.comm ?? ''];
    const command = toolCommand(argv, actor);
    const match = command.find((c) => this.patterns.some((p) => p.test(c.line)));
    if (!match) return [];
    this.counts.toolExecs++;
    const matched: Condition = { measure: 'command line', observed: match.line, op: 'is', limit: 'a file-transfer tool', threshold: 'CommandLinePatternMatch', met: true };
    const candidate = `${describeProcess(actor)} ran ${match.line}`;
    if (hasTty(ev.process.tty)) {
      this.counts.interactive++;
      this.misses.add(1, candidate, ev.time, host, [matched, ttyCondition(ev.process.tty)]);
      return [];
    }
    const chain = this.procs.chain(host, actor.pid);
    const launch = launchedBy(chain, false);
    if (!launch) {
      this.counts.notScripted++;
      this.misses.add(2, candidate, ev.time, host, [matched, ttyCondition(null), launchCondition(chain, null)]);
      return [];
    }
    const target = transferTarget(match.argv, ev.process.cwd);
    const t = this.open(host, actor, chain, launch, `command line (${match.argv[0]})`, match.line, at, ev);
    t.hostnames = target.hosts.filter((h) => !parseIp(h));
    t.sources = target.sources;
    t.push = target.push;
    for (const src of t.sources) {
      const content = this.contents.find(host, src);
      if (content) t.fileBytes.set(src, content);
    }
    for (const h of target.hosts) {
      const ip = parseIp(h) ? canonicalIp(h) : null;
      if (!ip) continue;
      t.argvAddresses.add(ip);
      if (!t.addresses.has(ip)) t.addresses.set(ip, null);
    }
    return this.tieUnownedFlows(t);
  }

  private open(host: string | null, tool: ProcessInfo, chain: ProcessInfo[], launch: Launch, matchedBy: string, commandLine: string, at: number, ev: AuditEvent): Transfer {
    const t: Transfer = {
      key: `${host ?? ''}|${tool.pid}`,
      host,
      tool,
      chain,
      launch,
      matchedBy,
      job: jobOf(host, chain),
      ms: at,
      time: ev.time,
      eventIds: [ev.id],
      commandLine: commandLine.length > 300 ? `${commandLine.slice(0, 297)}...` : commandLine,
      addresses: new Map(),
      argvAddresses: new Set(),
      hostnames: [],
      sources: [],
      push: true,
      connected: false,
      sentByFlow: new Map(),
      fileBytes: new Map(),
      decided: false,
      held: [
        matchedBy.startsWith('command line')
          ? { measure: 'command line', observed: commandLine, op: 'is', limit: 'a file-transfer tool', threshold: 'CommandLinePatternMatch', met: true }
          : { measure: 'matched by', observed: matchedBy, op: 'is', limit: 'a file-transfer port', threshold: 'TransferPorts', met: true },
        ttyCondition(null),
        launchCondition(chain, launch),
      ],
    };
    this.transfers.set(t.key, t, at);
    const job = this.jobs.get(t.job) ?? { key: t.job, transfers: new Set<string>(), alerted: new Set<string>() };
    job.transfers.add(t.key);
    this.jobs.set(t.job, job, at);
    return t;
  }

  /**
   * A connect(): the socket's flow belongs to the connecting process. A no-TTY process outside any known transfer
   * that connects to a file-transfer port (an interpreter's ftplib, a renamed or multi-call client) opens one.
   */
  private onConnect(ev: AuditEvent, host: string | null, actor: ProcessInfo, at: number, addr: string, port: number | null): Alert[] {
    const ip = parseIp(addr) ? canonicalIp(addr) : null;
    if (!ip || port === null) return [];
    let t = this.transferOf(host, actor);
    if (!t && this.ports.has(port) && !hasTty(actor.tty)) {
      this.counts.portConnects++;
      const chain = this.procs.chain(host, actor.pid);
      const launch = launchedBy(chain, true);
      const matched: Condition = { measure: 'connect to port', observed: port, op: 'in', limit: listLimit(this.config.TransferPorts.map(String)), threshold: 'TransferPorts', met: true };
      if (!launch) {
        this.counts.notScripted++;
        this.misses.add(2, `${describeProcess(actor)} connected to ${ip}:${port}`, ev.time, host, [matched, ttyCondition(null), launchCondition(chain, null)]);
      } else t = this.open(host, actor, chain, launch, `connect to port ${port}`, [programName(actor), ...actor.argv.slice(1)].join(' '), at, ev);
    }
    const claim: Claim = { id: this.nextClaim++, host, ip, port, ms: at, owner: t?.key ?? null, flow: null };
    this.claims.set(claim.id, claim, at);
    if (t) {
      t.eventIds = [...new Set([...t.eventIds, ev.id])].slice(0, 8);
      if (!t.connected) this.dropArgvFlows(t);
      t.connected = true;
      const known = t.addresses.get(ip);
      if (!known || (!this.ports.has(known) && this.ports.has(port))) t.addresses.set(ip, port);
    }
    // A flow seen before its connect() (poll or audit latency): the earliest untied one to this ip:port.
    let best: [string, FlowState] | null = null;
    for (const [key, st] of this.flows.items()) {
      if (st.via === 'connect' || st.via === 'socket' || st.firstMs < at - FLOW_SLACK_MS) continue;
      if (!claimMatches(claim, st.flow)) continue;
      if (!best || st.firstMs < best[1].firstMs) best = [key, st];
    }
    return best ? this.tie(best[0], best[1], claim) : [];
  }

  private tie(key: string, st: FlowState, claim: Claim): Alert[] {
    claim.flow = key;
    return this.own(key, st, claim.owner, 'connect', claimMatches(claim, st.flow) === 'out');
  }

  /**
   * Gives the flow, and every other flow of the same local socket not tied more firmly, to `owner`; then decides
   * once, on all of them: whichever of a socket's flows arrives first, the outcome is the same.
   */
  private own(key: string, st: FlowState, owner: string | null, via: NonNullable<FlowState['via']>, outbound: boolean): Alert[] {
    this.release(key, st);
    Object.assign(st, { owner, via, outbound });
    const tied: [string, FlowState][] = [[key, st]];
    if (owner !== null) {
      const end = localEnd(st);
      for (const [k, other] of this.flows.items()) {
        if (k === key || other.via === 'connect' || other.via === 'socket' || !sameHost(other.flow.host, st.flow.host)) continue;
        const side = sideAt(other.flow, end);
        if (!side) continue;
        this.release(k, other);
        Object.assign(other, { owner, via: via === 'argv' ? 'argv' : 'socket', outbound: side === 'out' });
        tied.push([k, other]);
      }
    }
    const t = tied.map(([k, s]) => this.record(k, s)).find((x) => x !== null);
    return t ? this.decideByFlows(t, st.flow) : [];
  }

  /** Undo a provisional (argv) attribution before a firmer one. */
  private release(key: string, st: FlowState): void {
    if (st.owner) this.transfers.get(st.owner)?.sentByFlow.delete(key);
    st.owner = undefined;
    st.via = undefined;
    st.outbound = undefined;
  }

  private dropArgvFlows(t: Transfer): void {
    for (const [key, st] of this.flows.items()) if (st.owner === t.key && st.via === 'argv') this.release(key, st);
  }

  /** The transfer this process belongs to: its own, or an ancestor's (scp → ssh). */
  private transferOf(host: string | null, actor: ProcessInfo): Transfer | undefined {
    for (const p of this.procs.chain(host, actor.pid)) {
      const t = this.transfers.get(`${host ?? ''}|${p.pid}`);
      if (t) return t;
    }
    return undefined;
  }

  private onFlow(flow: Flow): Alert[] {
    const at = timeMs(flow.time);
    this.expire(at);
    const key = flowKey(flow);
    const previous = this.flows.get(key);
    const st: FlowState = previous ?? { flow, firstMs: at };
    if (previous && previous.flow.bytesOut + previous.flow.bytesIn > flow.bytesOut + flow.bytesIn) st.flow = { ...previous.flow, time: flow.time };
    else st.flow = flow;
    this.flows.set(key, st, at);
    if (st.via === 'connect' || st.via === 'socket') return this.credit(key, st);
    return this.attribute(key, st);
  }

  /** Tie an untied flow: to a pending connect(), to a tied flow's socket, or to a command line naming its peer. */
  private attribute(key: string, st: FlowState): Alert[] {
    const f = st.flow;
    const dst = canonicalIp(f.dst);
    let claim: Claim | null = null;
    for (const c of this.claims.values()) {
      if (c.flow !== null || !claimMatches(c, f) || c.ms > st.firstMs + FLOW_SLACK_MS) continue;
      if (!claim || c.ms > claim.ms) claim = c;
    }
    if (claim) return this.tie(key, st, claim);
    // Another flow of a tied socket: the peer answering from a port of its own (TFTP's data), or a second peer.
    for (const [k, other] of this.flows.items()) {
      if (k === key || !other.owner || other.via === 'argv') continue;
      const side = sideAt(f, localEnd(other));
      if (side) return this.own(key, st, other.owner, 'socket', side === 'out');
    }
    if (st.owner !== undefined) return this.credit(key, st);
    const src = canonicalIp(f.src);
    // No connect() accounts for it (sendto without connect): the newest open transfer naming its peer on the command line.
    let best: Transfer | null = null;
    for (const t of this.transfers.values()) {
      if (t.connected || !sameHost(t.host, f.host) || st.firstMs < t.ms - FLOW_SLACK_MS) continue;
      if (!t.argvAddresses.has(dst) && !t.argvAddresses.has(src)) continue;
      if (!best || t.ms > best.ms) best = t;
    }
    if (!best) return [];
    return this.own(key, st, best.key, 'argv', best.argvAddresses.has(dst));
  }

  /** A new transfer naming addresses on its command line may own flows that arrived before its exec. */
  private tieUnownedFlows(t: Transfer): Alert[] {
    const alerts: Alert[] = [];
    for (const [key, st] of this.flows.items()) if (st.owner === undefined && st.firstMs >= t.ms - FLOW_SLACK_MS) alerts.push(...this.attribute(key, st));
    return alerts;
  }

  /** A new count on a tied flow. */
  private credit(key: string, st: FlowState): Alert[] {
    const t = this.record(key, st);
    return t ? this.decideByFlows(t, st.flow) : [];
  }

  /** Counts the bytes the owner's side sent on a flow it owns; the transfer when that count grew. */
  private record(key: string, st: FlowState): Transfer | null {
    if (!st.owner) {
      if (st.owner === null) this.counts.flowsOfOtherProcesses++;
      return null;
    }
    const t = this.transfers.get(st.owner);
    if (!t) return null;
    const f = st.flow;
    const [sent, dest] = st.outbound ? [f.bytesOut, canonicalIp(f.dst)] : [f.bytesIn, canonicalIp(f.src)];
    const before = t.sentByFlow.get(key);
    if (!before) this.counts.flowsTied++;
    if (before && before.sent >= sent) return null;
    t.sentByFlow.set(key, { sent, flow: f, dest });
    // The port shown is the protocol's own when one of the transfer's flows went there (TFTP's request to 69, not
    // the data to the server's ephemeral port); else where the bytes went (the peer's port, on a flow it opened).
    const port = st.outbound ? f.dport : f.sport;
    const known = t.addresses.get(dest);
    if (!known || (!this.ports.has(known) && port !== null && this.ports.has(port))) t.addresses.set(dest, port);
    const at = timeMs(f.time);
    this.transfers.set(t.key, t, at); // activity keeps a long transfer and its job open
    const job = this.jobs.get(t.job);
    if (job) this.jobs.set(job.key, job, at);
    return t;
  }

  /** The job's bytes per destination, over every transfer of the job still in the window. */
  private perDestination(t: Transfer): Map<string, { sent: number; flows: Flow[]; transfers: Set<Transfer> }> {
    const job = this.jobs.get(t.job);
    const members = job ? [...job.transfers].map((k) => this.transfers.get(k)).filter((x): x is Transfer => !!x) : [t];
    if (!members.includes(t)) members.push(t);
    const perDest = new Map<string, { sent: number; flows: Flow[]; transfers: Set<Transfer> }>();
    for (const m of members) {
      for (const { sent, dest, flow } of m.sentByFlow.values()) {
        const d = perDest.get(dest) ?? { sent: 0, flows: [], transfers: new Set<Transfer>() };
        d.sent += sent;
        d.flows.push(flow);
        d.transfers.add(m);
        perDest.set(dest, d);
      }
    }
    return perDest;
  }

  private decideByFlows(t: Transfer, decidingFlow: Flow): Alert[] {
    if (this.listing) {
      // Within one listing, the order conntrack printed flows in must not matter (TFTP's request and data flows).
      this.listing.transfers.set(t, decidingFlow);
      return [];
    }
    const job = this.jobs.get(t.job);
    for (const [dest, d] of this.perDestination(t)) {
      if (this.trusted.has(dest) || d.sent <= this.config.TransferSizeThreshold || job?.alerted.has(dest)) continue;
      job?.alerted.add(dest);
      for (const m of d.transfers) m.decided = true;
      return this.alert(t, dest, d.sent, 'flow byte counts', decidingFlow.time, d.flows, [], d.transfers.size, this.volumeConditions(t, dest, d.sent, 'bytes sent'));
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
      if (t.sources.includes(artifact.path) && sameHost(t.host, host)) t.fileBytes.set(artifact.path, artifact);
    }
    return [];
  }

  /**
   * Without flows (none recorded, or none tied to the transfer), the volume is the size of the files the command
   * line uploads; decided when the transfer leaves its window or at the end of the stream.
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
    return this.alert(t, dest, total, 'size of the uploaded files', when > t.time ? when : t.time, [], artifacts, 1, this.volumeConditions(t, dest, total, 'size of the uploaded files'));
  }

  /** Where the bytes went and how many, against TrustedCidrs and TransferSizeThreshold, after the conditions the transfer met. */
  private volumeConditions(t: Transfer, dest: string, bytes: number, measure: string): Condition[] {
    return [
      ...t.held,
      { measure: 'destination', observed: dest, op: 'not in', limit: listLimit(this.config.TrustedCidrs), threshold: 'TrustedCidrs', met: !this.trusted.has(dest) },
      { measure, observed: bytes, op: '>', limit: this.config.TransferSizeThreshold, threshold: 'TransferSizeThreshold', unit: 'bytes', met: bytes > this.config.TransferSizeThreshold },
    ];
  }

  private alert(t: Transfer, dest: string, bytes: number, volumeFrom: string, time: string, flows: Flow[], artifacts: FileArtifact[], transfers: number, conditions: Condition[]): Alert[] {
    t.decided = true;
    this.counts.alerts++;
    const port = t.addresses.get(dest);
    const where = `${dest}${port ? `:${port}` : ''}`;
    const launch = t.launch === 'cron' ? 'from cron' : t.launch === 'script' ? 'from a script' : 'with no known parent';
    const job = transfers > 1 ? ` (${transfers} transfers of one job)` : '';
    const alert: Alert = {
      ...attackFields(detector.analytic),
      firstTime: t.time,
      time,
      host: t.host,
      summary: `${describeProcess(t.tool)} ${launch}, no TTY, sent ${formatSize(bytes)}${job} to untrusted ${where}: ${t.commandLine}`,
      confidence: t.launch === 'cron' ? 'high' : t.launch === 'script' ? 'medium' : 'low',
      evidence: {
        eventIds: t.eventIds,
        processChain: chainLinks(t.chain),
        facts: {
          tool: programName(t.tool),
          commandLine: t.commandLine,
          matchedBy: t.matchedBy,
          launchedBy: t.launch,
          destination: dest,
          destinationPort: port ?? null,
          bytesSent: bytes,
          volumeFrom,
          transfersInJob: transfers,
          thresholdBytes: this.config.TransferSizeThreshold,
          trustedCidrs: this.config.TrustedCidrs.join(', '),
        },
        conditions,
      },
    };
    if (flows.length) alert.evidence.flows = flows;
    if (artifacts.length) alert.evidence.artifacts = artifacts.map(({ text: _text, ...a }) => a);
    return [alert];
  }

  /** A transfer leaving the window: last chance to decide by file size when no flow was ever tied to it. */
  private retire(t: Transfer): Alert[] {
    const volumes = t.decided || t.sentByFlow.size === 0 ? null : this.perDestination(t);
    const job = this.jobs.get(t.job);
    job?.transfers.delete(t.key);
    if (job && job.transfers.size === 0) this.jobs.delete(job.key);
    if (t.decided) return [];
    const where = (dest: string) => `${dest}${t.addresses.get(dest) ? `:${t.addresses.get(dest)}` : ''}`;
    const miss = (stage: number, dest: string | null, bytes: number | null, conditions: Condition[]) =>
      this.misses.add(stage, `${describeProcess(t.tool)} sent ${bytes === null ? 'an unknown volume' : formatSize(bytes)}${dest ? ` to ${where(dest)}` : ''}: ${t.commandLine}`, t.time, t.host, conditions);
    if (!volumes) {
      const alerts = this.decideByFileSize(t);
      if (alerts.length) return alerts;
      if (t.fileBytes.size === 0) {
        this.counts.noVolume++;
        miss(3, null, null, [...t.held, { measure: 'volume', observed: 'unknown (no flow of its own, no uploaded file measured)', op: 'is', limit: 'bytes sent', threshold: null, met: false }]);
        return [];
      }
      this.counts.belowThreshold++;
      const total = [...t.fileBytes.values()].reduce((n, a) => n + a.size, 0);
      const dest = [...t.addresses.keys()].find((a) => !this.trusted.has(a)) ?? t.addresses.keys().next().value ?? t.hostnames[0] ?? null;
      const direction: Condition = { measure: 'direction', observed: t.push ? 'upload' : 'download', op: 'is', limit: 'upload', threshold: null, met: t.push };
      const volume = dest
        ? this.volumeConditions(t, dest, total, 'size of the uploaded files')
        : [...t.held, { measure: 'size of the uploaded files', observed: total, op: '>', limit: this.config.TransferSizeThreshold, threshold: 'TransferSizeThreshold', unit: 'bytes', met: total > this.config.TransferSizeThreshold } as Condition];
      miss(t.push ? 4 : 3, dest, total, [...volume.slice(0, t.held.length), direction, ...volume.slice(t.held.length)]);
      return [];
    }
    const untrusted = [...volumes].filter(([dest]) => !this.trusted.has(dest)).sort((a, b) => b[1].sent - a[1].sent);
    if ([...t.addresses.keys()].every((a) => this.trusted.has(a)) || !untrusted.length) {
      this.counts.trustedOnly++;
      const [dest, d] = [...volumes].sort((a, b) => b[1].sent - a[1].sent)[0]!;
      miss(3, dest, d.sent, this.volumeConditions(t, dest, d.sent, 'bytes sent'));
    } else {
      this.counts.belowThreshold++;
      const [dest, d] = untrusted[0]!;
      miss(4, dest, d.sent, this.volumeConditions(t, dest, d.sent, 'bytes sent'));
    }
    return [];
  }

  private expire(at: number): void {
    this.flows.expire(at);
    this.claims.expire(at);
    this.contents.expire(at);
    this.transfers.expire(at);
    this.jobs.expire(at);
  }

  flush(): Alert[] {
    const decided = this.decideListing();
    this.transfers.drain((_k, t) => this.retired.push(...this.retire(t)));
    return [...decided, ...this.takeRetired()];
  }

  private takeRetired(): Alert[] {
    const out = this.retired;
    this.retired = [];
    return out;
  }

  stats(): Record<string, number> {
    return { ...this.counts, processes: this.procs.size, openTransfers: this.transfers.size };
  }

  nearMisses() {
    return this.misses.list();
  }
}

function ttyCondition(tty: string | null): Condition {
  return { measure: 'TTY', observed: hasTty(tty) ? tty : null, op: 'is', limit: 'none', threshold: null, met: !hasTty(tty) };
}

function launchCondition(chain: ProcessInfo[], launch: Launch | null): Condition {
  const observed = launch ?? `none of its ancestors (${chain.slice(1, 6).map(programName).join(' ← ') || 'unknown'})`;
  return { measure: 'launched by', observed, op: 'is', limit: 'cron, a shell or a script', threshold: null, met: launch !== null };
}

function hasTty(tty: string | null): boolean {
  return tty !== null && tty !== '(none)';
}

/**
 * The command lines a pattern may match, each with the argv it stands for: by argv[0]'s base name, by the
 * executable's base name (a tool started under another argv[0], `exec -a`), and a multi-call binary's applet
 * (`busybox tftp ...`).
 */
function toolCommand(argv: string[], actor: ProcessInfo): { line: string; argv: string[] }[] {
  const out: { line: string; argv: string[] }[] = [];
  const add = (name: string, rest: string[]) => {
    if (name) out.push({ line: [name, ...rest].join(' '), argv: [name, ...rest] });
  };
  const first = baseName(argv[0]) || programName(actor);
  if (MULTI_CALL.has(first) && argv[1]) add(baseName(argv[1]), argv.slice(2));
  add(first, argv.slice(1));
  const exe = baseName(actor.exe);
  if (exe && exe !== first && !MULTI_CALL.has(exe)) add(exe, argv.slice(1));
  return out;
}

/** The job a process belongs to: the session under the scheduler, else its outermost shell or script, else itself. */
function jobOf(host: string | null, chain: ProcessInfo[]): string {
  const scheduler = chain.findIndex((p, i) => i > 0 && (SCHEDULER_RE.test(programName(p)) || SCHEDULER_RE.test(p.comm ?? '')));
  let root: ProcessInfo | undefined;
  if (scheduler > 0) root = chain[scheduler - 1];
  else {
    for (let i = chain.length - 1; i >= 1; i--) {
      const name = programName(chain[i]!);
      if (SHELL_RE.test(name) || INTERPRETER_RE.test(name)) {
        root = chain[i];
        break;
      }
    }
  }
  root ??= chain[0];
  return `${host ?? ''}|${root?.pid ?? '?'}|${root?.since ?? 0}`;
}

/**
 * How a no-TTY tool was started, from its ancestors (and the process itself when `selfCounts`: an interpreter that
 * connects is the script); null when a known chain has no scheduler, shell or script.
 */
function launchedBy(chain: ProcessInfo[], selfCounts: boolean): Launch | null {
  const ancestors = chain.slice(1);
  if (ancestors.some((p) => SCHEDULER_RE.test(programName(p)) || SCHEDULER_RE.test(p.comm ?? ''))) return 'cron';
  const scripted = selfCounts ? chain : ancestors;
  if (scripted.some((p) => SHELL_RE.test(programName(p)) || INTERPRETER_RE.test(programName(p)))) return 'script';
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
