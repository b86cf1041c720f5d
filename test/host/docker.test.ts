import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../harness/cli/command.js';
import { docker, dockerEndpoint, requireDocker } from '../../harness/host/docker.js';

const mainJs = fileURLToPath(new URL('../../harness/cli/main.js', import.meta.url));
const nowhere = 'unix:///tmp/purple-no-such-docker.sock';

describe('host: docker client', () => {
  const saved = process.env.DOCKER_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it('reaches the local engine and reports its version', async () => {
    delete process.env.DOCKER_HOST;
    expect(dockerEndpoint()).to.equal('unix:///var/run/docker.sock');
    expect(await requireDocker()).to.match(/^\d+\.\d+/);
  });

  it('honours DOCKER_HOST and names the endpoint and the fix when the engine is down', async () => {
    process.env.DOCKER_HOST = nowhere;
    expect(dockerEndpoint()).to.equal(nowhere);
    expect((docker().modem as unknown as { socketPath: string }).socketPath).to.equal('/tmp/purple-no-such-docker.sock');
    const error = await requireDocker().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(EnvironmentError);
    expect((error as Error).message).to.contain(`Docker engine not reachable at ${nowhere}`);
    expect((error as Error).message).to.contain('sudo bash containers/provision.sh');
  });

  it('`purple images build` exits 3 with that message when the engine is down', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('node', [mainJs, 'images', 'build'], { env: { ...process.env, DOCKER_HOST: nowhere } }, (err, _out, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stderr }),
      ),
    );
    expect(run.code).to.equal(3);
    expect(run.stderr).to.match(/^purple images: Docker engine not reachable at unix:\/\/\/tmp\/purple-no-such-docker\.sock .*provision\.sh/);
  });
});
