import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig, parseConfig } from '../../harness/config.js';
import { CidrSet, parseCidr } from '../../detectors/lib/cidr.js';
import { parseDuration, parseSize } from '../../detectors/lib/units.js';
import { createEngine } from '../../detectors/engine.js';

const errorOf = (text: string): string => {
  try {
    parseConfig(text, 'purple.yaml');
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  return expect.fail('expected a ConfigError');
};

describe('config loading', () => {
  it('reads YAML: trusted networks, standard users, per-analytic thresholds and enabled', () => {
    const c = parseConfig(
      [
        'trusted_cidrs: [10.0.0.0/8, "fd00::/8", 192.168.1.5]',
        'standard_users: [root, deploy, 1001]',
        'analytics:',
        '  AN1214:',
        '    EntropyThreshold: 7.2',
        '    ScriptAllowlist: [/opt/backup/pack.py]',
        '  AN1170: { TransferSizeThreshold: 50MB, enabled: false }',
      ].join('\n'),
    );
    expect(c.shared).to.deep.equal({ trustedCidrs: ['10.0.0.0/8', 'fd00::/8', '192.168.1.5'], standardUsers: ['root', 'deploy', '1001'] });
    expect(c.overrides.AN1214).to.deep.equal({ EntropyThreshold: 7.2, ScriptAllowlist: ['/opt/backup/pack.py'] });
    const engine = createEngine(c);
    expect(engine.stats().disabled).to.deep.equal(['AN1170']);
    expect(engine.thresholds().AN1214!.EntropyThreshold).to.equal(7.2);
  });

  it('reads the same settings from JSON', () => {
    const c = parseConfig('{"trusted_cidrs": ["10.1.0.0/16"], "analytics": {"AN1529": {"FileSizeThresholdMB": 5, "TimeWindow": "2h"}}}');
    expect(c.shared.trustedCidrs).to.deep.equal(['10.1.0.0/16']);
    expect(createEngine(c).thresholds().AN1529!.TimeWindow).to.equal(7200);
  });

  it('an empty file is the empty configuration', () => {
    expect(parseConfig('').overrides).to.deep.equal({});
  });

  it('refuses mistakes with file, line and field', () => {
    expect(errorOf('trusted_cidrs:\n  - 10.0.0.0/8\n  - 10.0.0.300/8\n')).to.equal('purple.yaml:3:5: trusted_cidrs[1]: "10.0.0.300/8" is not an IPv4 or IPv6 address or CIDR');
    expect(errorOf('trusted_cidr: []\n')).to.match(/^purple\.yaml:1:1: trusted_cidr: unknown setting/);
    expect(errorOf('analytics:\n  AN9999: {}\n')).to.match(/^purple\.yaml:2:3: analytics\.AN9999: unknown analytic; known: AN1170, AN1214, AN1529/);
    expect(errorOf('analytics:\n  AN1214:\n    Entropy: 7\n')).to.match(/^purple\.yaml:3:5: analytics\.AN1214\.Entropy: unknown threshold; known: ArchivePaths/);
    expect(errorOf('analytics:\n  AN1214:\n    EntropyThreshold: high\n')).to.equal('purple.yaml:3:23: analytics.AN1214.EntropyThreshold: expected a number, got "high"');
    expect(errorOf('analytics:\n  AN1214:\n    EntropyThreshold: 9\n')).to.contain('must be between 0 and 8');
    expect(errorOf('analytics:\n  AN1170:\n    TransferSizeThreshold: lots\n')).to.match(/^purple\.yaml:3:28: analytics\.AN1170\.TransferSizeThreshold: expected a size/);
    expect(errorOf('analytics:\n  AN1170:\n    enabled: nope\n')).to.equal('purple.yaml:3:14: analytics.AN1170.enabled: expected true or false');
    expect(errorOf('analytics:\n  AN1529:\n    UserContext: {users: [root], admins: [x]}\n')).to.match(/analytics\.AN1529\.UserContext\.admins: unknown key/);
    expect(errorOf('analytics:\n  AN1170:\n    CommandLinePatternMatch: ["(scp"]\n')).to.match(/^purple\.yaml:3:30: .*CommandLinePatternMatch: item 1: not a regular expression/);
    expect(errorOf('a: [1\n')).to.match(/^purple\.yaml:\d+:\d+: /);
    expect(errorOf('- just\n- a list\n')).to.match(/^purple\.yaml:1:1: expected a mapping/);
    expect(errorOf('standard_users: root\n')).to.match(/^purple\.yaml:1:17: standard_users: expected a list/);
  });

  it('loadConfig names an unreadable file', () => {
    expect(() => loadConfig('/nonexistent/purple.yaml')).to.throw(ConfigError, 'cannot read config file /nonexistent/purple.yaml: ENOENT');
    const dir = mkdtempSync(path.join(tmpdir(), 'purple-config-'));
    try {
      writeFileSync(path.join(dir, 'c.json'), '{"analytics": {"AN1214": {"MinFileSizeBytes": "4KB"}}}');
      expect(createEngine(loadConfig(path.join(dir, 'c.json'))).thresholds().AN1214!.MinFileSizeBytes).to.equal(4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('property: random and mutated config files never crash (a config or a ConfigError)', () => {
    const valid = 'trusted_cidrs: [10.0.0.0/8]\nstandard_users: [root]\nanalytics:\n  AN1214:\n    EntropyThreshold: 7.2\n  AN1170: {enabled: false}\n';
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(valid.length), fc.nat(valid.length), (noise, i, j) => {
        for (const text of [noise, valid.slice(0, Math.min(i, j)) + noise + valid.slice(Math.max(i, j))]) {
          try {
            parseConfig(text, 'fuzz.yaml');
          } catch (err) {
            expect(err, String((err as Error).stack)).to.be.instanceOf(ConfigError);
            expect((err as Error).message).to.match(/^fuzz\.yaml/);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('CIDR matching and units', () => {
  it('matches IPv4, IPv6 and IPv4-mapped IPv6', () => {
    const s = new CidrSet(['10.0.0.0/8', '192.168.1.5', 'fd00::/8', '0.0.0.0/0']);
    expect(s.has('10.200.1.1')).to.equal(true);
    const narrow = new CidrSet(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    expect(narrow.has('11.0.0.1')).to.equal(false);
    expect(narrow.has('192.168.1.5')).to.equal(true);
    expect(narrow.has('192.168.1.6')).to.equal(false);
    expect(narrow.has('fd12:3456::1')).to.equal(true);
    expect(narrow.has('fe80::1')).to.equal(false);
    expect(narrow.has('::ffff:10.1.2.3')).to.equal(true);
    expect(narrow.has('not-an-ip')).to.equal(false);
    expect(new CidrSet(['::/0']).has('2001:db8::1')).to.equal(true);
    expect(() => parseCidr('10.0.0.0/33')).to.throw('prefix length');
    expect(() => parseCidr('1::2::3')).to.throw();
  });

  it('sizes and durations', () => {
    expect(parseSize('10MB')).to.equal(10 * 1024 * 1024);
    expect(parseSize('512 KiB')).to.equal(512 * 1024);
    expect(parseSize(42)).to.equal(42);
    expect(parseDuration('24h')).to.equal(86400);
    expect(parseDuration('10m')).to.equal(600);
    expect(() => parseSize('-1')).to.throw();
    expect(() => parseDuration('soon')).to.throw();
  });
});
