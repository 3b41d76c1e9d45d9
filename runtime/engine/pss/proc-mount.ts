/**
 * procMount (baseline, v1.0+; v1.35 relaxes it for user-namespaced pods). The default /proc masks
 * are set up to reduce attack surface, and should be required. Replaced by procMount_restricted at
 * the restricted level from v1.35.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
 * Allowed values: undefined/null, "Default"; from v1.35 any value when spec.hostUsers is false
 */
import { containerFinding, containerSecurityContext, isUserNamespacePod, show, type PssCheck } from './check';
import type { PssControl } from '../../bundle';
import type { Finding, PodView } from '../types';

/** The v1.0 rule, shared with procMount_restricted. */
export function defaultProcMountOnly(control: PssControl) {
  return (pod: PodView): Finding[] => {
    const out: Finding[] = [];
    for (const c of pod.containers) {
      const v = containerSecurityContext(c)?.procMount;
      if (v === undefined || v === null || v === 'Default') continue;
      out.push(
        containerFinding(control, c, 'securityContext.procMount', v, 'Default or unset', {
          exemptField: 'procMount',
          values: [show(v)],
        }),
      );
    }
    return out;
  };
}

const v1_0 = defaultProcMountOnly('procMount');

export const procMount: PssCheck = {
  id: 'procMount',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: v1_0 },
    { minVersion: 35, check: (pod) => (isUserNamespacePod(pod) ? [] : v1_0(pod)) },
  ],
};
