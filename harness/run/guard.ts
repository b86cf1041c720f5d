// The last resort of a run: an exception or a promise rejection that nothing handled must not end
// the process before the run's cleanup and reports. Each one is recorded as a harness error, with
// the scenario whose work raised it (known from the async context the scenario ran in), and the
// run is stopped as by a signal: every scenario still cleans up, and the report says what happened.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface HarnessFailure {
  message: string;
  /** The slug of the scenario whose work raised it, when known. */
  scenario: string | null;
}

const scenarioOfWork = new AsyncLocalStorage<string>();

/** Runs `work` as scenario `slug`'s, so that anything it leaves behind that fails is charged to it. */
export function asScenario<T>(slug: string, work: () => Promise<T>): Promise<T> {
  return scenarioOfWork.run(slug, work);
}

export interface RunGuard {
  /** Every failure caught so far, in order. */
  readonly failures: HarnessFailure[];
  dispose(): void;
}

/** Catches what nothing else did until disposed; `onFailure` is called once per failure. */
export function guardRun(onFailure: (failure: HarnessFailure) => void): RunGuard {
  const failures: HarnessFailure[] = [];
  // Another listener may rethrow a rejection as an exception (test runners do): count it once.
  const seen = new WeakSet<object>();
  const record = (err: unknown) => {
    if (typeof err === 'object' && err !== null) {
      if (seen.has(err)) return;
      seen.add(err);
    }
    const failure = { message: describe(err), scenario: scenarioOfWork.getStore() ?? null };
    failures.push(failure);
    try {
      onFailure(failure);
    } catch {
      // reporting the failure must not raise another one
    }
  };
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    failures,
    dispose() {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    },
  };
}

/** One line: the error's message (its first stack frame too, to find it in the code), never the whole stack. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at '))?.trim();
  return `${err.message.trim()}${frame ? ` (${frame})` : ''}`;
}

export function failureLabel(failure: HarnessFailure): string {
  return `harness error${failure.scenario ? ` in ${failure.scenario}` : ''}: ${failure.message}`;
}
