/**
 * From the engine's Decision to the AdmissionResponse the API server expects, for one webhook
 * entry. Pure. Failure semantics: evaluation errors are never verdicts; the webhook's failurePolicy
 * decides whether they deny (`Fail`, with a message that says it was an error) or admit with a
 * warning (`Ignore`).
 */
import type { Webhook } from '../bundle';
import type { Decision, EvaluationError } from '../engine/types';
import type { AdmissionResponse } from './admission-review';
import { exemptionAnnotations, expiringExemptionWarnings } from './exemption-text';
import { auditAnnotations, boundedLines, boundedWarnings, errorLine, violationLine, warningLine } from './violation-text';

/** The outcome label used in logs and metrics. */
export type Outcome = 'allowed' | 'denied' | 'error_denied' | 'error_allowed' | 'skipped';

export interface EncodedDecision {
  response: AdmissionResponse;
  outcome: Outcome;
  patched: boolean;
}

/** Allowed, untouched and unevaluated (DELETE/CONNECT, a kind the path does not serve). */
export function unevaluatedResponse(uid: string): EncodedDecision {
  return { response: { uid, allowed: true }, outcome: 'skipped', patched: false };
}

/**
 * The exemptions a decision used (only when one did) add a `<policy>.exemptions` audit annotation
 * per policy, and a warning for each that expires within 30 days of `now()` (exemption-text.ts).
 */
export function encodeDecision(
  uid: string,
  webhook: Pick<Webhook, 'type' | 'failurePolicy'>,
  decision: Decision,
  now: () => Date = () => new Date(),
): EncodedDecision {
  const enforceDenied = !decision.allowed || decision.violations.length > 0;
  const hasErrors = decision.errors.length > 0;
  const failClosed = hasErrors && webhook.failurePolicy === 'Fail';
  const response: AdmissionResponse = { uid, allowed: !(enforceDenied || failClosed) };
  const applied = decision.exemptions;
  const expiring = applied === undefined ? undefined : expiringExemptionWarnings(applied, now());

  if (decision.warnings.length > 0 || (hasErrors && !failClosed) || (expiring !== undefined && expiring.length > 0)) {
    const warningLines = decision.warnings.map(warningLine);
    if (expiring !== undefined) warningLines.push(...expiring);
    if (hasErrors && !failClosed) {
      warningLines.push(...decision.errors.map((e) => `${errorLine(e)}; admitted (failurePolicy Ignore)`));
    }
    response.warnings = boundedWarnings(warningLines);
  }
  if (decision.warnings.length > 0) response.auditAnnotations = auditAnnotations(decision.warnings);
  if (applied !== undefined) response.auditAnnotations = { ...response.auditAnnotations, ...exemptionAnnotations(applied) };

  if (!response.allowed) {
    const lines = decision.violations.map(violationLine);
    if (failClosed) lines.push(...decision.errors.map((e) => `${errorLine(e)}; rejected (failurePolicy Fail)`));
    if (lines.length === 0) lines.push('denied by policy (the engine reported no details)');
    const policyVerdict = decision.violations.length > 0 || !failClosed;
    response.status = policyVerdict
      ? { code: 403, reason: 'Forbidden', message: boundedLines(lines) }
      : { code: 500, reason: 'InternalError', message: boundedLines(lines) };
    return { response, outcome: policyVerdict ? 'denied' : 'error_denied', patched: false };
  }

  let patched = false;
  if (webhook.type === 'mutating' && decision.patches.length > 0) {
    response.patch = Buffer.from(JSON.stringify(decision.patches)).toString('base64');
    response.patchType = 'JSONPatch';
    patched = true;
  }
  return { response, outcome: hasErrors ? 'error_allowed' : 'allowed', patched };
}

/** The engine itself failed (threw): an evaluation error for every policy the path serves. */
export function engineFailure(policies: readonly string[], err: unknown): EvaluationError[] {
  const message = err instanceof Error ? err.message : String(err);
  return policies.map((policy) => ({ policy, rule: '*', message: `evaluation failed: ${message}` }));
}
