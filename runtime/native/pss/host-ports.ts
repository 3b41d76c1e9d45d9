/**
 * hostPorts (baseline, v1.0+) in CEL: runtime/engine/pss/host-ports.ts.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].ports[*].hostPort
 * Allowed values: undefined/0
 * Findings: per container, per port with a non-zero hostPort (exempt field `ports.hostPort`,
 * values [the port]). The port's index is `ports.indexOf(port)` (Kubernetes lists library): exact,
 * since the API server refuses two ports of one container with the same protocol, hostIP and
 * non-zero hostPort (checkHostPortConflicts), so a finding's port has no equal before it.
 */
import type { NativeControl } from './control';
import { containerLines, containerMessage, findingLines, itemLines } from './findings';

const RELATIVE = 'ports[#].hostPort';
const ITEM = 'c.ports.indexOf(p)';

export const hostPorts: NativeControl = {
  id: 'hostPorts',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const value = 'string(p.hostPort)';
        const lines = findingLines(ctx, {
          level: 'container',
          relative: RELATIVE,
          item: ITEM,
          exemptField: 'ports.hostPort',
          values: { kind: 'one', cel: value },
          allowed: '0 or unset',
          message: containerMessage(RELATIVE, value, ITEM),
        });
        if (typeof lines !== 'string') return lines;
        return containerLines([itemLines('c.?ports.orValue([])', 'p', 'p.?hostPort.orValue(0) != 0', lines)]);
      },
    },
  ],
};
