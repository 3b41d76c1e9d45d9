/**
 * Rules that run natively: a policy's `nativeRules` are enforced by a ValidatingAdmissionPolicy in
 * the API server (enforcement `native`/`hybrid`, runtime/native). The validating webhook does not
 * evaluate them; `portcullis test` and `scan` evaluate every rule.
 */
import { IMAGE_RULE_TYPES, MUTATING_RULE_TYPES, type Policy, type RuleType } from './schema';

/** Rule types a ValidatingAdmissionPolicy can carry: validations that read only the admitted object. */
export function nativeCapable(type: RuleType): boolean {
  return !MUTATING_RULE_TYPES.includes(type) && !IMAGE_RULE_TYPES.includes(type);
}

/** The policy as the validating webhook evaluates and routes it: without its native rules. */
export function withoutNativeRules(policy: Policy): Policy {
  if (policy.nativeRules === undefined) return policy;
  const native = new Set(policy.nativeRules);
  return { ...policy, rules: policy.rules.filter((r) => !native.has(r.autogenFrom ?? r.name)) };
}
