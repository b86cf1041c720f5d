// Target kinds are found by folder and chosen by URI scheme: purple run, doctor and cleanup ask the registry.
import { expect } from 'chai';
import { loadTargetKinds, parseTarget } from '../../harness/targets/kinds.js';
import { UsageError } from '../../harness/shared/errors.js';

describe('target kinds', function () {
  this.timeout(60_000);
  before(async function () {
    await loadTargetKinds();
  });

  it('every folder with a kind registers its scheme, platform and capabilities', async function () {
    const kinds = await loadTargetKinds();
    const table = Object.fromEntries(kinds.map((k) => [k.scheme, { platform: k.platform, overSsh: k.overSsh, cleanup: !!k.cleanup }]));
    expect(table).to.deep.equal({
      local: { platform: 'container', overSsh: false, cleanup: true },
      'docker+ssh': { platform: 'container', overSsh: true, cleanup: false },
      ssh: { platform: 'host', overSsh: true, cleanup: false },
    });
  });

  it('parses each scheme with its own kind', function () {
    expect(parseTarget('local').kind.scheme).to.equal('local');
    const host = parseTarget('ssh://alice@[::1]:2222');
    expect([host.kind.scheme, host.uri]).to.deep.equal(['ssh', 'ssh://alice@[::1]:2222']);
    const engine = parseTarget('docker+ssh://root@build-2');
    expect([engine.kind.scheme, engine.uri]).to.deep.equal(['docker+ssh', 'docker+ssh://root@build-2:22']);
  });

  it('refuses an unknown scheme, naming every known form, and a bad address, naming where it came from', function () {
    expect(() => parseTarget('k8s://cluster')).to.throw(UsageError, /--target: "k8s:\/\/cluster": expected local or docker\+ssh:\/\/USER@HOST\[:PORT\] or ssh:\/\/USER@HOST\[:PORT\]/);
    expect(() => parseTarget('ssh://alice@host:99999', 'targets.txt:3')).to.throw(UsageError, /^targets\.txt:3: .*port 99999 is out of range/);
  });
});
