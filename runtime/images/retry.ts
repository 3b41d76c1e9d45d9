/**
 * Retries with exponential backoff for 429/502/503/504 and connection failures, honouring
 * `Retry-After`, always inside the caller's deadline: when the registry asks for a wait that
 * would outlast the deadline, the call fails at once (an error, never a verdict).
 */
import { sleep, type Deadline } from './deadline';
import { DeadlineError, RegistryError } from './errors';
import { retryAfterMs, type HttpResponse } from './http';

export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  attempts?: number;
  /** First backoff step in ms (default 50), doubled each time, plus up to 25% jitter. */
  baseDelayMs?: number;
  /** Upper bound of one wait (default 5000 ms). */
  maxDelayMs?: number;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

export async function withRetry(
  attempt: () => Promise<HttpResponse>,
  deadline: Deadline,
  options: RetryOptions = {},
): Promise<HttpResponse> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 50;
  const max = options.maxDelayMs ?? 5000;
  for (let i = 1; ; i += 1) {
    let res: HttpResponse | undefined;
    let failure: Error | undefined;
    try {
      res = await attempt();
    } catch (err) {
      if (err instanceof DeadlineError || !(err instanceof RegistryError) || !err.retryable || deadline.signal.aborted) throw err;
      failure = err;
    }
    if (res && !RETRY_STATUS.has(res.status)) return res;
    const what = res ? `${res.url.host} answered ${res.status}` : (failure?.message ?? 'request failed');
    if (i >= attempts) {
      throw failure ?? new RegistryError(`${what} (after ${attempts} attempts)`, res?.status);
    }
    const asked = res ? retryAfterMs(res.headers['retry-after']) : undefined;
    const backoff = Math.min(max, base * 2 ** (i - 1));
    const wait = asked ?? backoff + Math.floor(Math.random() * backoff * 0.25);
    if (wait >= deadline.remaining()) {
      throw new RegistryError(
        `${what}; retry ${asked !== undefined ? `after ${wait} ms (Retry-After)` : `in ${wait} ms`} would exceed the deadline`,
        res?.status,
      );
    }
    await sleep(wait, deadline.signal);
  }
}
