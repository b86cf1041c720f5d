// writeEventJsonl must write exactly the bytes of JSON.stringify(event) + '\n' (what `purple events` printed before).
import { expect } from 'chai';
import fc from 'fast-check';
import { ChunkWriter, writeEventJsonl, type AuditEvent } from '../../harness/audit/index.js';
import { corpusFile, eventsOf, readLines } from './helpers.js';

function written(events: AuditEvent[], chunkSize?: number): Buffer {
  const w = new ChunkWriter(chunkSize);
  for (const e of events) writeEventJsonl(w, e);
  return Buffer.concat(w.take());
}

function stringified(events: AuditEvent[]): Buffer {
  return Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'a\udc00b'));
const maybeText = fc.option(text, { nil: null });
const id = fc.option(fc.oneof(fc.nat(), fc.integer(), fc.constant(4294967295), fc.constant(-0)), { nil: null });
const anyNumber = fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53)), { nil: null });

const event: fc.Arbitrary<AuditEvent> = fc.record({
  id: text,
  node: maybeText,
  time: text,
  serial: fc.nat(),
  types: fc.array(text, { maxLength: 4 }),
  syscall: maybeText,
  args: fc.array(text, { maxLength: 4 }),
  success: fc.option(fc.boolean(), { nil: null }),
  exit: anyNumber,
  key: maybeText,
  process: fc.record({
    pid: id,
    ppid: id,
    uid: id,
    euid: id,
    auid: id,
    gid: id,
    ses: id,
    tty: maybeText,
    comm: maybeText,
    exe: maybeText,
    cwd: maybeText,
    argv: fc.array(text, { maxLength: 5 }),
    title: maybeText,
  }),
  files: fc.array(fc.record({ name: maybeText, nametype: maybeText, mode: maybeText, inode: id, ouid: id }), { maxLength: 3 }),
  socket: fc.option(fc.record({ family: text, addr: maybeText, port: anyNumber, path: maybeText }), { nil: null }),
});

describe('writeEventJsonl', () => {
  it('writes the same bytes as JSON.stringify for the events of real logs', () => {
    const logs = ['laurel/testdata/record-execve.txt', 'go-libaudit/auparse/audit-rhel7.log', 'elastic-integrations/test-auditd-raw.log'];
    for (const log of logs) {
      const { events } = eventsOf(readLines(corpusFile(log)));
      expect(events.length, log).to.be.greaterThan(0);
      expect(written(events).equals(stringified(events)), log).to.equal(true);
    }
  });

  it('writes the same bytes as JSON.stringify for arbitrary events, across chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 4 }), fc.integer({ min: 1, max: 64 }), (events, chunkSize) => {
        const want = stringified(events);
        expect(written(events).equals(want)).to.equal(true);
        expect(written(events, chunkSize).equals(want)).to.equal(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('hands out each written byte once, in order', () => {
    const w = new ChunkWriter(8);
    w.text('héllo ');
    const first = w.take();
    w.text('wörld');
    expect(w.pending).to.equal(6);
    expect(Buffer.concat([...first, ...w.take()]).toString()).to.equal('héllo wörld');
    expect(w.take()).to.deep.equal([]);
  });
});
