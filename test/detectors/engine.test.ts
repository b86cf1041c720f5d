import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ATTACK_DATA_PATH, analytic } from '../../harness/attack/catalog.js';
import { createEngine, detectors } from '../../detectors/engine.js';
import { mergeByTime } from '../../detectors/time-order.js';
import { loadDetectors } from '../../detectors/registry.js';
import type { TelemetryItem } from '../../harness/telemetry/types.js';
import { artifact, create, exec, flow } from './factory.js';
import { sharedAttackData } from '../shared-data.js';

const README = readFileSync(fileURLToPath(new URL('../../../detectors/README.md', import.meta.url)), 'utf8');

describe('detector registry and engine', () => {
  it('takes ATT&CK names and ids from a byte-for-byte copy of the shared analytics.json', () => {
    expect(readFileSync(ATTACK_DATA_PATH).equals(readFileSync(sharedAttackData)), `${ATTACK_DATA_PATH} differs from ${sharedAttackData}: copy it again`).to.equal(true);
  });

  it('loads one detector per analytic from the folder', async () => {
    expect((await loadDetectors()).map((d) => d.analytic.id)).to.deep.equal(['AN1170', 'AN1214', 'AN1529']);
  });

  for (const d of detectors) {
    it(`${d.analytic.id}: thresholds are the mutable elements plus documented extras`, () => {
      const mutable = analytic(d.analytic.id).mutableElements.map((m) => m.field);
      const names = Object.keys(d.defaults);
      expect(mutable.length).to.be.greaterThan(0);
      for (const m of mutable) expect(names, `${m} is a mutable element`).to.include(m);
      const section = README.split(`### ${d.analytic.id}`)[1]!.split('\n### ')[0]!;
      for (const name of names) {
        const extra = !mutable.includes(name);
        expect(section, `${name} documented`).to.contain(`| \`${name}\`${extra ? ' (extra)' : ''} |`);
      }
    });
  }

  it('thresholds() reports the configuration in force; only/enabled switch analytics off', () => {
    const engine = createEngine({ shared: { trustedCidrs: ['10.0.0.0/8'], standardUsers: [] }, overrides: { AN1529: { enabled: false } } });
    expect(Object.keys(engine.thresholds())).to.deep.equal(['AN1170', 'AN1214']);
    expect(engine.thresholds().AN1170!.TrustedCidrs).to.deep.equal(['10.0.0.0/8']);
    expect(createEngine({ shared: { trustedCidrs: [], standardUsers: [] }, only: ['AN1214'] }).stats().enabled).to.deep.equal(['AN1214']);
    expect(() => createEngine({ shared: { trustedCidrs: [], standardUsers: [] }, only: ['AN0000'] })).to.throw('unknown analytic AN0000');
    expect(() => createEngine({ shared: { trustedCidrs: [], standardUsers: [] }, overrides: { AN1214: { EntropyThreshold: 'x' } } })).to.throw('analytics.AN1214.EntropyThreshold');
  });

  it('counts items and alerts across detectors', () => {
    const engine = createEngine({ shared: { trustedCidrs: [], standardUsers: [] } });
    const items: TelemetryItem[] = [
      exec({ t: 0, pid: 5, argv: ['python3', '/tmp/p.py'], exe: '/usr/bin/python3' }),
      create({ t: 1, pid: 5, exe: '/usr/bin/python3', path: '/tmp/x' }),
      flow({ t: 1, src: '1.1.1.1', dst: '2.2.2.2' }),
      artifact({ path: '/tmp/x', t: 2 }),
    ];
    const alerts = items.flatMap((i) => engine.push(i));
    expect(alerts.map((a) => a.analytic)).to.deep.equal(['AN1214']);
    expect(engine.stats()).to.deep.include({ items: { audit: 2, flow: 1, artifact: 1 }, alerts: 1, errors: [] });
  });

  it('mergeByTime orders sources by time, keeping source order on ties', async () => {
    async function* of(...xs: TelemetryItem[]) {
      yield* xs;
    }
    const merged: TelemetryItem[] = [];
    for await (const x of mergeByTime(
      of(exec({ t: 0, pid: 1, argv: ['a'] }), exec({ t: 5, pid: 2, argv: ['b'] })),
      of(flow({ t: 0, src: '1.1.1.1', dst: '2.2.2.2' }), flow({ t: 3, src: '1.1.1.1', dst: '2.2.2.2' })),
      of(),
      of(artifact({ path: '/x', t: 4 })),
    )) merged.push(x);
    expect(merged.map((m) => m.kind)).to.deep.equal(['audit', 'flow', 'flow', 'artifact', 'audit']);
  });
});
