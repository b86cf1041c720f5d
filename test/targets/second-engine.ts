// A second, throwaway Docker engine on this machine, playing another host's engine: its own data
// root, socket, default bridge and address pool (so nothing overlaps the main engine's), no iptables
// management of its own (two engines would fight over Docker's chains). Its default bridge is one the
// test creates: with `--bridge none` dockerd deletes docker0, the main engine's. The main engine's
// FORWARD policy drops bridged traffic it does not know, so one rule lets the second engine's
// containers reach each other, within its own pool only. stop() removes all of it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface SecondEngine {
  /** DOCKER_HOST for clients of this engine. */
  host: string;
  docker(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const POOL = '10.213.0.0/16';
const BRIDGE_ADDRESS = '10.214.0.1/24';
const FORWARD_RULE = ['FORWARD', '-s', POOL, '-d', POOL, '-j', 'ACCEPT'];

export async function startSecondEngine(): Promise<SecondEngine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'purple-test-engine-'));
  const host = `unix://${path.join(dir, 'docker.sock')}`;
  const log = path.join(dir, 'dockerd.log');
  const bridge = `purple-t${process.pid.toString(36)}`.slice(0, 15);
  const docker = async (argv: string[]) => (await execa('docker', argv, { env: { DOCKER_HOST: host } })).stdout;
  let daemon: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async () => {
    await execa('iptables', ['-D', ...FORWARD_RULE], { reject: false });
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const leftover = await docker(['ps', '-aq']).catch(() => '');
      if (leftover) await execa('docker', ['rm', '-f', ...leftover.split('\n')], { env: { DOCKER_HOST: host }, reject: false });
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    }
    await execa('ip', ['link', 'delete', bridge], { reject: false });
    // The daemon unmounts its layers when it stops; anything still mounted below dir is not ours to force.
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(dir));
    if (!mounts.length) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await execa('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await execa('ip', ['addr', 'add', BRIDGE_ADDRESS, 'dev', bridge]);
    await execa('ip', ['link', 'set', bridge, 'up']);
    const args = [
      '--data-root', path.join(dir, 'root'),
      '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'dockerd.pid'),
      '--host', host,
      '--bridge', bridge,
      '--iptables=false',
      '--ip6tables=false',
      '--default-address-pool', `base=${POOL},size=24`,
    ];
    const child = spawn('dockerd', args, { stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')], detached: true });
    daemon = child;
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const until = Date.now() + 60_000; ; ) {
      if (child.exitCode !== null) throw new Error(`the second dockerd exited: ${readFileSync(log, 'utf8').slice(-2000)}`);
      if (await docker(['version', '--format', '{{.Server.Version}}']).then(() => true, () => false)) break;
      if (Date.now() > until) throw new Error(`the second dockerd did not answer on ${host}: ${readFileSync(log, 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await execa('iptables', ['-I', ...FORWARD_RULE]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, docker, stop };
}
