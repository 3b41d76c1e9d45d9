/**
 * allowPrivilegeEscalation (restricted, v1.8+; v1.25 exempts Windows pods). Privilege escalation
 * (such as via set-user-ID or set-group-ID file mode) should not be allowed.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation
 * Allowed values: false (it must be set explicitly)
 * From v1.25 pods with spec.os.name == "windows" are not checked.
 */
import { containerFinding, containerSecurityContext, isWindowsPod, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

function v1_8(pod: PodView): Finding[] {
  return pod.containers
    .filter((c) => containerSecurityContext(c)?.allowPrivilegeEscalation !== false)
    .map((c) =>
      containerFinding('allowPrivilegeEscalation', c, 'securityContext.allowPrivilegeEscalation', containerSecurityContext(c)?.allowPrivilegeEscalation, 'false', {
        exemptField: 'allowPrivilegeEscalation',
      }),
    );
}

export const allowPrivilegeEscalation: PssCheck = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  revisions: [
    { minVersion: 8, check: v1_8 },
    { minVersion: 25, check: (pod) => (isWindowsPod(pod) ? [] : v1_8(pod)) },
  ],
};
