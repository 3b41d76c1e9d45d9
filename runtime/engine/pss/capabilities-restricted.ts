/**
 * capabilities_restricted (restricted, v1.22+; v1.25 exempts Windows pods). Containers must drop
 * ALL capabilities, and are only permitted to add back NET_BIND_SERVICE. Overrides
 * capabilities_baseline.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.drop
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
 * Allowed values:
 *   drop: any list that includes "ALL" (exact, case-sensitive)
 *   add: undefined/empty or "NET_BIND_SERVICE" only
 * From v1.25 pods with spec.os.name == "windows" are not checked.
 */
import { containerFinding, containerSecurityContext, isWindowsPod, rec, stringList, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

function v1_22(pod: PodView): Finding[] {
  const out: Finding[] = [];
  for (const c of pod.containers) {
    const caps = rec(containerSecurityContext(c)?.capabilities);
    const drop = stringList(caps?.drop);
    if (!drop.includes('ALL')) {
      out.push(
        containerFinding('capabilities_restricted', c, 'securityContext.capabilities.drop', caps?.drop, 'a list including "ALL"', {
          exemptField: 'capabilities.drop',
        }),
      );
    }
    const add = stringList(caps?.add);
    const bad = add.length === 0 ? [] : [...new Set(add.filter((cap) => cap !== 'NET_BIND_SERVICE'))];
    if (bad.length > 0) {
      out.push(
        containerFinding('capabilities_restricted', c, 'securityContext.capabilities.add', bad, 'NET_BIND_SERVICE or unset', {
          exemptField: 'capabilities.add',
          values: bad,
        }),
      );
    }
  }
  return out;
}

export const capabilitiesRestricted: PssCheck = {
  id: 'capabilities_restricted',
  level: 'restricted',
  overrides: ['capabilities_baseline'],
  revisions: [
    { minVersion: 22, check: v1_22 },
    { minVersion: 25, check: (pod) => (isWindowsPod(pod) ? [] : v1_22(pod)) },
  ],
};
