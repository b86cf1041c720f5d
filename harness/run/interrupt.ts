// Ctrl-C and SIGTERM abort the run instead of killing the process, so cleanup always happens;
// a second signal while cleaning up is reported but still waits for the cleanup to finish.

/** Exit codes after a signal, as shells report them: 128 + the signal's number. */
export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Why a run stopped early: the scenarios it cut short get this as their error reason. */
export function interruptedReason(signal: AbortSignal): string {
  const reason = signal.reason as Error | undefined;
  return reason instanceof Error && reason.message ? reason.message : 'interrupted';
}

export interface RunStop {
  signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** Stops the run for another reason (a harness error); the reason becomes the cut scenarios' error. */
  stop(reason: string): void;
  dispose(): void;
}

export function abortOnSignals(onSignal: (signal: NodeJS.Signals) => void): RunStop {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received === undefined) {
      received = signal;
      onSignal(signal);
      if (!controller.signal.aborted) controller.abort(new Error(`interrupted (${signal})`));
    } else {
      process.stderr.write(`purple: still cleaning up after ${signal}; containers and audit rules are being removed...\n`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    stop(reason) {
      if (!controller.signal.aborted) controller.abort(new Error(reason));
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('SIGHUP', handler);
    },
  };
}
