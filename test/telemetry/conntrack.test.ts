import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { ConntrackParser, conntrackFlows, flowKey, parseConntrackLine } from '../../harness/telemetry/conntrack.js';
import type { Flow } from '../../harness/telemetry/types.js';

const NOW = '2025-01-01T00:00:00.000Z';
const parse = (line: string): Flow => {
  const r = parseConntrackLine(line, NOW, 'victim');
  if (!('flow' in r)) throw new Error(`not a flow: ${JSON.stringify(r)}`);
  return r.flow;
};

describe('conntrack parsing', () => {
  it('-E -o timestamp,extended NEW with [UNREPLIED]', () => {
    const f = parse('[1700000000.123456]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.0.0.2 dst=10.0.0.3 sport=40000 dport=22 [UNREPLIED] src=10.0.0.3 dst=10.0.0.2 sport=22 dport=40000');
    expect(f).to.deep.include({ time: '2023-11-14T22:13:20.123Z', event: 'NEW', protocol: 'tcp', src: '10.0.0.2', dst: '10.0.0.3', sport: 40000, dport: 22, bytesOut: 0, bytesIn: 0, host: 'victim' });
  });

  it('-E without options: [DESTROY] with counters and no timeout', () => {
    const f = parse(' [DESTROY] tcp      6 src=10.0.0.2 dst=10.0.0.3 sport=40000 dport=22 packets=900 bytes=21000000 src=10.0.0.3 dst=10.0.0.2 sport=22 dport=40000 packets=400 bytes=30000 [ASSURED]');
    expect(f).to.deep.include({ time: NOW, event: 'DESTROY', bytesOut: 21000000, bytesIn: 30000, packetsOut: 900, packetsIn: 400 });
  });

  it('-L -o extended with accounting, mark and use', () => {
    const f = parse('ipv4     2 tcp      6 431999 ESTABLISHED src=172.18.0.2 dst=172.18.0.3 sport=51000 dport=21 packets=10 bytes=1000 src=172.18.0.3 dst=172.18.0.2 sport=21 dport=51000 packets=8 bytes=900 [ASSURED] mark=0 use=1');
    expect(f).to.deep.include({ event: 'LIST', src: '172.18.0.2', dst: '172.18.0.3', bytesOut: 1000, bytesIn: 900 });
  });

  it('udp (TFTP data flow originated by the server) and icmp, ipv6, plain -L, with the runner\'s poll prefix', () => {
    const udp = parse('[1700000001.5]\tipv4     2 udp      17 29 src=172.18.0.3 dst=172.18.0.2 sport=50000 dport=40000 packets=32768 bytes=17000000 src=172.18.0.2 dst=172.18.0.3 sport=40000 dport=50000 packets=32768 bytes=16800000 mark=0 use=1');
    expect(udp).to.deep.include({ protocol: 'udp', src: '172.18.0.3', bytesIn: 16800000, time: '2023-11-14T22:13:21.500Z' });
    const icmp = parse('icmp     1 29 src=10.0.0.2 dst=10.0.0.3 type=8 code=0 id=7 packets=1 bytes=84 src=10.0.0.3 dst=10.0.0.2 type=0 code=0 id=7 packets=1 bytes=84 mark=0 use=1');
    expect(icmp).to.deep.include({ protocol: 'icmp', sport: null, dport: null, bytesOut: 84 });
    const v6 = parse('ipv6     10 tcp      6 300 ESTABLISHED src=fd00::2 dst=fd00::3 sport=1 dport=2 src=fd00::3 dst=fd00::2 sport=2 dport=1 [ASSURED] mark=0 use=1');
    expect(v6).to.deep.include({ src: 'fd00::2', dst: 'fd00::3' });
    expect(parse('unknown  2 127 src=172.17.0.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=172.17.0.1 mark=0 use=1').protocol).to.equal('unknown');
  });

  it('counts malformed lines with their numbers and skips the footer and blank lines, never throwing', () => {
    const p = new ConntrackParser();
    const lines = ['conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.', '', 'tcp 6 src=1.2.3.4', 'garbage', 'tcp 6 1 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=x dport=1', 'tcp 6 1 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1 dport=1'];
    const flows = lines.map((l) => p.push(l)).filter(Boolean);
    expect(flows).to.have.length(1);
    expect(p.stats).to.deep.include({ lines: 6, flows: 1, ignored: 2, malformed: 3 });
    expect(p.stats.malformedLines.map((m) => m.line)).to.deep.equal([3, 4, 5]);
  });

  it('lines without a timestamp take the last one seen', () => {
    const p = new ConntrackParser();
    p.push('[1700000000.000001]\ttcp 6 1 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1 dport=1');
    expect(p.push('tcp 6 1 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2')!.time).to.equal('2023-11-14T22:13:20.000Z');
  });

  it('property: random and mutated lines never throw', () => {
    const real = '[1700000000.123456]\t    [UPDATE] ipv4     2 tcp      6 60 ESTABLISHED src=10.0.0.2 dst=10.0.0.3 sport=40000 dport=22 packets=3 bytes=180 src=10.0.0.3 dst=10.0.0.2 sport=22 dport=40000 packets=2 bytes=120 [ASSURED] mark=0 use=1';
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.nat(real.length), fc.nat(real.length), (noise, i, j) => {
        const p = new ConntrackParser();
        p.push(noise);
        const mutated = real.slice(0, Math.min(i, j)) + noise + real.slice(Math.max(i, j));
        p.push(mutated);
        p.push(real);
        expect(p.stats.flows).to.be.greaterThan(0);
        expect(p.stats.lines).to.equal(3);
      }),
      { numRuns: 2000 },
    );
  });

  describe('real conntrack output on this host (loopback TCP transfer)', () => {
    let server: Server;
    let port: number;
    let client: Socket;
    const received = { bytes: 0 };
    const SENT = 3 * 1024 * 1024;

    before(async () => {
      server = createServer((s) => s.on('data', (d) => (received.bytes += d.length)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(() => {
      client?.destroy();
      server.close();
    });

    it('-E -o timestamp,extended events and -L -o extended snapshots parse into the same flow, growing', async function () {
      // Watch events for this port only, with our own child process (killed by its pid).
      const watcher = spawn('conntrack', ['-E', '-o', 'timestamp,extended', '-p', 'tcp', '--dport', String(port)]);
      const events: string[] = [];
      watcher.stdout.setEncoding('utf8').on('data', (d: string) => events.push(...d.split('\n').filter(Boolean)));
      await new Promise((r) => setTimeout(r, 300));
      client = connect(port, '127.0.0.1');
      await new Promise<void>((r) => client.on('connect', () => r()));
      await new Promise<void>((r) => client.write(Buffer.alloc(SENT, 7), () => r()));
      while (received.bytes < SENT) await new Promise((r) => setTimeout(r, 20));
      const listed = execFileSync('conntrack', ['-L', '-o', 'extended', '-p', 'tcp', '--dport', String(port)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      client.end();
      await new Promise((r) => setTimeout(r, 500));
      watcher.kill();

      const snapshot = listed.split('\n').filter(Boolean).map(parse);
      expect(snapshot).to.have.length(1);
      const f = snapshot[0]!;
      expect(f).to.deep.include({ event: 'LIST', protocol: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', dport: port });
      expect(f.bytesOut).to.be.at.least(SENT);
      expect(f.bytesIn).to.be.lessThan(SENT / 10);

      const flows: Flow[] = [];
      const stream = conntrackFlows(Readable.from(events.map((e) => `${e}\n`)));
      for await (const x of stream) flows.push(x);
      expect(stream.stats.malformed, events.join('\n')).to.equal(0);
      expect(flows.map((x) => x.event)).to.include('NEW');
      expect(flows.every((x) => flowKey(x) === flowKey(f))).to.equal(true);
      expect(flows[0]!.time).to.match(/^\d{4}-\d\d-\d\dT/);
    });
  });
});
