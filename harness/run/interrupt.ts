// Ctrl-C and SIGTERM abort the run instead of killing the process, so cleanup always happens;
// a second signal while cleaning up is reported but still waits for the cleanup to finish.
export function abortOnSignals(onSignal: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      onSignal(signal);
      controller.abort(new Error(`interrupted by ${signal}`));
    } else {
      process.stderr.write(`purple: still cleaning up after ${signal}; containers and audit rules are being removed...\n`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('SIGHUP', handler);
    },
  };
}
