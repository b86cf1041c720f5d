// How the run-level collectors reach the host they watch: commands (as root) through a HostExec,
// and a line source for the audit log. Locally that is execFile and followLines; over SSH,
// exec channels on the target's one connection (harness/targets/ssh/session.ts).
import { followLines } from '../audit/index.js';
import { type HostExec, localHost } from './exec.js';

export interface HostTransport {
  /** Runs commands with root rights (auditctl, conntrack, reading the audit log). */
  readonly root: HostExec;
  /**
   * Lines appended to `file` from now on, until `signal` aborts; throws when the source breaks. `onGap` hears of
   * lines that may be lost (a rotated file removed before it was read), where the source can tell.
   */
  follow(file: string, signal: AbortSignal, onGap?: (message: string) => void): AsyncIterable<string>;
}

export const localTransport: HostTransport = {
  root: localHost,
  // A scenario's audit barrier waits for the next read: look often (a stat every 20 ms costs nothing).
  follow: (file, signal, onGap) => followLines(file, { signal, pollMs: 20, ...(onGap ? { onGap } : {}) }),
};
