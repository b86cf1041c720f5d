import { execFile } from 'node:child_process';

export interface ExecResult {
  /** Exit status; 127 when the program does not exist, -1 when it was killed (timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program on the host being checked or used. The local implementation spawns it here;
 * an SSH transport can implement the same interface to check a remote host.
 */
export interface HostExec {
  /** Where commands run, for messages (e.g. "local host", "ssh root@10.0.0.5"). */
  readonly where: string;
  run(program: string, args: string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
}

export const localHost: HostExec = {
  where: 'local host',
  run(program, args, options = {}) {
    return new Promise((resolve) => {
      execFile(
        program,
        args,
        { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (!err) return resolve({ code: 0, stdout, stderr });
          const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          if (e.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${program}: command not found` });
          const code = typeof e.code === 'number' ? e.code : e.killed ? -1 : 1;
          resolve({ code, stdout, stderr: stderr || e.message });
        },
      );
    });
  },
};
