// External detectors as real processes: a well-behaved one, and ones that crash, hang, print garbage or flood; each
// failure is an error named for that detector, and never an exception.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ExternalDetector, parseDetectorSpecs, splitCommand, DEFAULT_LIMITS } from '../../detectors/external/runner.js';
import { event } from '../detectors/factory.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'purple-detector-'));
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

async function runDetector(command: string, limits = DEFAULT_LIMITS) {
  const [spec] = parseDetectorSpecs([command]);
  const d = new ExternalDetector(spec!, limits);
  d.start({ scenario: 's1', technique: 'T1560.003' });
  const ev = event({ pid: 300, exe: '/usr/bin/python3', argv: ['python3', '/x/xor-archive.py'], syscall: 'execve' });
  d.push({ kind: 'audit', event: ev, host: 'victim' }, 'XOR step');
  d.push({ kind: 'audit', event: event({ pid: 301, exe: '/bin/ls', argv: ['ls'], syscall: 'execve' }), host: 'victim' }, 'other step');
  return { outcome: await d.finish(), id: ev.id };
}

describe('external detectors', function () {
  this.timeout(30_000);

  it('splits a command line like a shell, without one', () => {
    expect(splitCommand(`node "/a b/d.mjs" --x='1 2' c\\ d`)).to.deep.equal(['node', '/a b/d.mjs', '--x=1 2', 'c d']);
    expect(() => splitCommand(`node "open`)).to.throw(/unterminated/);
    expect(parseDetectorSpecs(['node /x/det.mjs', 'node /y/det.mjs']).map((s) => s.name)).to.deep.equal(['det.mjs', 'det.mjs#2']);
  });

  it('feeds JSON lines and reads alerts, attributed to the step of the events they name', async () => {
    const file = script('ok.mjs', `
import readline from 'node:readline';
const kinds = [];
for await (const line of readline.createInterface({ input: process.stdin })) {
  const m = JSON.parse(line);
  kinds.push(m.kind);
  if (m.kind === 'event' && m.event.process.argv.some((a) => a.endsWith('xor-archive.py')))
    console.log(JSON.stringify({ id: 'a1', title: 'xor', techniques: ['T1560.003'], summary: 'saw ' + m.step, eventIds: [m.event.id] }));
}
console.log(JSON.stringify({ id: 'kinds', title: kinds.join(','), techniques: [], summary: '', eventIds: [] }));
`);
    const { outcome, id } = await runDetector(`node ${file}`);
    expect(outcome.error).to.equal(null);
    expect(outcome.alerts.map((a) => [a.id, a.detector, a.step, a.summary, a.techniques, a.evidence.eventIds])).to.deep.equal([
      ['a1', 'ok.mjs', 'XOR step', 'saw XOR step', ['T1560.003'], [id]],
      ['kinds', 'ok.mjs', null, 'hello,event,event,end', [], []],
    ]);
  });

  it('a crash, a hang, garbage and a flood are errors named for the detector', async () => {
    const crash = await runDetector(`sh -c 'cat >/dev/null; echo boom >&2; exit 3'`);
    expect(crash.outcome.error).to.equal('exited with code 3: boom');
    const hang = await runDetector(`sh -c 'cat >/dev/null; sleep 30'`, { ...DEFAULT_LIMITS, timeoutMs: 500 });
    expect(hang.outcome.error).to.match(/did not exit within 0.5 s/);
    const garbage = await runDetector(`sh -c 'echo not json; cat >/dev/null'`);
    expect(garbage.outcome.error).to.match(/output line 1 is not JSON/);
    const wrong = await runDetector(`sh -c 'echo "{\\"id\\":1}"; cat >/dev/null'`);
    expect(wrong.outcome.error).to.match(/not an alert of purple-detector\/1/);
    const flood = await runDetector(`sh -c 'yes "{\\"id\\":\\"x\\",\\"title\\":\\"t\\",\\"techniques\\":[],\\"summary\\":\\"\\",\\"eventIds\\":[]}"'`, { ...DEFAULT_LIMITS, maxOutputBytes: 100_000 });
    expect(flood.outcome.error).to.match(/printed more than 100000 bytes/);
    const missing = await runDetector('/nonexistent/detector');
    expect(missing.outcome.error).to.match(/could not start|ENOENT/);
    for (const r of [crash, hang, garbage, wrong, flood, missing]) expect(r.outcome.alerts).to.deep.equal([]);
  });
});
