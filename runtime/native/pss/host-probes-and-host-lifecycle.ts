/**
 * hostProbesAndHostLifecycle (baseline, v1.34+) in CEL: runtime/engine/pss/host-probes-and-host-lifecycle.ts.
 *
 * Restricted fields, for spec.{initContainers,containers,ephemeralContainers}[*]:
 *   livenessProbe / readinessProbe / startupProbe .httpGet.host and .tcpSocket.host
 *   lifecycle.postStart / lifecycle.preStop .httpGet.host and .tcpSocket.host
 * Allowed values: undefined/""
 * Findings per container: the probes, then the lifecycle hooks, each httpGet then tcpSocket (exempt
 * field `<where>.<handler>.host`, values [the host]; a string in the API schema, shown as it is).
 */
import type { NativeControl } from './control';
import { containerLines, containerMessage, findingLines, slot } from './findings';

const WHERE = ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.postStart', 'lifecycle.preStop'];
const HANDLERS = ['httpGet', 'tcpSocket'];

export const hostProbesAndHostLifecycle: NativeControl = {
  id: 'hostProbesAndHostLifecycle',
  revisions: [
    {
      minVersion: 34,
      compile: (ctx) => {
        const slots: string[] = [];
        for (const where of WHERE) {
          for (const handler of HANDLERS) {
            const relative = `${where}.${handler}.host`;
            const value = `c.${relative}`;
            const lines = findingLines(ctx, { level: 'container', relative, exemptField: relative, values: { kind: 'one', cel: value }, allowed: 'unset or ""', message: containerMessage(relative, value) });
            if (typeof lines !== 'string') return lines;
            slots.push(slot(`c${relative.split('.').map((k) => `.?${k}`).join('')}.orValue("") != ""`, lines));
          }
        }
        return containerLines(slots);
      },
    },
  ],
};
