// The detectors over the public auditd captures in the shared auditd-corpus, through the real parser:
// nothing crashes, and benign background (the AIT-LDS intranet server sample) raises no alert.
import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { replay } from '../../detectors/replay.js';
import { auditCorpusDir as corpus } from '../shared-data.js';

const shared = { trustedCidrs: [], standardUsers: [] };

function rawLogs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return rawLogs(p);
    return /\.(log|txt|RECONSTRUCTED)$/.test(name) ? [p] : [];
  });
}

describe('detectors over the public auditd corpus', function () {
  this.timeout(120_000);

  it('AIT-LDS benign intranet server: every line parsed, no alert', async () => {
    const r = await replay({ auditLog: path.join(corpus, 'ait-lds-v2-audit-sample/russelmitchell_intranet_server_audit.log'), shared });
    expect(r.stats.audit.lines).to.equal(2316);
    expect(r.stats.audit.events).to.be.greaterThan(2000);
    expect(r.stats.engine.errors).to.deep.equal([]);
    expect(r.alerts).to.deep.equal([]);
  });

  it('every raw log: no crash, no detector error; alerts only where the capture is an attack', async () => {
    const logs = rawLogs(corpus);
    expect(logs.length).to.be.greaterThan(100);
    const alerting: string[] = [];
    for (const log of logs) {
      const r = await replay({ auditLog: log, shared });
      expect(r.stats.engine.errors, log).to.deep.equal([]);
      if (r.alerts.length) alerting.push(`${path.relative(corpus, log)}: ${r.alerts.map((a) => a.summary).join(' | ')}`);
    }
    // Without file content (no artifacts, no --root) no content-based check can decide, and no capture has an
    // untrusted large transfer from cron: the corpus must stay quiet.
    expect(alerting).to.deep.equal([]);
  });
});
