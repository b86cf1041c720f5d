// Property-based: arbitrary and mutated lines never throw, and never cost the well-formed events around them.
import { expect } from 'chai';
import fc from 'fast-check';
import { AuditStream, isRecordError, parseRecord, type AuditEvent } from '../../harness/audit/index.js';
import { corpusFile, readLines } from './helpers.js';

/** A well-formed, EOE-terminated syscall event with serial `serial`. */
function goodEvent(serial: number, arg: string): string[] {
  const hex = Buffer.from(arg, 'utf8').toString('hex').toUpperCase();
  const stamp = `1700000000.${String(serial % 1000).padStart(3, '0')}`;
  return [
    `type=SYSCALL msg=audit(${stamp}:${serial}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=0 ppid=1 pid=${serial} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/bin/x" key="prop"`,
    `type=EXECVE msg=audit(${stamp}:${serial}): argc=2 a0="x" a1=${hex.length > 0 ? hex : '""'}`,
    `type=EOE msg=audit(${stamp}:${serial}):`,
  ];
}

function run(lines: string[]): AuditEvent[] {
  const s = new AuditStream({ window: 64 });
  const out: AuditEvent[] = [];
  for (const l of lines) out.push(...s.push(l));
  out.push(...s.end());
  return out;
}

/** Mutations that keep the result a single line. */
const mutate = (line: string) =>
  fc.oneof(
    fc.nat({ max: line.length }).map((n) => line.slice(0, n)),
    fc.tuple(fc.nat({ max: line.length }), fc.string({ maxLength: 20 })).map(([n, s]) => line.slice(0, n) + s.replace(/\n/g, '') + line.slice(n)),
    fc.tuple(fc.nat({ max: line.length }), fc.nat({ max: 30 })).map(([n, k]) => line.slice(0, n) + line.slice(n + k)),
    fc.constantFrom('\x1d', '"', "'", '{', '}', '(', ')', '=', ':', ' ', '\0', '\ud800').chain((c) =>
      fc.nat({ max: line.length }).map((n) => line.slice(0, n) + c + line.slice(n)),
    ),
  );

const corpusLines = [
  ...readLines(corpusFile('laurel/testdata/record-execve.txt')),
  ...readLines(corpusFile('go-libaudit/auparse/audit-rhel7.log')),
  ...readLines(corpusFile('elastic-integrations/test-auditd-raw.log')),
].filter((l) => l.length > 0);

describe('audit parser properties (fast-check)', () => {
  it('parseRecord never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = parseRecord(s);
        expect(isRecordError(r) || typeof r.type === 'string').to.equal(true);
        if (!isRecordError(r)) void r.fields, void r.enriched;
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated real lines never throw, and field() agrees with fields[] on them', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpusLines).chain(mutate), (line) => {
        const r = parseRecord(line);
        if (isRecordError(r)) return;
        for (const k of ['pid', 'exe', 'comm', 'name', 'saddr', 'proctitle', 'key', 'a0', 'cwd', 'msg', 'res']) {
          const fast = r.field(k);
          const full = r.fields[k];
          // The raw-text lookup may see a value the full scan attributes to a preceding unterminated quote.
          if (fast !== undefined && full !== undefined) expect(fast, `${k} in ${JSON.stringify(line)}`).to.equal(full);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('garbage and mutated lines between well-formed events never lose those events', () => {
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => s.replace(/\n/g, ' ')),
      fc.constantFrom(...corpusLines).chain(mutate),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.array(garbage, { maxLength: 3 })), { minLength: 1, maxLength: 20 }),
        (plan) => {
          const lines: string[] = [];
          plan.forEach(([arg, noise], i) => {
            lines.push(...goodEvent(900000 + i * 7, arg), ...noise);
          });
          const events = run(lines).filter((e) => e.key === 'prop');
          const ours = plan.map(([arg], i) => ({ serial: 900000 + i * 7, argv: ['x', arg] }));
          for (const want of ours) {
            const got = events.filter((e) => e.serial === want.serial && e.types[0] === 'SYSCALL');
            expect(got, `event ${want.serial}`).to.have.length(1);
            expect(got[0]!.process.argv).to.deep.equal(want.argv);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('interleaving two events record by record still groups them', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (a, b, picks) => {
        const ea = goodEvent(10, a);
        const eb = goodEvent(11, b);
        const lines: string[] = [];
        for (const p of picks) {
          const from = p && ea.length > 0 ? ea : eb.length > 0 ? eb : ea;
          lines.push(from.shift()!);
        }
        lines.push(...ea, ...eb);
        const events = run(lines);
        expect(events.map((e) => e.serial).sort()).to.deep.equal([10, 11]);
        expect(events.find((e) => e.serial === 10)!.process.argv).to.deep.equal(['x', a]);
        expect(events.find((e) => e.serial === 11)!.process.argv).to.deep.equal(['x', b]);
      }),
      { numRuns: 500 },
    );
  });
});
