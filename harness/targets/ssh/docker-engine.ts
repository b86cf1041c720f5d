// A Docker engine on a remote host, reached over SSH: dockerode speaks HTTP over one exec channel
// per request running `docker system dial-stdio` (what `docker -H ssh://` does), on a connection
// whose host key was verified; and the engine's host as DockerEnvironment needs it (pids,
// files under a container's root) through root commands on the control connection.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import Dockerode from 'dockerode';
import type { FileArtifact } from '../../telemetry/types.js';
import { contentAnalyzer, pathUnderRoot } from '../../telemetry/content.js';
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
    async readFile(initPid, file, host): Promise<FileArtifact> {
      const real = pathUnderRoot(file, `/proc/${initPid}/root`);
      const analyzer = contentAnalyzer({ displayPath: path.posix.resolve('/', file), host });
      // First line: mode (hex) and owner; then the bytes, streamed into the analyzer, never held whole.
      let statLine: string | null = null;
      let head = Buffer.alloc(0);
      const r = await asRoot(['sh', '-c', 'test -f "$1" && test ! -L "$1" || exit 3; stat -c "%f %u" -- "$1" && exec cat -- "$1"', 'sh', real], {
        timeoutMs: 120_000,
        keepStdout: false,
        onStdout: (chunk) => {
          if (statLine !== null) return analyzer.add(chunk);
          head = Buffer.concat([head, chunk]);
          const newline = head.indexOf(0x0a);
          if (newline < 0) return;
          statLine = head.subarray(0, newline).toString('utf8');
          analyzer.add(head.subarray(newline + 1));
        },
      });
      if (r.code === 3) throw new Error(`${file}: not a regular file in the container (or a symlink, not followed)`);
      if (r.code !== 0 || statLine === null) throw new Error(`${file}: cannot read it on ${uri}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
      const [modeHex = '0', owner = ''] = (statLine as string).trim().split(' ');
      return analyzer.finish('0' + parseInt(modeHex, 16).toString(8), owner === '' ? null : Number(owner));
    },
  };
}
