// The Sigma rules specification, construct by construct, on hand-made events.
import { expect } from 'chai';
import { RuleProblem } from '../../detectors/sigma/detection.js';
import { base64Offsets, windash } from '../../detectors/sigma/detection.js';
import { SigmaEngine } from '../../detectors/sigma/engine.js';
import { detection, loadFromFiles, matches, view } from './helpers.js';

const problem = (yaml: string): RuleProblem => {
  try {
    detection(yaml);
  } catch (err) {
    if (err instanceof RuleProblem) return err;
    throw err;
  }
  throw new Error('expected a RuleProblem');
};

describe('Sigma semantics', () => {
  describe('values and wildcards', () => {
    it('matches a plain value exactly, case-insensitively', () => {
      expect(matches(`sel: {Image: /usr/bin/Curl}\ncondition: sel`, { Image: '/usr/bin/curl' })).to.equal(true);
      expect(matches(`sel: {Image: /usr/bin/curl}\ncondition: sel`, { Image: '/usr/bin/curl2' })).to.equal(false);
    });
    it('* and ? are wildcards; \\* \\? \\\\ are literal; a backslash before anything else is itself', () => {
      expect(matches(`sel: {CommandLine: 'a*c'}\ncondition: sel`, { CommandLine: 'abbbc' })).to.equal(true);
      expect(matches(`sel: {CommandLine: 'a?c'}\ncondition: sel`, { CommandLine: 'abc' })).to.equal(true);
      expect(matches(`sel: {CommandLine: 'a?c'}\ncondition: sel`, { CommandLine: 'abbc' })).to.equal(false);
      expect(matches(`sel: {CommandLine: 'a\\*c'}\ncondition: sel`, { CommandLine: 'a*c' })).to.equal(true);
      expect(matches(`sel: {CommandLine: 'a\\*c'}\ncondition: sel`, { CommandLine: 'abc' })).to.equal(false);
      expect(matches(`sel: {CommandLine: 'a\\?c'}\ncondition: sel`, { CommandLine: 'abc' })).to.equal(false);
      expect(matches(`sel: {CommandLine: 'C:\\\\dir\\x'}\ncondition: sel`, { CommandLine: 'C:\\dir\\x' })).to.equal(true);
    });
    it('numbers match their text; the cased modifier makes matching case-sensitive', () => {
      expect(matches(`sel: {ProcessId: 42}\ncondition: sel`, { ProcessId: 42 })).to.equal(true);
      expect(matches(`sel: {ProcessId: 42}\ncondition: sel`, { ProcessId: '42' })).to.equal(true);
      expect(matches(`sel: {Image|cased: /bin/SH}\ncondition: sel`, { Image: '/bin/sh' })).to.equal(false);
      expect(matches(`sel: {Image|cased: /bin/SH}\ncondition: sel`, { Image: '/bin/SH' })).to.equal(true);
    });
    it("'' is the empty value and null means absent (or empty)", () => {
      expect(matches(`sel: {User: ''}\ncondition: sel`, { User: '' })).to.equal(true);
      expect(matches(`sel: {User: ''}\ncondition: sel`, { User: 'x' })).to.equal(false);
      expect(matches(`sel: {ParentImage: null}\ncondition: sel`, {})).to.equal(true);
      expect(matches(`sel: {ParentImage: null}\ncondition: sel`, { ParentImage: '/bin/sh' })).to.equal(false);
      expect(problem(`sel: {User: ['', null]}\ncondition: sel`).kind).to.equal('invalid');
    });
  });

  describe('lists, maps and keywords', () => {
    it('a list of values is OR, a map is AND, a list of maps is OR', () => {
      const yaml = `sel:\n  Image|endswith: [/curl, /wget]\n  User: root\ncondition: sel`;
      expect(matches(yaml, { Image: '/usr/bin/wget', User: 'root' })).to.equal(true);
      expect(matches(yaml, { Image: '/usr/bin/wget', User: 'alice' })).to.equal(false);
      const maps = `sel:\n  - {Image: /a}\n  - {User: bob}\ncondition: sel`;
      expect(matches(maps, { Image: '/b', User: 'bob' })).to.equal(true);
      expect(matches(maps, { Image: '/b', User: 'eve' })).to.equal(false);
    });
    it('keywords are searched in every field; |all needs every keyword', () => {
      expect(matches(`kw: [evil, bad]\ncondition: kw`, { CommandLine: 'run BAD thing' })).to.equal(true);
      expect(matches(`kw: [evil]\ncondition: kw`, { CommandLine: 'fine' })).to.equal(false);
      const all = `kw:\n  '|all': [truncate, '-s']\ncondition: kw`;
      expect(matches(all, { a0: 'truncate', a1: '-s', a2: '24M' })).to.equal(true);
      expect(matches(all, { a0: 'truncate', a1: '--length' })).to.equal(false);
    });
  });

  describe('modifiers', () => {
    it('contains, startswith, endswith', () => {
      expect(matches(`sel: {CommandLine|contains: 'base64 -d'}\ncondition: sel`, { CommandLine: 'echo x | BASE64 -D | sh' })).to.equal(true);
      expect(matches(`sel: {CommandLine|startswith: 'nc '}\ncondition: sel`, { CommandLine: 'nc -l 4444' })).to.equal(true);
      expect(matches(`sel: {CommandLine|startswith: 'nc '}\ncondition: sel`, { CommandLine: 'sync -l' })).to.equal(false);
      expect(matches(`sel: {Image|endswith: /nc}\ncondition: sel`, { Image: '/usr/bin/nc' })).to.equal(true);
      expect(matches(`sel: {Image|endswith: /nc}\ncondition: sel`, { Image: '/usr/bin/nc.openbsd' })).to.equal(false);
    });
    it('contains|all needs every value; all on one value is invalid', () => {
      const yaml = `sel: {CommandLine|contains|all: [' -e ', '/bin/sh']}\ncondition: sel`;
      expect(matches(yaml, { CommandLine: 'nc -e /bin/sh 1.2.3.4' })).to.equal(true);
      expect(matches(yaml, { CommandLine: 'nc -e /bin/bash' })).to.equal(false);
      expect(problem(`sel: {CommandLine|contains|all: x}\ncondition: sel`).kind).to.equal('invalid');
    });
    it('re is case-sensitive unless i; m and s change ^ $ and .', () => {
      expect(matches(`sel: {CommandLine|re: 'chmod [0-7]{3}'}\ncondition: sel`, { CommandLine: 'chmod 777 x' })).to.equal(true);
      expect(matches(`sel: {CommandLine|re: 'CHMOD'}\ncondition: sel`, { CommandLine: 'chmod' })).to.equal(false);
      expect(matches(`sel: {CommandLine|re|i: 'CHMOD'}\ncondition: sel`, { CommandLine: 'chmod' })).to.equal(true);
      expect(matches(`sel: {CommandLine|re: '^b$'}\ncondition: sel`, { CommandLine: 'a\nb' })).to.equal(false);
      expect(matches(`sel: {CommandLine|re|m: '^b$'}\ncondition: sel`, { CommandLine: 'a\nb' })).to.equal(true);
      expect(matches(`sel: {CommandLine|re: 'a.b'}\ncondition: sel`, { CommandLine: 'a\nb' })).to.equal(false);
      expect(matches(`sel: {CommandLine|re|s: 'a.b'}\ncondition: sel`, { CommandLine: 'a\nb' })).to.equal(true);
      expect(matches(`sel: {CommandLine|re: '(?i)CHMOD'}\ncondition: sel`, { CommandLine: 'chmod' })).to.equal(true);
      expect(problem(`sel: {CommandLine|re: '(unclosed'}\ncondition: sel`).kind).to.equal('invalid');
      expect(problem(`sel: {CommandLine|i: 'x'}\ncondition: sel`).message).to.match(/sub-modifiers of \|re/);
    });
    it('cidr matches IPv4 and IPv6 ranges', () => {
      expect(matches(`sel: {DestinationIp|cidr: 10.0.0.0/8}\ncondition: sel`, { DestinationIp: '10.20.30.40' })).to.equal(true);
      expect(matches(`sel: {DestinationIp|cidr: 10.0.0.0/8}\ncondition: sel`, { DestinationIp: '11.0.0.1' })).to.equal(false);
      expect(matches(`sel: {DestinationIp|cidr: 'fd00::/8'}\ncondition: sel`, { DestinationIp: 'fd12::1' })).to.equal(true);
      expect(problem(`sel: {DestinationIp|cidr: 10.0.0.0/40}\ncondition: sel`).kind).to.equal('invalid');
    });
    it('exists checks presence only', () => {
      expect(matches(`sel: {ParentImage|exists: true}\ncondition: sel`, { ParentImage: '' })).to.equal(true);
      expect(matches(`sel: {ParentImage|exists: true}\ncondition: sel`, {})).to.equal(false);
      expect(matches(`sel: {ParentImage|exists: false}\ncondition: sel`, {})).to.equal(true);
    });
    it('windash tries every dash-like character at each - and /', () => {
      expect(windash('-a')).to.have.members(['-a', '/a', '\u2013a', '\u2014a', '\u2015a']);
      const yaml = `sel: {CommandLine|windash|contains: ' -enc '}\ncondition: sel`;
      expect(matches(yaml, { CommandLine: 'x /enc y' })).to.equal(true);
      expect(matches(yaml, { CommandLine: 'x \u2013enc y' })).to.equal(true);
      expect(matches(yaml, { CommandLine: 'x +enc y' })).to.equal(false);
    });
    it('base64 and base64offset find a value inside base64 text', () => {
      const encoded = Buffer.from('curl http://x | sh').toString('base64');
      expect(matches(`sel: {CommandLine|base64: 'curl http://x | sh'}\ncondition: sel`, { CommandLine: encoded })).to.equal(true);
      for (const prefix of ['', 'a', 'ab']) {
        const text = Buffer.from(`${prefix}/bin/sh -i tail`).toString('base64');
        expect(matches(`sel: {CommandLine|base64offset|contains: '/bin/sh -i'}\ncondition: sel`, { CommandLine: `echo ${text} | base64 -d` }), prefix).to.equal(true);
      }
      expect(base64Offsets(Buffer.from('/bin/sh'))).to.have.length(3);
      expect(matches(`sel: {CommandLine|base64offset|contains: '/bin/sh -i'}\ncondition: sel`, { CommandLine: Buffer.from('harmless text').toString('base64') })).to.equal(false);
    });
    it('utf16le/wide, utf16be and utf16 encode before base64', () => {
      const wide = Buffer.from('cmd', 'utf16le').toString('base64');
      expect(matches(`sel: {CommandLine|wide|base64: cmd}\ncondition: sel`, { CommandLine: wide })).to.equal(true);
      expect(matches(`sel: {CommandLine|utf16le|base64: cmd}\ncondition: sel`, { CommandLine: wide })).to.equal(true);
      const be = Buffer.from([0, 0x63, 0, 0x6d, 0, 0x64]).toString('base64');
      expect(matches(`sel: {CommandLine|utf16be|base64: cmd}\ncondition: sel`, { CommandLine: be })).to.equal(true);
      const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('cmd', 'utf16le')]).toString('base64');
      expect(matches(`sel: {CommandLine|utf16|base64: cmd}\ncondition: sel`, { CommandLine: bom })).to.equal(true);
    });
    it('fieldref compares two fields of the event', () => {
      const yaml = `sel: {Image|fieldref: ParentImage}\ncondition: sel`;
      expect(matches(yaml, { Image: '/bin/bash', ParentImage: '/bin/BASH' })).to.equal(true);
      expect(matches(yaml, { Image: '/bin/bash', ParentImage: '/bin/sh' })).to.equal(false);
      expect(matches(`sel: {CommandLine|fieldref|contains: Image}\ncondition: sel`, { CommandLine: '/bin/sh -c x', Image: '/bin/sh' })).to.equal(true);
    });
    it('lt, lte, gt, gte compare numbers; a non-number value is invalid', () => {
      expect(matches(`sel: {uid|lt: 1000}\ncondition: sel`, { uid: 999 })).to.equal(true);
      expect(matches(`sel: {uid|lt: 1000}\ncondition: sel`, { uid: 1000 })).to.equal(false);
      expect(matches(`sel: {uid|lte: 1000}\ncondition: sel`, { uid: '1000' })).to.equal(true);
      expect(matches(`sel: {uid|gt: 0}\ncondition: sel`, { uid: 0 })).to.equal(false);
      expect(matches(`sel: {uid|gte: 0}\ncondition: sel`, { uid: 0 })).to.equal(true);
      expect(matches(`sel: {uid|gt: 0}\ncondition: sel`, { uid: 'root' })).to.equal(false);
      expect(problem(`sel: {uid|gt: many}\ncondition: sel`).kind).to.equal('invalid');
    });
    it('neq: the field is present and none of the values', () => {
      expect(matches(`sel: {User|neq: root}\ncondition: sel`, { User: 'alice' })).to.equal(true);
      expect(matches(`sel: {User|neq: root}\ncondition: sel`, { User: 'root' })).to.equal(false);
    });
    it('expand and time modifiers are unsupported, unknown modifiers invalid', () => {
      expect(problem(`sel: {User|expand: '%Admins%'}\ncondition: sel`).kind).to.equal('unsupported');
      expect(problem(`sel: {Time|hour: 3}\ncondition: sel`).kind).to.equal('unsupported');
      expect(problem(`sel: {User|sortof: x}\ncondition: sel`).message).to.match(/unknown value modifier \|sortof/);
    });
  });

  describe('conditions', () => {
    const sels = `a: {CommandLine|contains: alpha}\nb: {CommandLine|contains: beta}\nfilter_x: {User: root}\n_hidden: {CommandLine|contains: gamma}\n`;
    const run = (condition: string, fields: Record<string, string>) => detection(`${sels}condition: ${condition}`).test(view(fields));
    it('and, or, not with precedence or < and < not', () => {
      expect(run('a or b and filter_x', { CommandLine: 'alpha' })).to.equal(true);
      expect(run('a or b and filter_x', { CommandLine: 'beta', User: 'bob' })).to.equal(false);
      expect(run('not a and b', { CommandLine: 'beta' })).to.equal(true);
      expect(run('not a and b', { CommandLine: 'alpha beta' })).to.equal(false);
      expect(run('a AND NOT filter_x', { CommandLine: 'alpha', User: 'root' })).to.equal(false);
    });
    it('parentheses group', () => {
      expect(run('(a or b) and filter_x', { CommandLine: 'beta', User: 'bob' })).to.equal(false);
      expect(run('(a or b) and filter_x', { CommandLine: 'beta', User: 'root' })).to.equal(true);
    });
    it('1 of / all of a pattern, and them (without _ identifiers)', () => {
      expect(run('1 of a*', { CommandLine: 'alpha' })).to.equal(true);
      expect(run('all of filter_*', { User: 'root' })).to.equal(true);
      expect(run('1 of them', { CommandLine: 'gamma' })).to.equal(false);
      expect(run('all of them', { CommandLine: 'alpha beta', User: 'root' })).to.equal(true);
      expect(run('2 of them', { CommandLine: 'alpha beta' })).to.equal(true);
      expect(run('2 of them', { CommandLine: 'alpha' })).to.equal(false);
      expect(run('_hidden', { CommandLine: 'gamma' })).to.equal(true);
    });
    it('a list of conditions is OR', () => {
      const rule = detection(`${sels}condition: [a, b]`);
      expect(rule.test(view({ CommandLine: 'beta' }))).to.equal(true);
    });
    it('refuses unknown identifiers, dangling operators and Sigma 1.0 aggregations', () => {
      expect(problem(`${sels}condition: a and nope`).message).to.match(/unknown search identifier "nope"/);
      expect(problem(`${sels}condition: a and`).kind).to.equal('invalid');
      expect(problem(`${sels}condition: (a or b`).kind).to.equal('invalid');
      expect(problem(`${sels}condition: 1 of zzz*`).message).to.match(/no search identifier matches/);
      expect(problem(`${sels}condition: a | count() > 5`).kind).to.equal('unsupported');
    });
  });

  describe('filters and correlations', () => {
    const base = (id: string, name: string, contains: string) => `title: ${name}
id: ${id}
name: ${name}
logsource: {product: linux, category: process_creation}
detection:
  sel: {CommandLine|contains: ${contains}}
  condition: sel
`;
    const ids = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const push = (engine: SigmaEngine, s: number, cmd: string, user = 'alice') =>
      engine.push(execEvent(s, cmd, user), null).map((m) => `${m.rule.title}${m.correlation ? `:${m.correlation}` : ''}`);
    function execEvent(s: number, cmd: string, user: string) {
      return {
        id: `${1767225600 + s}.000:${s + 1}`, node: null, time: at(s), serial: s + 1, types: ['SYSCALL', 'EXECVE'], syscall: 'execve', args: [], success: true, exit: 0, key: null,
        process: { pid: 100 + s, ppid: 1, uid: user === 'root' ? 0 : 1000, euid: 0, auid: 1000, gid: 0, ses: 1, tty: null, comm: 'x', exe: '/usr/bin/x', cwd: '/', argv: cmd.split(' '), title: null },
        files: [], socket: null,
      };
    }
    const users = new Map([[0, 'root'], [1000, 'alice']]);

    it('a filter (pySigma semantics: the rule fires when its filter condition also holds) narrows the rules it names', () => {
      const { loaded } = loadFromFiles({
        'a.yml': base(ids[0]!, 'recon', 'whoami'),
        'f.yml': `title: not for admins\nlogsource: {product: linux, category: process_creation}\nfilter:\n  rules: [${ids[0]}]\n  selection: {User: root}\n  condition: not selection\n`,
      });
      expect(loaded.lint.map((e) => e.status)).to.deep.equal(['ok', 'ok']);
      const engine = new SigmaEngine(loaded.rules, users);
      expect(push(engine, 1, 'whoami', 'root')).to.deep.equal([]);
      expect(push(engine, 2, 'whoami', 'alice')).to.deep.equal(['recon']);
    });
    it('event_count, value_count, temporal and temporal_ordered within the timespan', () => {
      const corr = (type: string, extra: string) => `title: c-${type}\ncorrelation:\n  type: ${type}\n  rules: [recon, listing]\n  group-by: [User]\n  timespan: 10s\n${extra}`;
      const files = { 'a.yml': base(ids[0]!, 'recon', 'whoami'), 'b.yml': base(ids[1]!, 'listing', 'ls') };
      let engine = new SigmaEngine(loadFromFiles({ ...files, 'c.yml': corr('event_count', '  condition: {gte: 3}\n') }).loaded.rules, users);
      expect(push(engine, 0, 'whoami')).to.deep.equal([]);
      expect(push(engine, 1, 'ls')).to.deep.equal([]);
      expect(push(engine, 30, 'whoami')).to.deep.equal([]); // the first two fell out of the 10 s window
      expect(push(engine, 31, 'whoami')).to.deep.equal([]);
      expect(push(engine, 32, 'ls')).to.deep.equal(['c-event_count:event_count']);

      engine = new SigmaEngine(loadFromFiles({ ...files, 'c.yml': corr('value_count', '  condition: {field: CommandLine, gte: 2}\n') }).loaded.rules, users);
      expect(push(engine, 0, 'whoami')).to.deep.equal([]);
      expect(push(engine, 1, 'whoami')).to.deep.equal([]);
      expect(push(engine, 2, 'ls')).to.deep.equal(['c-value_count:value_count']);

      engine = new SigmaEngine(loadFromFiles({ ...files, 'c.yml': corr('temporal', '') }).loaded.rules, users);
      expect(push(engine, 0, 'ls')).to.deep.equal([]);
      expect(push(engine, 1, 'ls', 'root')).to.deep.equal([]);
      expect(push(engine, 2, 'whoami')).to.deep.equal(['c-temporal:temporal']); // alice: ls then whoami

      engine = new SigmaEngine(loadFromFiles({ ...files, 'c.yml': corr('temporal_ordered', '') }).loaded.rules, users);
      expect(push(engine, 0, 'ls')).to.deep.equal([]);
      expect(push(engine, 1, 'whoami')).to.deep.equal([]); // wrong order: recon must come first
      expect(push(engine, 2, 'ls')).to.deep.equal(['c-temporal_ordered:temporal_ordered']);
    });
    it('referenced rules stay silent unless the correlation says generate: true', () => {
      const files = { 'a.yml': base(ids[0]!, 'recon', 'whoami'), 'c.yml': `title: many\ncorrelation:\n  type: event_count\n  rules: [recon]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n` };
      const engine = new SigmaEngine(loadFromFiles(files).loaded.rules, users);
      expect(push(engine, 0, 'whoami')).to.deep.equal(['recon']);
      expect(push(engine, 1, 'whoami')).to.deep.equal(['recon', 'many:event_count']);
    });
    it('unevaluated correlation types and unknown references are unsupported, bad timespans invalid', () => {
      const { loaded } = loadFromFiles({
        'a.yml': base(ids[0]!, 'recon', 'whoami'),
        'b.yml': `title: s\ncorrelation: {type: value_sum, rules: [recon], group-by: [User], timespan: 1h, condition: {gt: 1}}\n`,
        'c.yml': `title: u\ncorrelation: {type: temporal, rules: [recon, ghost], group-by: [User], timespan: 1h}\n`,
        'd.yml': `title: t\ncorrelation: {type: temporal, rules: [recon], group-by: [User], timespan: soon}\n`,
      });
      expect(loaded.lint.map((e) => [e.status, e.line])).to.deep.equal([['ok', 1], ['unsupported', 2], ['unsupported', 1], ['invalid', 2]]);
      expect(loaded.lint[2]!.reason).to.match(/ghost/);
    });
  });
});
