import Dockerode from 'dockerode';
import { PassThrough } from 'node:stream';
import { EnvironmentError } from '../shared/errors.js';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Where the Docker engine is expected: DOCKER_HOST when set, else the local socket. */
export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST || `unix://${DEFAULT_SOCKET}`;
}

let client: { endpoint: string; dockerode: Dockerode } | undefined;

/** The shared dockerode client (DOCKER_HOST honoured, else /var/run/docker.sock). */
export function docker(): Dockerode {
  const endpoint = dockerEndpoint();
  if (client?.endpoint !== endpoint) {
    // With no options dockerode/docker-modem read DOCKER_HOST (and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) themselves.
    const dockerode = process.env.DOCKER_HOST ? new Dockerode() : new Dockerode({ socketPath: DEFAULT_SOCKET });
    client = { endpoint, dockerode };
  }
  return client.dockerode;
}

/** Pings the engine; throws EnvironmentError with the fix when it is not reachable. Returns the engine version. */
export async function requireDocker(): Promise<string> {
  try {
    await docker().ping();
    const version = await docker().version();
    return version.Version;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new EnvironmentError(
      `Docker engine not reachable at ${dockerEndpoint()} (${why}): run \`sudo bash containers/provision.sh\``,
    );
  }
}

export interface ContainerExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container without a TTY and collects its output and exit code. */
export async function execInContainer(
  container: Dockerode.Container,
  cmd: string[],
  options: { user?: string; env?: string[]; workingDir?: string; stdin?: string } = {},
): Promise<ContainerExecResult> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin !== undefined,
    Tty: false,
    ...(options.user ? { User: options.user } : {}),
    ...(options.env ? { Env: options.env } : {}),
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (b: Buffer) => out.push(b));
  const stderr = new PassThrough().on('data', (b: Buffer) => err.push(b));
  docker().modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  if (options.stdin !== undefined) stream.end(options.stdin);
  await ended;
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
