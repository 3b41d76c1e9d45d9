/**
 * hostPorts (baseline, v1.0+). HostPorts should be disallowed entirely.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].ports[*].hostPort
 * Allowed values: undefined/0
 */
import { containerFinding, indexedRecords, show, type PssCheck } from './check';
import type { Finding } from '../types';

export const hostPorts: PssCheck = {
  id: 'hostPorts',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        for (const c of pod.containers) {
          for (const [port, i] of indexedRecords(c.container.ports)) {
            const hostPort = port.hostPort;
            if (hostPort === undefined || hostPort === null || hostPort === 0) continue;
            out.push(
              containerFinding('hostPorts', c, `ports[${i}].hostPort`, hostPort, '0 or unset', {
                exemptField: 'ports.hostPort',
                values: [show(hostPort)],
              }),
            );
          }
        }
        return out;
      },
    },
  ],
};
