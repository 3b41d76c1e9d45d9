/**
 * runAsUser (restricted, v1.23+; v1.35 exempts user-namespaced pods). Containers must not set
 * runAsUser to 0.
 *
 * Restricted fields:
 *   spec.securityContext.runAsUser
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsUser
 * Allowed values: any non-zero value, undefined/null
 * From v1.35 pods with spec.hostUsers == false are not checked.
 */
import { containerFinding, containerSecurityContext, isUserNamespacePod, podFinding, podSecurityContext, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

function v1_23(pod: PodView): Finding[] {
  const out: Finding[] = [];
  if (podSecurityContext(pod)?.runAsUser === 0) {
    out.push(podFinding('runAsUser', pod, 'securityContext.runAsUser', 0, 'non-zero or unset', { exemptField: 'runAsUser' }));
  }
  for (const c of pod.containers) {
    if (containerSecurityContext(c)?.runAsUser === 0) {
      out.push(containerFinding('runAsUser', c, 'securityContext.runAsUser', 0, 'non-zero or unset', { exemptField: 'runAsUser' }));
    }
  }
  return out;
}

export const runAsUser: PssCheck = {
  id: 'runAsUser',
  level: 'restricted',
  revisions: [
    { minVersion: 23, check: v1_23 },
    { minVersion: 35, check: (pod) => (isUserNamespacePod(pod) ? [] : v1_23(pod)) },
  ],
};
