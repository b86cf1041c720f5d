import os from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type Dockerode from 'dockerode';
import type { RunReport } from './results.js';

const packageJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
  version: string;
};

export const PURPLE_VERSION = packageJson.version;

/** The facts about the machine a report needs to be reproducible. */
export async function hostInfo(docker: Dockerode | null, target: string): Promise<RunReport['environment']> {
  const auditctl = await execa('auditctl', ['-v'], { reject: false });
  let dockerVersion: string | null = null;
  if (docker) {
    try {
      dockerVersion = (await docker.version()).Version;
    } catch {
      dockerVersion = null;
    }
  }
  return {
    host: os.hostname(),
    kernel: `${os.type()} ${os.release()} ${os.machine()}`,
    auditd: auditctl.exitCode === 0 ? auditctl.stdout.trim().replace(/^auditctl version /, '') : null,
    docker: dockerVersion,
    purple: PURPLE_VERSION,
    target,
  };
}
