/**
 * runAsNonRoot (restricted, v1.0+; v1.35 exempts user-namespaced pods). Containers must be
 * required to run as non-root users.
 *
 * Restricted fields:
 *   spec.securityContext.runAsNonRoot
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsNonRoot
 * Allowed values: true; a container may leave it undefined when the pod level sets true. Explicit
 *   false anywhere (pod or container) fails even when the other level says true.
 * From v1.35 pods with spec.hostUsers == false are not checked.
 */
import { containerFinding, containerSecurityContext, isUserNamespacePod, podFinding, podSecurityContext, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

function v1_0(pod: PodView): Finding[] {
  const out: Finding[] = [];
  const podValue = podSecurityContext(pod)?.runAsNonRoot;
  if (podValue === false) {
    out.push(podFinding('runAsNonRoot', pod, 'securityContext.runAsNonRoot', false, 'true', { exemptField: 'runAsNonRoot' }));
  }
  const podTrue = podValue === true;
  for (const c of pod.containers) {
    const v = containerSecurityContext(c)?.runAsNonRoot;
    if (v === true) continue;
    if (v === undefined || v === null) {
      if (podTrue) continue;
      out.push(
        containerFinding('runAsNonRoot', c, 'securityContext.runAsNonRoot', undefined, 'true (here or at pod level)', {
          exemptField: 'runAsNonRoot',
        }),
      );
      continue;
    }
    out.push(containerFinding('runAsNonRoot', c, 'securityContext.runAsNonRoot', v, 'true', { exemptField: 'runAsNonRoot' }));
  }
  return out;
}

export const runAsNonRoot: PssCheck = {
  id: 'runAsNonRoot',
  level: 'restricted',
  revisions: [
    { minVersion: 0, check: v1_0 },
    { minVersion: 35, check: (pod) => (isUserNamespacePod(pod) ? [] : v1_0(pod)) },
  ],
};
