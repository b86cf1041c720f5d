// A Docker engine on another host as a run target (docker+ssh://USER@HOST): the container
// scenarios run there exactly as locally (same images, copied over; an internal network per
// scenario), while that host's audit log and conntrack table are read over SSH. Two connections:
// one for the collectors and root commands, one for the Docker API, so neither starves the other
// of channels.
import { EnvironmentError } from '../../shared/errors.js';
import { copyImagesTo, imageRef } from '../../host/images.js';
import type { PlannedScenario, RunTarget } from '../../run/suite.js';
import { DockerEnvironment } from '../docker-environment.js';
import { dockerOverSsh, sshEngineHost } from './docker-engine.js';
import { missingCommands, rootProblem, sshRunTarget } from './host-run.js';
import { SshSession, type SshOptions, type SshTargetSpec } from './session.js';

export async function connectEngine(
  spec: SshTargetSpec,
  options: SshOptions,
  planned: PlannedScenario[],
  progress: (line: string) => void,
): Promise<RunTarget> {
  const sessions: SshSession[] = [];
  try {
    for (let i = 0; i < 2; i++) sessions.push(await SshSession.connect(spec, options));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw new EnvironmentError((err as Error).message);
  }
  const [control, api] = sessions as [SshSession, SshSession];
  try {
    await engineReady(control);
    const engine = dockerOverSsh(api);
    await copyImagesTo(engine, spec.uri, { onProgress: progress });
    const engineHost = sshEngineHost(control, spec.uri);
    return sshRunTarget(control, {
      uri: spec.uri,
      planned,
      createTarget: (runId, slug) => new DockerEnvironment(engine, runId, slug, imageRef, engineHost),
      leftovers: 'containers',
      companions: [api],
    });
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
}

/** Root, the commands the collectors and the guardian use, and an engine that answers; otherwise one error naming each fix. */
async function engineReady(session: SshSession): Promise<void> {
  const problems = [
    await rootProblem(session),
    await missingCommands(session, ['docker', 'auditctl', 'tail', 'pgrep', 'perl', 'xargs']),
  ].filter((p): p is string => p !== null);
  if (!problems.length) {
    const version = await session.rootExec().run('docker', ['version', '--format', '{{.Server.Version}}']);
    if (version.code !== 0) {
      problems.push(`the Docker engine on ${session.spec.uri} does not answer: ${version.stderr.trim().split('\n')[0]} (start dockerd there; purple doctor --target ${session.spec.uri} checks the rest)`);
    }
  }
  if (problems.length) throw new EnvironmentError(`${session.spec.uri} is not ready:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}
