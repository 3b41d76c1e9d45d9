/**
 * The engine's programmatic API (`portcullis/engine`): evaluate an AdmissionReview's request against
 * a loaded bundle's policies exactly as the webhook does, or offline (mutate, apply the patches, then
 * validate the result, as the API server orders the two webhooks). Pure: no I/O except through the
 * optional `ImageVerifier` in the context.
 */
export { evaluate, evaluateOffline, displayRuleName, type OfflineResult, type Phase } from './evaluate';
export type {
  AdmissionInput,
  AppliedExemption,
  AdmissionOperation,
  ContainerKind,
  ContainerRef,
  Decision,
  EvaluationContext,
  EvaluationError,
  Finding,
  ImageVerdict,
  ImageVerifier,
  JsonPatchOperation,
  RuleResult,
  RuleResultKind,
  SkippedRule,
  Violation,
} from './types';
export { RuleSkipped } from './rule-skipped';
export { applyJsonPatch } from './json-patch';
export { daysLeft, exemptionLabel, expiresWithin } from './exemption-use';
