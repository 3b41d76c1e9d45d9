/**
 * Expiring exemptions in native enforcement. CEL in the API server has no clock, so a
 * ValidatingAdmissionPolicy cannot stop an exemption's relief at `expiresAt`. When every expiring
 * exemption that can relieve a rule is scoped to a list of literal namespaces, the rule is carved:
 * the ValidatingAdmissionPolicy enforces it everywhere except in those namespaces (where, outside
 * their scope, the expiring exemptions never apply, so the policy without them decides exactly as
 * the engine), and the webhook keeps evaluating it in those namespaces, with the exemptions and
 * their expiry (the bundle's `webhookNamespaces`). Otherwise the rule cannot be compiled. Pure.
 */
import type { Exemption, Policy, Rule } from '../bundle';
import { checksFor } from '../engine/pss/registry';

/** The controls a rule's findings carry (what exemption control entries name). */
export function ruleControls(rule: Rule): string[] {
  return rule.type === 'podSecurity' ? checksFor(rule.level, rule.version).map((c) => c.id) : [rule.type];
}

/** Can this exemption relieve some finding of the rule? */
function relievesRule(exemption: Exemption, controls: readonly string[]): boolean {
  return exemption.controls.length === 0 || exemption.controls.some((c) => controls.includes(c.control));
}

export interface CarveOut {
  /** Namespaces where the webhook keeps the rule (sorted, unique). */
  namespaces: string[];
  /** The policy as the ValidatingAdmissionPolicy compiles the rule: without the expiring exemptions. */
  policy: Policy;
}

/**
 * The carve-out a rule needs for its expiring exemptions: undefined when none can relieve it, the
 * reason when one is not scoped to literal namespaces.
 */
export function expiringCarveOut(policy: Policy, rule: Rule): CarveOut | { reason: string } | undefined {
  const controls = ruleControls(rule);
  const expiring = policy.exemptions.filter((e) => e.expiresAt !== undefined && relievesRule(e, controls));
  if (expiring.length === 0) return undefined;
  for (const e of expiring) {
    const ns = e.namespaces ?? [];
    if (ns.length === 0 || ns.some((n) => n.includes('*') || n.includes('?'))) {
      return {
        reason:
          `exemption "${e.name}" expires at ${e.expiresAt ?? ''}: CEL in the API server has no clock, and the exemption is not scoped to a list of ` +
          `namespaces the webhook could keep (${ns.length === 0 ? 'it has no namespaces' : 'its namespaces are globs'})`,
      };
    }
  }
  const namespaces = [...new Set(expiring.flatMap((e) => e.namespaces ?? []))].sort();
  return { namespaces, policy: { ...policy, exemptions: policy.exemptions.filter((e) => !expiring.includes(e)) } };
}
