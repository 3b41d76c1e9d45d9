/**
 * privileged (baseline, v1.0+). Privileged pods disable most security mechanisms.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.privileged
 * Allowed values: undefined/null, false
 */
import { containerFinding, containerSecurityContext, type PssCheck } from './check';

export const privileged: PssCheck = {
  id: 'privileged',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) =>
        pod.containers
          .filter((c) => containerSecurityContext(c)?.privileged === true)
          .map((c) => containerFinding('privileged', c, 'securityContext.privileged', true, 'false or unset')),
    },
  ],
};
