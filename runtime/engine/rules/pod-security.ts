/**
 * The podSecurity rule family: the Pod Security Standards at the rule's level and version, as the
 * upstream k8s.io/pod-security-admission `policy/` package defines them (see ../pss/registry.ts).
 * Findings carry the check ID as `control`; the engine applies exemptions and the policy mode.
 */
import type { PodSecurityRule } from '../../bundle';
import { checksFor } from '../pss/registry';
import type { Finding, RuleFamily } from '../types';

export const podSecurity: RuleFamily<PodSecurityRule> = {
  validate: ({ rule, pod }) => {
    const out: Finding[] = [];
    for (const { check } of checksFor(rule.level, rule.version)) {
      for (const f of check(pod)) out.push(f);
    }
    return out;
  },
};
