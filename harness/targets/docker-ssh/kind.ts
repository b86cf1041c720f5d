// docker+ssh://USER@HOST[:PORT]: the Docker engine of another host, over SSH; runs the container scenarios there
// (images copied from here), with that host's audit log and conntrack read over the same connection.
import { registerTargetKind } from '../kinds.js';
import { connectEngine } from '../ssh/engine-run.js';
import { sshDoctor } from '../ssh/doctor.js';
import { parseSshTarget, PASSWORD_ENV, type SshTargetSpec } from '../ssh/session.js';

export const dockerSshKind = registerTargetKind<SshTargetSpec>({
  scheme: 'docker+ssh',
  forms: ['docker+ssh://USER@HOST[:PORT]'],
  platform: 'container',
  overSsh: true,
  parse(text) {
    const spec = parseSshTarget(text);
    if (spec.scheme !== 'docker+ssh') throw new Error(`--target ${text}: not a docker+ssh:// target`);
    return { uri: spec.uri, spec };
  },
  connect: async (spec, planned, options) => {
    options.progress('connecting, checking root, the Docker engine and the images');
    const ssh = { identity: options.identity, knownHosts: options.knownHosts, password: process.env[PASSWORD_ENV] || undefined };
    return { target: await connectEngine(spec, ssh, planned, options.progress) };
  },
  doctor: sshDoctor,
});
