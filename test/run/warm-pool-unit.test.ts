// The warm pool's bookkeeping with fake targets: a prepared target goes to its own scenario only,
// once; a failed early start falls back to a fresh one; removals are handed over and drained.
import { expect } from 'chai';
import { WarmPool } from '../../harness/run/warm-pool.js';
import { PhaseClock } from '../../harness/run/phases.js';
import type { ScenarioTarget } from '../../harness/run/target.js';
import type { Role, Scenario } from '../../harness/scenario/types.js';

class FakeTarget implements ScenarioTarget {
  static made: FakeTarget[] = [];
  readonly uri = 'docker://fake';
  readonly workdir = '';
  readonly payloadDir = '/opt/purple/scenario';
  started: Role[] = [];
  copied: string[] = [];
  removed = false;
  constructor(readonly slug: string, private readonly failStart = false, private readonly failRemove = false) {
    FakeTarget.made.push(this);
  }
  async start(roles: Role[]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.failStart) throw new Error('no free subnet');
    this.started = roles;
  }
  has = (role: Role) => this.started.includes(role) && !this.removed;
  addresses = () => ({});
  hostName = (role: Role) => `${this.slug}-${role}`;
  attributionRoots = () => [];
  async copyScenario(dir: string) {
    this.copied.push(dir);
  }
  launch = () => Promise.reject(new Error('not here'));
  readArtifacts = async () => new Map();
  accounts = async () => ({ passwd: '', group: '' });
  async teardown(): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.removed = true;
    return this.failRemove ? [`container ${this.slug}-victim: busy`] : [];
  }
}

const scenario = (id: string) => ({ id, containers: ['victim', 'sink'], dir: `/nonexistent/${id}` }) as unknown as Scenario;

describe('warm pool bookkeeping', () => {
  beforeEach(() => (FakeTarget.made = []));

  it('gives a prepared target to its own scenario, once, already started and with its payloads', async () => {
    const pool = new WarmPool((slug) => new FakeTarget(slug));
    pool.prepare('a', scenario('a'));
    pool.prepare('a', scenario('a'));
    expect(FakeTarget.made.map((t) => t.slug)).to.deep.equal(['a']);
    const a = pool.take('a');
    const clock = new PhaseClock();
    await a.start(['victim', 'sink'], clock);
    expect(FakeTarget.made[0]!.started).to.deep.equal(['victim', 'sink']);
    expect(FakeTarget.made[0]!.copied).to.deep.equal(['/nonexistent/a']);
    expect(clock.ahead).to.have.property('payloads');
    expect(clock.phases()).to.have.property('prepared');
    await a.copyScenario('/nonexistent/a'); // already there: not copied twice
    expect(FakeTarget.made[0]!.copied).to.have.length(1);
    // A second take of the same slug, or another slug, is a fresh target, never the prepared one.
    pool.take('a');
    pool.take('b');
    expect(FakeTarget.made.map((t) => t.slug)).to.deep.equal(['a', 'a', 'b']);
  });

  it('starts afresh when the early start failed', async () => {
    let first = true;
    const pool = new WarmPool((slug) => {
      const t = new FakeTarget(slug, first);
      first = false;
      return t;
    });
    pool.prepare('a', scenario('a'));
    const a = pool.take('a');
    await a.start(['victim']);
    expect(FakeTarget.made).to.have.length(2);
    expect(FakeTarget.made[0]!.removed, 'the failed one is removed').to.equal(true);
    expect(FakeTarget.made[1]!.started).to.deep.equal(['victim']);
    expect(a.has('victim')).to.equal(true);
  });

  it('hands removals over without waiting, reports their failures per scenario, and drains unused targets', async () => {
    const pool = new WarmPool((slug) => new FakeTarget(slug, false, slug === 'a'));
    const a = pool.take('a');
    await a.start(['victim']);
    expect(await a.teardown()).to.deep.equal([]);
    expect(FakeTarget.made[0]!.removed, 'not waited for').to.equal(false);
    expect(a.has('victim')).to.equal(false);
    expect(await pool.removed('a')).to.deep.equal(['container a-victim: busy']);
    pool.prepare('b', scenario('b'));
    pool.prepare('c', scenario('c'));
    expect(await pool.drain()).to.deep.equal([]);
    expect(FakeTarget.made.map((t) => [t.slug, t.removed])).to.deep.equal([['a', true], ['b', true], ['c', true]]);
  });
});
