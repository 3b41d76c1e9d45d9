/**
 * windowsHostProcess (baseline, v1.0+). Windows pods offer the ability to run HostProcess
 * containers, which enables privileged access to the Windows node.
 *
 * Restricted fields:
 *   spec.securityContext.windowsOptions.hostProcess
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.windowsOptions.hostProcess
 * Allowed values: undefined/null, false
 */
import { containerFinding, containerSecurityContext, podFinding, podSecurityContext, rec, type PssCheck } from './check';
import type { Finding } from '../types';

const ALLOWED = 'false or unset';

export const windowsHostProcess: PssCheck = {
  id: 'windowsHostProcess',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        if (rec(podSecurityContext(pod)?.windowsOptions)?.hostProcess === true) {
          out.push(podFinding('windowsHostProcess', pod, 'securityContext.windowsOptions.hostProcess', true, ALLOWED));
        }
        for (const c of pod.containers) {
          if (rec(containerSecurityContext(c)?.windowsOptions)?.hostProcess === true) {
            out.push(containerFinding('windowsHostProcess', c, 'securityContext.windowsOptions.hostProcess', true, ALLOWED));
          }
        }
        return out;
      },
    },
  ],
};
