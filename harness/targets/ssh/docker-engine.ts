// A Docker engine on a remote host, reached over SSH: dockerode speaks HTTP over one exec channel
// per request running `docker system dial-stdio` (what `docker -H ssh://` does), on a connection
// whose host key was verified; and the engine's host as DockerEnvironment needs it (pids,
// files under a container's root, read by remote-read.ts) through root commands on the control connection.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import Dockerode from 'dockerode';
import { readRemoteFiles } from './remote-read.js';
import { shellQuote } from '../../shared/shell.js';
import { ppidFromStat, type EngineHost } from '../engine-host.js';
import type { SshSession } from './session.js';

/** Dockerode whose every request runs on a fresh `docker system dial-stdio` channel of `session`. */
export function dockerOverSsh(session: SshSession): Dockerode {
  const command = session.as('root', ['docker', 'system', 'dial-stdio']).map(shellQuote).join(' ');
  // No keep-alive: an idle pooled connection would hold one of the session's few channels.
  const agent = new http.Agent({ keepAlive: false });
  agent.createConnection = ((_options: unknown, done: (err: Error | null, socket?: Duplex) => void) => {
    session.channel(command).then(
      (channel) => {
        // Whether the engine answers is checked once before (docker version); its stderr is not an HTTP error.
        channel.stderr.resume();
        done(null, channel);
      },
      (err: Error) => done(err),
    );
    return undefined;
  }) as unknown as typeof agent.createConnection;
  // The host name only fills the Host header: the agent decides where the bytes go.
  return new Dockerode({ protocol: 'http', host: 'docker', port: 80, agent } as Dockerode.DockerOptions);
}

export function sshEngineHost(session: SshSession, uri: string): EngineHost {
  const asRoot = (argv: string[], options: Parameters<SshSession['run']>[1] = {}) =>
    session.run(session.as('root', argv), { timeoutMs: 30_000, ...options });
  return {
    uri,
    async parentPid(pid) {
      const r = await asRoot(['cat', `/proc/${pid}/stat`]);
      if (r.code !== 0) throw new Error(`${uri}: cannot read /proc/${pid}/stat: ${r.stderr.toString('utf8').trim()}`);
      return ppidFromStat(r.stdout.toString('utf8'));
    },
    async killTree(pid) {
      const script = 'kt() { for c in $(pgrep -P "$1"); do kt "$c"; done; kill -KILL "$1" 2>/dev/null; }; kt "$1"';
      await asRoot(['sh', '-c', script, 'sh', String(pid)], { timeoutMs: 15_000 });
    },
    readFiles(initPid, paths, host, signal) {
      const files = paths.map((p) => ({ relative: p, shown: path.posix.resolve('/', p) }));
      return readRemoteFiles(session, `/proc/${initPid}/root`, files, host, signal);
    },
  };
}
