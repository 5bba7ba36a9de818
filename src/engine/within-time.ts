import vm from 'node:vm';

/**
 * Runs a synchronous computation under a watchdog. FEEL evaluation (feelin materialises every iteration) and
 * regular expressions (no time limit in JavaScript) can run as long as their input makes them, and only an
 * interrupt can stop them. The context is used for its timeout, not as a sandbox: it runs no JavaScript of a
 * definition's author, only the given function.
 */
const watchdog = vm.createContext({ computation: undefined as (() => unknown) | undefined });
const runComputation = new vm.Script('computation()');

/** Thrown when the computation did not finish within its time. */
export class TimeExceededError extends Error {}

export function runWithinTime<T>(computation: () => T, timeoutMs: number): T {
  const previous = watchdog.computation;
  watchdog.computation = computation;
  try {
    return runComputation.runInContext(watchdog, { timeout: timeoutMs }) as T;
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new TimeExceededError(`did not finish within ${timeoutMs} ms`);
    throw err;
  } finally {
    watchdog.computation = previous;
  }
}
