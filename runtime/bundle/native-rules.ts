/**
 * Rules that run natively: a policy's `nativeRules` are enforced by a ValidatingAdmissionPolicy in
 * the API server (enforcement `native`/`hybrid`, runtime/native). The validating webhook does not
 * evaluate them, except a rule's `webhookNamespaces` (the namespaces of its expiring exemptions,
 * which the ValidatingAdmissionPolicy skips). `portcullis test` and `scan` evaluate every rule.
 */
import { IMAGE_RULE_TYPES, MUTATING_RULE_TYPES, type Policy, type Rule, type RuleType } from './schema';

/** Rule types a ValidatingAdmissionPolicy can carry: validations that read only the admitted object. */
export function nativeCapable(type: RuleType): boolean {
  return !MUTATING_RULE_TYPES.includes(type) && !IMAGE_RULE_TYPES.includes(type);
}

function authorName(rule: Rule): string {
  return rule.autogenFrom ?? rule.name;
}

/**
 * The policy as the validating webhook evaluates it for a request in `namespace`: without its
 * native rules, but with those it keeps in that namespace.
 */
export function withoutNativeRules(policy: Policy, namespace?: string): Policy {
  if (policy.nativeRules === undefined) return policy;
  const native = new Set(policy.nativeRules);
  const kept = (r: Rule): boolean => namespace !== undefined && (policy.webhookNamespaces?.[authorName(r)] ?? []).includes(namespace);
  return { ...policy, rules: policy.rules.filter((r) => !native.has(authorName(r)) || kept(r)) };
}

/** Every namespace in which the webhook keeps some native rule of the policy (sorted). */
export function webhookKeptNamespaces(policy: Policy): string[] {
  return [...new Set(Object.values(policy.webhookNamespaces ?? {}).flat())].sort();
}

/**
 * The policy as the webhook routes it: its webhook rules and the native rules it keeps somewhere.
 * When the policy has nothing else for the webhook (no mutation, no other validation) and no
 * namespace list of its own, the route is narrowed to the namespaces where it keeps rules, so the
 * webhook does not receive the rest of the cluster's requests for it.
 */
export function webhookRoute(policy: Policy): Policy {
  if (policy.nativeRules === undefined) return policy;
  const native = new Set(policy.nativeRules);
  const kept = new Set(Object.keys(policy.webhookNamespaces ?? {}));
  const rules = policy.rules.filter((r) => !native.has(authorName(r)) || kept.has(authorName(r)));
  const onlyKept = rules.length > 0 && rules.every((r) => kept.has(authorName(r)));
  const unlisted = policy.match.namespaces === undefined || policy.match.namespaces.length === 0;
  if (!onlyKept || !unlisted) return { ...policy, rules };
  return { ...policy, rules, match: { ...policy.match, namespaces: webhookKeptNamespaces(policy) } };
}
