/**
 * PLACEHOLDER signatures (implemented by the engine issue). The one evaluator that the server,
 * `portcullis test` and `portcullis scan` call.
 */
import type { Policy } from '../bundle';
import type { AdmissionInput, Decision, EvaluationContext } from './types';

export type Phase = 'mutate' | 'validate';

/**
 * Evaluate one admission request for one phase against the given policies (those a webhook path
 * serves, in order). `mutate` runs only mutating rule families (and digest pinning) and returns
 * patches; `validate` runs only validating families and returns violations.
 */
export function evaluate(
  _phase: Phase,
  _input: AdmissionInput,
  _policies: readonly Policy[],
  _context: EvaluationContext,
): Promise<Decision> {
  return Promise.reject(new Error('engine not implemented yet'));
}

export interface OfflineResult {
  mutation: Decision;
  validation: Decision;
  /** The object after the mutation patches were applied (what validation saw). */
  patched: unknown;
  /** false iff validation denies (an Enforce violation) or an error occurred under failurePolicy Fail. */
  allowed: boolean;
}

/** Mutate, apply the patches, then validate the result: the order the API server applies. */
export function evaluateOffline(
  _input: AdmissionInput,
  _policies: readonly Policy[],
  _context: EvaluationContext,
): Promise<OfflineResult> {
  return Promise.reject(new Error('engine not implemented yet'));
}
