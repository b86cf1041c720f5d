// A scenario's containers (real Docker): the sink's daemons are bound before start() returns, the
// phases of the start are timed, and the payload folder lands in every container at once with no
// exec, root-owned, its subfolders and symlinks as they are.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { docker } from '../../harness/host/docker.js';
import { ensureImages, imageRef } from '../../harness/host/images.js';
import { DockerEnvironment, LABEL_RUN } from '../../harness/targets/docker-environment.js';
import { PhaseClock } from '../../harness/run/phases.js';
import { SCENARIO_MOUNT } from '../../harness/scenario/types.js';

describe('docker environment start and payload copy (real Docker)', function () {
  this.timeout(180_000);
  const runId = `test-env-${process.pid}-${randomBytes(3).toString('hex')}`;
  let env: DockerEnvironment;
  let folder: string;

  before(async function () {
    await ensureImages();
    folder = mkdtempSync(path.join(os.tmpdir(), 'purple-test-payload-'));
    mkdirSync(path.join(folder, 'sub'));
    writeFileSync(path.join(folder, 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o700 });
    writeFileSync(path.join(folder, 'sub', 'data'), 'x');
    symlinkSync('./run.sh', path.join(folder, 'link'));
  });
  after(async function () {
    await env?.teardown();
    rmSync(folder, { recursive: true, force: true });
  });

  it('starts with the sink listening, times network, containers and daemons, and copies payloads into both', async function () {
    env = new DockerEnvironment(docker(), runId, `s${randomBytes(3).toString('hex')}`, imageRef);
    const clock = new PhaseClock();
    await env.start(['victim', 'sink'], clock);
    expect(Object.keys(clock.phases())).to.deep.equal(['network', 'containers', 'daemons']);
    const ports = await env.exec('sink', { user: 'root', cmd: ['sh', '-c', 'cat /proc/net/tcp /proc/net/udp'], timeoutMs: 30_000 });
    expect(ports.stdout).to.match(/:0016 00000000:0000 0A/).and.match(/:0015 00000000:0000 0A/).and.match(/:0045 00000000:0000 07/);

    await env.copyScenario(folder);
    for (const role of ['victim', 'sink'] as const) {
      const r = await env.exec(role, {
        user: role === 'victim' ? 'alice' : 'root',
        cmd: ['sh', '-c', `cd ${SCENARIO_MOUNT} && stat -c '%n %U %a' . run.sh sub/data && readlink link && ./run.sh`],
        timeoutMs: 30_000,
      });
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(r.stdout.split('\n')).to.include.members(['. root 755', 'run.sh root 755', 'sub/data root 644', './run.sh', 'ran']);
    }
  });

  it('leaves nothing of its run after teardown', async function () {
    expect(await env.teardown()).to.deep.equal([]);
    const filter = { label: [`${LABEL_RUN}=${runId}`] };
    expect(await docker().listContainers({ all: true, filters: filter })).to.have.length(0);
    expect(await docker().listNetworks({ filters: filter })).to.have.length(0);
  });
});
