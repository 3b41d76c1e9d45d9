/**
 * seccompProfile_restricted (restricted, v1.19+; v1.25 exempts Windows pods). Seccomp profile must
 * be explicitly set to one of the allowed values. Overrides seccompProfile_baseline.
 *
 * Restricted fields:
 *   spec.securityContext.seccompProfile.type
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
 * Allowed values: "RuntimeDefault", "Localhost"; a container may leave it undefined when the pod
 *   level sets an allowed value. A bad value at either level fails.
 * From v1.25 pods with spec.os.name == "windows" are not checked.
 */
import { containerFinding, containerSecurityContext, isWindowsPod, podSecurityContext, profileTypeFinding, rec, type PssCheck } from './check';
import { validSeccompType } from './seccomp-baseline';
import type { Finding, PodView } from '../types';

const ALLOWED = 'RuntimeDefault or Localhost';

function v1_19(pod: PodView): Finding[] {
  const out: Finding[] = [];
  const podProfile = rec(podSecurityContext(pod)?.seccompProfile);
  let podSet = false;
  if (podProfile !== undefined) {
    if (validSeccompType(podProfile.type)) podSet = true;
    else {
      out.push(profileTypeFinding('seccompProfile_restricted', pod, undefined, 'seccompProfile', podProfile.type, ALLOWED));
    }
  }
  for (const c of pod.containers) {
    const profile = rec(containerSecurityContext(c)?.seccompProfile);
    if (profile !== undefined) {
      if (validSeccompType(profile.type)) continue;
      out.push(profileTypeFinding('seccompProfile_restricted', pod, c, 'seccompProfile', profile.type, ALLOWED));
    } else if (!podSet) {
      out.push(
        containerFinding('seccompProfile_restricted', c, 'securityContext.seccompProfile.type', undefined, `${ALLOWED} (here or at pod level)`, {
          exemptField: 'seccompProfile.type',
        }),
      );
    }
  }
  return out;
}

export const seccompProfileRestricted: PssCheck = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  overrides: ['seccompProfile_baseline'],
  revisions: [
    { minVersion: 19, check: v1_19 },
    { minVersion: 25, check: (pod) => (isWindowsPod(pod) ? [] : v1_19(pod)) },
  ],
};
