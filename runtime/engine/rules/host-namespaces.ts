/**
 * hostNamespaces (validating): the pod may not share the node's namespaces.
 *
 * Applies to: `spec.hostPID`, `spec.hostIPC`, `spec.hostNetwork` of the pod or pod template, for
 * those listed in `rule.deny`.
 * Allowed values: `false` or unset. Anything else that is set (`true`, or a non-boolean the API
 * server would refuse) is a finding.
 * Finding: control `hostNamespaces`, field `…spec.hostNetwork` (etc.), exemptField = the field name
 * (`hostNetwork`), values = [the value as written].
 */
import type { HostNamespacesRule } from '../../bundle';
import { hasOwnField, ownField, showValue } from '../own-fields';
import type { Finding, RuleFamily, RuleInput } from '../types';

const CONTROL = 'hostNamespaces';

export const hostNamespaces: RuleFamily<HostNamespacesRule> = {
  validate: ({ rule, pod }: RuleInput<HostNamespacesRule>): Finding[] => {
    const findings: Finding[] = [];
    for (const ns of rule.deny.filter((n, i, a) => a.indexOf(n) === i)) {
      if (!hasOwnField(pod.spec, ns)) continue;
      const value = ownField(pod.spec, ns);
      if (value === false || value === null) continue;
      findings.push({
        control: CONTROL,
        field: `${pod.specField}.${ns}`,
        exemptField: ns,
        values: [showValue(value)],
        allowed: 'false or unset',
        message: `${pod.specField}.${ns}=${showValue(value)} is not allowed`,
      });
    }
    return findings;
  },
};
