// ssh://USER@HOST[:PORT]: a Linux host itself, over SSH; runs the scenarios whose platforms include `host`.
import { registerTargetKind } from '../kinds.js';
import { connectHost } from './host-run.js';
import { sshDoctor } from './doctor.js';
import { parseSshTarget, PASSWORD_ENV, type SshTargetSpec } from './session.js';

export const sshHostKind = registerTargetKind<SshTargetSpec>({
  scheme: 'ssh',
  forms: ['ssh://USER@HOST[:PORT]'],
  platform: 'host',
  overSsh: true,
  parse(text) {
    const spec = parseSshTarget(text);
    if (spec.scheme !== 'ssh') throw new Error(`--target ${text}: not an ssh:// target`);
    return { uri: spec.uri, spec };
  },
  connect: async (spec, planned, options) => {
    options.progress('connecting, checking users, sudo and commands');
    const ssh = { identity: options.identity, knownHosts: options.knownHosts, password: process.env[PASSWORD_ENV] || undefined };
    return { target: await connectHost(spec, ssh, planned, options.userMap) };
  },
  doctor: sshDoctor,
});
