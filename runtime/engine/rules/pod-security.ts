/**
 * The podSecurity rule family: the Pod Security Standards at the rule's level and version, as the
 * upstream k8s.io/pod-security-admission `policy/` package defines them (see ../pss/registry.ts).
 * Findings carry the check ID as `control`; the engine applies exemptions and the policy mode.
 */
import type { PodSecurityRule } from '../../bundle';
import { checksFor, type ResolvedCheck } from '../pss/registry';
import type { Finding, RuleFamily } from '../types';

/** The checks of a rule, resolved once per rule object (a bundle's rules never change). */
const checksOfRule = new WeakMap<PodSecurityRule, readonly ResolvedCheck[]>();

function checksOf(rule: PodSecurityRule): readonly ResolvedCheck[] {
  let checks = checksOfRule.get(rule);
  if (checks === undefined) {
    checks = checksFor(rule.level, rule.version);
    checksOfRule.set(rule, checks);
  }
  return checks;
}

export const podSecurity: RuleFamily<PodSecurityRule> = {
  validate: ({ rule, pod }) => {
    const out: Finding[] = [];
    for (const { check } of checksOf(rule)) {
      for (const f of check(pod)) out.push(f);
    }
    return out;
  },
};
