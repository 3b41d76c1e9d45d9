/**
 * Deadlines and abortable sleeps that never leave a timer behind.
 */
import { DeadlineError } from './errors';

export interface Deadline {
  signal: AbortSignal;
  /** Epoch ms at which the deadline fires. */
  at: number;
  remaining(): number;
  /** Clears the timer and cancels leftover work; always call it (in `finally`). */
  dispose(): void;
}

/**
 * A deadline `ms` from now that also follows `parents` (the caller's signal, the verifier's
 * closing signal). Listeners on the parents are removed on dispose, so long-lived parents do not
 * accumulate them (unlike `AbortSignal.any`).
 */
export function createDeadline(ms: number, parents: AbortSignal | readonly (AbortSignal | undefined)[] = [], what = 'image check'): Deadline {
  const controller = new AbortController();
  const at = Date.now() + ms;
  const sources = (Array.isArray(parents) ? parents : [parents]).filter((p): p is AbortSignal => p !== undefined);
  const listeners = sources.map((p) => {
    const onAbort = (): void => controller.abort(p.reason);
    if (p.aborted) controller.abort(p.reason);
    else p.addEventListener('abort', onAbort, { once: true });
    return [p, onAbort] as const;
  });
  const timer = setTimeout(() => controller.abort(new DeadlineError(what, ms)), ms);
  return {
    signal: controller.signal,
    at,
    remaining: () => Math.max(0, at - Date.now()),
    dispose: () => {
      clearTimeout(timer);
      for (const [p, onAbort] of listeners) p.removeEventListener('abort', onAbort);
      // Cancel whatever is still running under this deadline (e.g. the other half of a
      // Promise.all that already failed): no request outlives the call that started it.
      if (!controller.signal.aborted) controller.abort(new Error('image check finished'));
    },
  };
}

/** Sleep `ms`, rejecting with the signal's reason if it aborts first; leaves no timer behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(toError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toError(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** Race a promise against a signal (the promise keeps running; its result is ignored). */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(toError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toError(e));
      },
    );
  });
}
