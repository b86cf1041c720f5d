// A throwaway sshd on loopback playing the "remote" host: its own host key, client key,
// authorized_keys and known_hosts in a temp dir, run in the foreground from /usr/sbin/sshd.
// The system sshd is never started or touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface TestSshd {
  dir: string;
  port: number;
  /** A second listening port: the same machine as a second target. */
  secondPort: number;
  identity: string;
  knownHosts: string;
  /** The host key's public line (type and base64). */
  hostPublicKey: string;
  target: string;
  stop(): Promise<void>;
  /** SIGKILLs the listener and every per-connection sshd process: the connections drop. */
  killSessions(): Promise<void>;
  log(): string;
}

/** `env`: variables sshd sets in every session (SetEnv), e.g. DOCKER_HOST to make another engine the host's. */
export async function startSshd(options: { env?: Record<string, string> } = {}): Promise<TestSshd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'purple-test-sshd-'));
  const port = 2222 + Math.floor(Math.random() * 20_000);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'purple-test-host', '-f', path.join(dir, 'host_key')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'purple-test-client', '-f', path.join(dir, 'client_key')]);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')), { mode: 0o644 });
  chmodSync(dir, 0o755); // sshd reads authorized_keys as the logging-in user; the private keys stay 0600
  const hostPublicKey = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const secondPort = port + 1;
  writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port},[127.0.0.1]:${secondPort} ${hostPublicKey}\n`);
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `Port ${secondPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM yes', // pubkey logins of accounts without a password (locked in shadow) are allowed, as on most servers
      'StrictModes no',
      'LogLevel VERBOSE',
      ...Object.entries(options.env ?? {}).map(([name, value]) => `SetEnv ${name}=${value}`),
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation dir
  let output = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-e'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, () => child.exitCode !== null, () => output);

  const descendants = (pid: number): number[] => {
    const children = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      });
    return children.flatMap((c) => [c, ...descendants(c)]);
  };
  const comm = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const sshd: TestSshd = {
    dir,
    port,
    secondPort,
    identity: path.join(dir, 'client_key'),
    knownHosts: path.join(dir, 'known_hosts'),
    hostPublicKey,
    target: `ssh://root@127.0.0.1:${port}`,
    log: () => output,
    async killSessions() {
      const sessions = descendants(child.pid!).filter((p) => comm(p) === 'sshd');
      for (const pid of [child.pid!, ...sessions]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) await sshd.killSessions();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return sshd;
}

async function waitForPort(port: number, dead: () => boolean, log: () => string): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (dead()) throw new Error(`test sshd exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`test sshd did not listen on ${port}: ${log()}`);
}
