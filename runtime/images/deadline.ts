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

/** Each parent signal's live children and its one abort listener. */
const followers = new WeakMap<AbortSignal, { children: Set<AbortController>; onAbort: () => void }>();

/**
 * Abort `child` when `parent` aborts; returns the function that stops following. However many
 * children follow a parent at once (every in-flight check follows the verifier's closing signal,
 * every image of a large pod follows its review's signal), the parent carries ONE abort listener,
 * removed when its last child stops following: a listener per child would pass Node's limit of 10
 * and print "MaxListenersExceededWarning: Possible EventTarget memory leak detected" under
 * ordinary load.
 */
export function followSignal(parent: AbortSignal, child: AbortController): () => void {
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => undefined;
  }
  let entry = followers.get(parent);
  if (entry === undefined) {
    const children = new Set<AbortController>();
    const onAbort = (): void => {
      followers.delete(parent);
      for (const c of children) c.abort(parent.reason);
      children.clear();
    };
    entry = { children, onAbort };
    followers.set(parent, entry);
    parent.addEventListener('abort', onAbort, { once: true });
  }
  const { children, onAbort } = entry;
  children.add(child);
  return () => {
    if (!children.delete(child) || children.size > 0 || followers.get(parent)?.children !== children) return;
    followers.delete(parent);
    parent.removeEventListener('abort', onAbort);
  };
}

/**
 * A deadline `ms` from now that also follows `parents` (the caller's signal, the verifier's
 * closing signal). It stops following them on dispose, so long-lived parents do not accumulate
 * children (unlike `AbortSignal.any`), and a parent keeps a single listener (see followSignal).
 */
export function createDeadline(ms: number, parents: AbortSignal | readonly (AbortSignal | undefined)[] = [], what = 'image check'): Deadline {
  const controller = new AbortController();
  const at = Date.now() + ms;
  const sources = (Array.isArray(parents) ? parents : [parents]).filter((p): p is AbortSignal => p !== undefined);
  const unfollow = sources.map((p) => followSignal(p, controller));
  const timer = setTimeout(() => controller.abort(new DeadlineError(what, ms)), ms);
  return {
    signal: controller.signal,
    at,
    remaining: () => Math.max(0, at - Date.now()),
    dispose: () => {
      clearTimeout(timer);
      for (const stop of unfollow) stop();
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
