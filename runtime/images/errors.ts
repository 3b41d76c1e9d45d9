/**
 * Errors of the image subsystem. Every one of them is an *error*, never a verdict: the engine
 * reports it in `Decision.errors` and the webhook's failurePolicy decides what happens.
 */

/** The registry could not be reached, timed out, answered 5xx/429 past the deadline, or sent garbage. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }

  /** A transient transport failure (connection refused/reset): worth another attempt. */
  readonly retryable: boolean;
}

/** The image's registry is not one the rule names: nothing was contacted. */
export class RegistryNotAllowedError extends Error {
  override readonly name = 'RegistryNotAllowedError';
}

/** The rule or the trust configuration cannot be used (unknown trusted root, bad key, …). */
export class ImageConfigError extends Error {
  override readonly name = 'ImageConfigError';
}

/** The deadline for one image check passed. */
export class DeadlineError extends RegistryError {
  constructor(what: string, ms: number) {
    super(`${what}: deadline of ${ms} ms exceeded`);
  }
}
